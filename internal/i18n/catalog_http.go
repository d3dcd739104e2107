package i18n

// Messages whose keys start with "http.": the HTTP settings (SMARTRADEX_HTTP_TIMEOUT).
func init() {
	register(EN, "http", func() map[string]string {
		return map[string]string{
			"http.bad_timeout":      "SMARTRADEX_HTTP_TIMEOUT is not a duration",
			"http.bad_timeout_hint": "give a duration such as 30s, or remove the variable to wait 10 s for Binance and 15 s for SmartradeX",
		}
	})
	register(FR, "http", func() map[string]string {
		return map[string]string{
			"http.bad_timeout":      "SMARTRADEX_HTTP_TIMEOUT n'est pas une durée",
			"http.bad_timeout_hint": "indiquez une durée comme 30s, ou retirez la variable pour attendre 10 s pour Binance et 15 s pour SmartradeX",
		}
	})
}
