package i18n

// Messages whose keys start with "flag.": flag and argument errors.
func init() {
	register(EN, "flag", func() map[string]string {
		return map[string]string{
			"flag.json":        "print machine-readable JSON on standard output",
			"flag.no_input":    "never prompt; fail naming the missing flag instead (implied when stdin is not a terminal)",
			"flag.lang":        "language of messages: en or fr (default from SMARTRADEX_LANG, then LC_ALL/LC_MESSAGES/LANG)",
			"flag.debug":       "print diagnostics (requests made, timings) on standard error; secrets are always redacted",
			"flag.binance_url": "base URL of the Binance API (env SMARTRADEX_BINANCE_URL)",
		}
	})
	register(FR, "flag", func() map[string]string {
		return map[string]string{
			"flag.json":        "afficher un JSON lisible par une machine sur la sortie standard",
			"flag.no_input":    "ne jamais poser de question ; échouer en nommant l'option manquante (implicite si l'entrée standard n'est pas un terminal)",
			"flag.lang":        "langue des messages : fr ou en (par défaut SMARTRADEX_LANG, puis LC_ALL/LC_MESSAGES/LANG)",
			"flag.debug":       "afficher des diagnostics (requêtes, durées) sur la sortie d'erreur ; les secrets sont toujours masqués",
			"flag.binance_url": "URL de base de l'API Binance (variable SMARTRADEX_BINANCE_URL)",
		}
	})
}
