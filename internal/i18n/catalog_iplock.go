package i18n

// Messages of keys locked to SmartradeX's addresses (issue 13): the
// service's checks, their verdicts and the warnings of keys verify.
func init() {
	register(EN, map[string]string{
		"service.binance_rejected":      "Binance rejected the key of bot %s when SmartradeX checked it from %s (Binance code %d)",
		"service.binance_rejected_hint": "either the key's trusted IP list lacks SmartradeX's addresses, or the key was deleted on Binance",
		"service.seen_from_unknown":     "its address",
		"service.key_refused":           "SmartradeX refused the key for bot %s: its rights, as Binance shows them to SmartradeX, are not the ones required",
		"service.key_refused_finding":   "%s (%s)",
		"service.key_refused_hint":      "on Binance, edit the key's restrictions as the guide says, then try again",
	})
	register(FR, map[string]string{
		"service.binance_rejected":      "Binance a rejeté la clé du bot %s quand SmartradeX l'a vérifiée depuis %s (code Binance %d)",
		"service.binance_rejected_hint": "soit la liste d'adresses IP de confiance de la clé ne contient pas les adresses de SmartradeX, soit la clé a été supprimée sur Binance",
		"service.seen_from_unknown":     "son adresse",
		"service.key_refused":           "SmartradeX a refusé la clé du bot %s : ses droits, tels que Binance les montre à SmartradeX, ne sont pas ceux demandés",
		"service.key_refused_finding":   "%s (%s)",
		"service.key_refused_hint":      "sur Binance, modifiez les restrictions de la clé comme l'indique le guide, puis réessayez",
	})
}
