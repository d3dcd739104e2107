package i18n

// Messages whose keys start with "version.": `smartradex version`.
func init() {
	register(EN, map[string]string{
		"version.short": "Print the version of smartradex",
	})
	register(FR, map[string]string{
		"version.short": "Afficher la version de smartradex",
	})
}
