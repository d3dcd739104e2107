package i18n

// Messages whose keys start with "bots.": `smartradex bots`.
func init() {
	register(EN, "bots", func() map[string]string {
		return map[string]string{
			"bots.short":     "List the SmartradeX bots a key can be set up for",
			"bots.col_id":    "BOT",
			"bots.col_name":  "NAME",
			"bots.col_label": "BINANCE KEY LABEL",
		}
	})
	register(FR, "bots", func() map[string]string {
		return map[string]string{
			"bots.short":     "Lister les bots SmartradeX pour lesquels configurer une clé",
			"bots.col_id":    "BOT",
			"bots.col_name":  "NOM",
			"bots.col_label": "LIBELLÉ DE LA CLÉ BINANCE",
		}
	})
}
