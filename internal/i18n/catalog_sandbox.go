package i18n

// Messages whose keys start with "sandbox.": the sandbox: its banner and demo keys.
func init() {
	register(EN, "sandbox", func() map[string]string {
		return map[string]string{
			"sandbox.flag":                  "practise with demo keys against built-in stand-ins of Binance and SmartradeX (env SMARTRADEX_SANDBOX=1)",
			"sandbox.banner":                "practice run: Binance and SmartradeX are stand-ins on this computer, the keys are demo keys, no real money",
			"sandbox.start_failed":          "the sandbox could not start",
			"sandbox.save_failed":           "the sandbox could not save its state: %s",
			"sandbox.demo.ok":               "passes the check",
			"sandbox.demo.withdrawals":      "refused: Enable Withdrawals is ticked",
			"sandbox.demo.ip-restricted":    "says it is restricted to trusted IPs: checked by SmartradeX, refused where SmartradeX does not lock keys",
			"sandbox.demo.expired":          "refused: the trading permission has expired",
			"sandbox.demo.same-subaccount":  "passes the check, but shares the sub-account of \"ok\"",
			"sandbox.demo.ok-eth":           "passes the check, on another sub-account: for a second bot",
			"sandbox.demo.locked":           "locked to the sandbox service's address: Binance refuses it here, SmartradeX checks it and accepts it",
			"sandbox.demo.locked-elsewhere": "locked to another address: SmartradeX's check is refused by Binance (its address is missing)",
		}
	})
	register(FR, "sandbox", func() map[string]string {
		return map[string]string{
			"sandbox.flag":                  "s'entraîner avec des clés de démonstration, avec Binance et SmartradeX simulés (variable SMARTRADEX_SANDBOX=1)",
			"sandbox.banner":                "entraînement : Binance et SmartradeX sont simulés sur cet ordinateur, les clés sont des clés de démonstration, aucun argent réel",
			"sandbox.start_failed":          "le bac à sable n'a pas pu démarrer",
			"sandbox.save_failed":           "le bac à sable n'a pas pu enregistrer son état : %s",
			"sandbox.demo.ok":               "acceptée par la vérification",
			"sandbox.demo.withdrawals":      "refusée : « Activer les retraits » est coché",
			"sandbox.demo.ip-restricted":    "se dit limitée à des IP de confiance : vérifiée par SmartradeX, refusée là où SmartradeX ne restreint pas les clés",
			"sandbox.demo.expired":          "refusée : le droit de trading a expiré",
			"sandbox.demo.same-subaccount":  "acceptée, mais partage le sous-compte de « ok »",
			"sandbox.demo.ok-eth":           "acceptée, sur un autre sous-compte : pour un deuxième bot",
			"sandbox.demo.locked":           "limitée à l'adresse du service du bac à sable : Binance la refuse ici, SmartradeX la vérifie et l'accepte",
			"sandbox.demo.locked-elsewhere": "limitée à une autre adresse : Binance refuse la vérification de SmartradeX (son adresse manque)",
		}
	})
}
