package i18n

// Messages whose keys start with "root.": the root command.
func init() {
	register(EN, "root", func() map[string]string {
		return map[string]string{
			"root.short": "Set up and check the Binance API keys of your SmartradeX bots",
			"root.long":  "smartradex connects your Binance sub-accounts to your SmartradeX bots.\n\nIt walks you through creating a Binance API key, proves against Binance that the key has\nonly the rights SmartradeX accepts (Enable Reading and Enable Spot & Margin Trading), keeps its\nsecret in your operating system's keyring, and registers it with SmartradeX for your bot.\n\nEvery command also runs without a terminal for scripts: see --no-input and --json, and\n`smartradex help exit-codes`.",
		}
	})
	register(FR, "root", func() map[string]string {
		return map[string]string{
			"root.short": "Configurer et vérifier les clés API Binance de vos bots SmartradeX",
			"root.long":  "smartradex relie vos sous-comptes Binance à vos bots SmartradeX.\n\nIl vous guide pour créer une clé API Binance, prouve auprès de Binance que la clé n'a que les\ndroits acceptés par SmartradeX (Permettre la lecture et Activer le trading Spot et sur marge),\nrange son secret dans le trousseau de votre système et l'enregistre chez SmartradeX pour votre bot.\n\nChaque commande fonctionne aussi sans terminal, dans des scripts : voir --no-input et --json,\net `smartradex help exit-codes`.",
		}
	})
}
