package i18n

// Messages whose keys start with "version.": `smartradex version`.
func init() {
	register(EN, "version", func() map[string]string {
		return map[string]string{
			"version.short": "Print the version of smartradex",
		}
	})
	register(FR, "version", func() map[string]string {
		return map[string]string{
			"version.short": "Afficher la version de smartradex",
		}
	})
}
