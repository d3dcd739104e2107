package i18n

// Messages whose keys start with "verify.": `smartradex keys verify`.
func init() {
	register(EN, "verify", func() map[string]string {
		return map[string]string{
			"verify.secret_missing":              "the secret of bot %s's key is no longer on this computer, so the key cannot be checked",
			"verify.secret_missing_hint":         "add the key again with smartradex keys add --bot %s --replace (Binance shows a secret only once: if you no longer have it, create a new key on Binance)",
			"verify.registration_different":      "SmartradeX holds another API key for bot %s than the one kept here",
			"verify.registration_different_hint": "to send this key, run smartradex keys add --bot %s --replace; if the other key is the right one (added from another computer), remove this one with smartradex keys remove --keep-registration",
			"verify.registration_pending":        "the key of bot %s has not reached SmartradeX yet, so the bot cannot trade with it",
			"verify.registration_missing":        "SmartradeX no longer holds the key of bot %s, so the bot cannot trade with it; it is now marked as waiting to be sent",
			"verify.sync_hint":                   "send it again with smartradex keys sync",
			"verify.replace_hint":                "or add it again with smartradex keys add --bot %s --replace",
			"verify.shared_subaccount":           "bot %s uses the same Binance sub-account as %s (uid %s): each bot needs its own sub-account, or the bots trade against each other's funds",
			"verify.shared_subaccount_hint":      "on Binance, create a sub-account for bot %s (Sub-account tab, Create Sub-account), create the key there, and add it with smartradex keys add --replace",
			"verify.with_cause":                  "%s (%s)",
			"verify.awaiting_api_key":            "the key generated for bot %s is waiting for its API key, so the bot cannot trade with it yet",
			"verify.replacement_awaiting":        "a generated key to replace this one is waiting for its API key: when Binance shows it, type: %s",
			"verify.locked_rejected":             "Binance refused the key of bot %s when SmartradeX checked it from %s on %s (Binance code %d): the key was deleted, or its trusted IP list lacks that address",
			"verify.locked_unreachable":          "SmartradeX could not check the key of bot %s with Binance from %s (%s): Binance did not answer it",
			"verify.address_change":              "SmartradeX announced a new address: add %s to the key's trusted IPs before %s",
			"verify.last_check_failed":           "SmartradeX's last check of the key of bot %s (%s, from %s) found it %s%s: the bot cannot trade with it",
			"verify.binance_code":                " (Binance code %d)",
			"verify.locked_rotate_hint":          "to put a new key in its place: smartradex keys rotate --bot %s",
			"verify.registration_unchecked":      "the key of bot %s is kept on this computer but not yet checked by SmartradeX, nor registered: the bot cannot use it",
			"verify.outcome_refused":             "refused by SmartradeX's rules",
			"verify.outcome_deleted":             "deleted on Binance, or no longer trusting that address",
			"verify.outcome_rejected":            "rejected by Binance",
			"verify.outcome_unreachable":         "out of reach (Binance did not answer)",
			"verify.locked_no_check":             "the key of bot %s is locked to SmartradeX's addresses, and SmartradeX could not say what Binance shows it",
		}
	})
	register(FR, "verify", func() map[string]string {
		return map[string]string{
			"verify.secret_missing":              "le secret de la clé du bot %s n'est plus sur cet ordinateur, la clé ne peut donc pas être vérifiée",
			"verify.secret_missing_hint":         "ajoutez de nouveau la clé avec smartradex keys add --bot %s --replace (Binance n'affiche un secret qu'une fois : si vous ne l'avez plus, créez une nouvelle clé sur Binance)",
			"verify.registration_different":      "SmartradeX détient pour le bot %s une autre clé API que celle gardée ici",
			"verify.registration_different_hint": "pour envoyer cette clé, tapez smartradex keys add --bot %s --replace ; si l'autre clé est la bonne (ajoutée depuis un autre ordinateur), retirez celle-ci avec smartradex keys remove --keep-registration",
			"verify.registration_pending":        "la clé du bot %s n'est pas encore parvenue à SmartradeX, le bot ne peut donc pas trader avec",
			"verify.registration_missing":        "SmartradeX ne détient plus la clé du bot %s, le bot ne peut donc pas trader avec ; elle est maintenant marquée en attente d'envoi",
			"verify.sync_hint":                   "renvoyez-la avec smartradex keys sync",
			"verify.replace_hint":                "ou ajoutez-la de nouveau avec smartradex keys add --bot %s --replace",
			"verify.shared_subaccount":           "le bot %s utilise le même sous-compte Binance que %s (uid %s) : chaque bot a besoin de son propre sous-compte, sinon les bots tradent avec les fonds l'un de l'autre",
			"verify.shared_subaccount_hint":      "sur Binance, créez un sous-compte pour le bot %s (onglet Sous-compte, Créer un sous-compte), créez la clé dessus, et ajoutez-la avec smartradex keys add --replace",
			"verify.with_cause":                  "%s (%s)",
			"verify.awaiting_api_key":            "la clé générée pour le bot %s attend sa clé API, le bot ne peut donc pas encore trader avec",
			"verify.replacement_awaiting":        "une clé générée pour remplacer celle-ci attend sa clé API : quand Binance l'affiche, tapez : %s",
			"verify.locked_rejected":             "Binance a refusé la clé du bot %s quand SmartradeX l'a vérifiée depuis %s le %s (code Binance %d) : la clé a été supprimée, ou sa liste d'adresses IP de confiance ne contient pas cette adresse",
			"verify.locked_unreachable":          "SmartradeX n'a pas pu vérifier la clé du bot %s auprès de Binance depuis %s (%s) : Binance n'a pas répondu",
			"verify.address_change":              "SmartradeX a annoncé une nouvelle adresse : ajoutez %s aux adresses IP de confiance de la clé avant le %s",
			"verify.last_check_failed":           "la dernière vérification de la clé du bot %s par SmartradeX (%s, depuis %s) l'a trouvée %s%s : le bot ne peut pas trader avec",
			"verify.binance_code":                " (code Binance %d)",
			"verify.locked_rotate_hint":          "pour mettre une nouvelle clé à sa place : smartradex keys rotate --bot %s",
			"verify.registration_unchecked":      "la clé du bot %s est conservée sur cet ordinateur mais pas encore vérifiée par SmartradeX, ni enregistrée : le bot ne peut pas l'utiliser",
			"verify.outcome_refused":             "refusée par les règles de SmartradeX",
			"verify.outcome_deleted":             "supprimée sur Binance, ou ne faisant plus confiance à cette adresse",
			"verify.outcome_rejected":            "rejetée par Binance",
			"verify.outcome_unreachable":         "injoignable (Binance n'a pas répondu)",
			"verify.locked_no_check":             "la clé du bot %s est limitée aux adresses de SmartradeX, et SmartradeX n'a pas pu dire ce que Binance lui montre",
		}
	})
}
