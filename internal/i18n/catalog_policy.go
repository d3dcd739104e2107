package i18n

// Messages whose keys start with "policy.": the policy's findings and Binance's labels of the rights.
func init() {
	register(EN, "policy", func() map[string]string {
		return map[string]string{
			"policy.label.enableReading":                "Enable Reading",
			"policy.label.enableSpotAndMarginTrading":   "Enable Spot & Margin Trading",
			"policy.label.enableWithdrawals":            "Enable Withdrawals",
			"policy.label.enableMargin":                 "Enable Margin Loan, Repay & Transfer",
			"policy.label.enableFutures":                "Enable Futures",
			"policy.label.enableVanillaOptions":         "Enable European Options",
			"policy.label.permitsUniversalTransfer":     "Permits Universal Transfer",
			"policy.label.enableInternalTransfer":       "Enable Internal Transfer",
			"policy.label.enablePortfolioMarginTrading": "Portfolio Margin Trading",
			"policy.label.enableFixApiTrade":            "FIX API trading",
			"policy.label.enableFixReadOnly":            "FIX API read-only",
			"policy.label.ipRestrict":                   "Restrict access to trusted IPs only",
			"policy.label.unknown":                      "%s",
			"policy.missing_permission":                 "“%s” is not ticked — on Binance, in API Management, click Edit restrictions on this key, tick it and click Save",
			"policy.forbidden_permission":               "“%s” is ticked, and SmartradeX refuses keys that have this right — on Binance, in API Management, click Edit restrictions on this key, untick it and click Save",
			"policy.ip_restrict_missing":                "Binance did not say whether the key is limited to trusted IPs (“%s”), so the key is refused to be safe — check the key again in a moment; if this stays, update smartradex (go install github.com/smartradex/smartradex/cmd/smartradex@latest)",
			"policy.ip_restricted":                      "the key is limited to trusted IPs (“%s”), so SmartradeX's servers could not trade with it — on Binance, click Edit restrictions on this key, choose “Unrestricted (Less Secure)” and click Save",
			"policy.unknown_permission":                 "Binance reports a right smartradex does not know, “%s”, switched on, and SmartradeX refuses every right it cannot vouch for — on Binance, click Edit restrictions on this key and untick everything except “Enable Reading” and “Enable Spot & Margin Trading”; if nothing else is ticked there, update smartradex",
			"policy.unrecognised_field":                 "Binance returned the field “%s” in a form smartradex cannot judge, so the key is refused to be safe — update smartradex (go install github.com/smartradex/smartradex/cmd/smartradex@latest) and check the key again",
			"policy.trading_expired":                    "the “%s” right of this key expired on %s (Binance switches it off on keys without an IP restriction) — on Binance, click Edit restrictions on this key, tick it again and click Save, or create a new key",
			"policy.trading_expires_soon":               "the “%s” right of this key expires on %s — before that date, on Binance, click Edit restrictions on this key, tick it again and click Save, or the bot will stop trading",
			"policy.bad_response":                       "Binance's answer about the key's rights could not be read, so the key cannot be judged",
			"policy.bad_response_hint":                  "try again in a few minutes; if you use --binance-url or a proxy, check that it leads to api.binance.com",
			"policy.bad_context":                        "smartradex was asked to judge the key under an unknown IP-lock setting",
			"policy.ip_unrestricted_recommended":        "the key is not limited to SmartradeX's addresses (“%s” is not chosen): %s, and Binance may delete a key without an IP restriction — on Binance, click Edit restrictions on this key, choose “Restrict access to trusted IPs only”, paste SmartradeX's addresses and click Save",
			"policy.ip_unrestricted_required":           "SmartradeX accepts only keys limited to its addresses, and this key is not (“%s” is not chosen; %s) — on Binance, click Edit restrictions on this key, choose “Restrict access to trusted IPs only”, paste SmartradeX's addresses and click Save",
			"policy.ip_unrestricted_ends":               "Binance switches its “%s” right off on %s",
			"policy.ip_unrestricted_ends_unknown":       "Binance switches its “%s” right off 30 days after it was enabled",
		}
	})
	register(FR, "policy", func() map[string]string {
		return map[string]string{
			"policy.label.enableReading":                "Permettre la lecture",
			"policy.label.enableSpotAndMarginTrading":   "Activer le trading Spot et sur marge",
			"policy.label.enableWithdrawals":            "Activer les retraits",
			"policy.label.enableMargin":                 "Activer le prêt, le remboursement et le transfert sur marge",
			"policy.label.enableFutures":                "Activer les contrats à terme",
			"policy.label.enableVanillaOptions":         "Activer les options européennes",
			"policy.label.permitsUniversalTransfer":     "Autoriser le transfert universel",
			"policy.label.enableInternalTransfer":       "Activer le transfert interne",
			"policy.label.enablePortfolioMarginTrading": "Trading sur marge de portefeuille",
			"policy.label.enableFixApiTrade":            "FIX API (trading)",
			"policy.label.enableFixReadOnly":            "FIX API (lecture seule)",
			"policy.label.ipRestrict":                   "Restreindre l'accès aux adresses IP de confiance uniquement",
			"policy.label.unknown":                      "%s",
			"policy.missing_permission":                 "la case « %s » n'est pas cochée — sur Binance, dans Gestion des API, cliquez sur Modifier les restrictions pour cette clé, cochez-la et cliquez sur Enregistrer",
			"policy.forbidden_permission":               "la case « %s » est cochée, et SmartradeX refuse les clés qui ont ce droit — sur Binance, dans Gestion des API, cliquez sur Modifier les restrictions pour cette clé, décochez-la et cliquez sur Enregistrer",
			"policy.ip_restrict_missing":                "Binance n'a pas indiqué si la clé est limitée à des adresses IP de confiance (« %s ») ; par prudence la clé est refusée — vérifiez de nouveau la clé dans un instant ; si cela persiste, mettez smartradex à jour (go install github.com/smartradex/smartradex/cmd/smartradex@latest)",
			"policy.ip_restricted":                      "la clé est limitée à des adresses IP de confiance (« %s »), les serveurs de SmartradeX ne pourraient donc pas trader avec — sur Binance, cliquez sur Modifier les restrictions pour cette clé, choisissez « Sans restriction IP » et cliquez sur Enregistrer",
			"policy.unknown_permission":                 "Binance indique un droit inconnu de smartradex, « %s », activé, et SmartradeX refuse tout droit qu'il ne peut pas garantir — sur Binance, cliquez sur Modifier les restrictions pour cette clé et décochez tout sauf « Permettre la lecture » et « Activer le trading Spot et sur marge » ; si rien d'autre n'est coché, mettez smartradex à jour",
			"policy.unrecognised_field":                 "Binance a renvoyé le champ « %s » sous une forme que smartradex ne sait pas juger ; par prudence la clé est refusée — mettez smartradex à jour (go install github.com/smartradex/smartradex/cmd/smartradex@latest) puis vérifiez de nouveau la clé",
			"policy.trading_expired":                    "le droit « %s » de cette clé a expiré le %s (Binance le désactive sur les clés sans restriction IP) — sur Binance, cliquez sur Modifier les restrictions pour cette clé, cochez-le à nouveau et cliquez sur Enregistrer, ou créez une nouvelle clé",
			"policy.trading_expires_soon":               "le droit « %s » de cette clé expire le %s — avant cette date, sur Binance, cliquez sur Modifier les restrictions pour cette clé, cochez-le à nouveau et cliquez sur Enregistrer, sinon le bot cessera de trader",
			"policy.bad_response":                       "la réponse de Binance sur les droits de la clé est illisible : impossible de juger la clé",
			"policy.bad_response_hint":                  "réessayez dans quelques minutes ; si vous utilisez --binance-url ou un proxy, vérifiez qu'il mène bien à api.binance.com",
			"policy.bad_context":                        "smartradex a été appelé à juger la clé selon un réglage de verrouillage IP inconnu",
			"policy.ip_unrestricted_recommended":        "la clé n'est pas limitée aux adresses de SmartradeX (« %s » n'est pas choisi) : %s, et Binance peut supprimer une clé sans restriction IP — sur Binance, cliquez sur Modifier les restrictions pour cette clé, choisissez « Restreindre l'accès aux adresses IP de confiance uniquement », collez les adresses de SmartradeX et cliquez sur Enregistrer",
			"policy.ip_unrestricted_required":           "SmartradeX n'accepte que des clés limitées à ses adresses, et celle-ci ne l'est pas (« %s » n'est pas choisi ; %s) — sur Binance, cliquez sur Modifier les restrictions pour cette clé, choisissez « Restreindre l'accès aux adresses IP de confiance uniquement », collez les adresses de SmartradeX et cliquez sur Enregistrer",
			"policy.ip_unrestricted_ends":               "Binance désactive son droit « %s » le %s",
			"policy.ip_unrestricted_ends_unknown":       "Binance désactive son droit « %s » 30 jours après son activation",
		}
	})
}
