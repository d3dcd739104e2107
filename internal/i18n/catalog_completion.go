package i18n

// Messages whose keys start with "completion.": `smartradex completion`.
func init() {
	register(EN, "completion", func() map[string]string {
		return map[string]string{
			"completion.short":       "Generate the autocompletion script for a shell",
			"completion.long":        "Generate the autocompletion script of smartradex for a shell: bash, fish, powershell or zsh.\nEach shell's help (for example smartradex completion bash --help) says how to load it.",
			"completion.shell_short": "Generate the autocompletion script for %s",
		}
	})
	register(FR, "completion", func() map[string]string {
		return map[string]string{
			"completion.short":       "Générer le script d'autocomplétion pour un shell",
			"completion.long":        "Générer le script d'autocomplétion de smartradex pour un shell : bash, fish, powershell ou zsh.\nL'aide de chaque shell (par exemple smartradex completion bash --help) explique comment le charger.",
			"completion.shell_short": "Générer le script d'autocomplétion pour %s",
		}
	})
}
