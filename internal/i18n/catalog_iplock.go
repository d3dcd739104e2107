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

func init() {
	register(EN, map[string]string{
		"enroll.locked_rejected":         "Binance refused the key when SmartradeX checked it from %s (Binance code %d): the key's trusted IP list lacks %[1]s, or the key was deleted",
		"enroll.locked_rejected_unknown": "Binance refused the key when SmartradeX checked it from its address (Binance code %d): the key's trusted IP list lacks SmartradeX's addresses, or the key was deleted",
		"enroll.locked_add_ips_hint":     "on Binance, open the key's Edit restrictions, choose \"Restrict access to trusted IPs only\" and make sure the list holds all of SmartradeX's addresses: %s",
		"enroll.locked_deleted_hint":     "if the key no longer appears in Binance's API Management, create a new one",
		"enroll.locked_not_kept_hint":    "nothing was kept for bot %s: once the key is corrected on Binance, run the same command again",
		"enroll.locked_no_check":         "SmartradeX registered the key for bot %s without saying what Binance showed it",
		"enroll.locked_verify_hint":      "run smartradex keys verify --bot %s to have SmartradeX check it again",
		"enroll.unchecked_hint":          "the key of bot %s is kept on this computer as not yet checked: it is not accepted until SmartradeX has checked it from its addresses, which keys sync does",
	})
	register(FR, map[string]string{
		"enroll.locked_rejected":         "Binance a refusé la clé quand SmartradeX l'a vérifiée depuis %s (code Binance %d) : la liste d'adresses IP de confiance de la clé ne contient pas %[1]s, ou la clé a été supprimée",
		"enroll.locked_rejected_unknown": "Binance a refusé la clé quand SmartradeX l'a vérifiée depuis son adresse (code Binance %d) : la liste d'adresses IP de confiance de la clé ne contient pas les adresses de SmartradeX, ou la clé a été supprimée",
		"enroll.locked_add_ips_hint":     "sur Binance, ouvrez « Modifier les restrictions » de la clé, choisissez « Restreindre l'accès aux adresses IP de confiance uniquement » et vérifiez que la liste contient toutes les adresses de SmartradeX : %s",
		"enroll.locked_deleted_hint":     "si la clé n'apparaît plus dans la gestion des API de Binance, créez-en une nouvelle",
		"enroll.locked_not_kept_hint":    "rien n'a été conservé pour le bot %s : une fois la clé corrigée sur Binance, relancez la même commande",
		"enroll.locked_no_check":         "SmartradeX a enregistré la clé du bot %s sans dire ce que Binance lui a montré",
		"enroll.locked_verify_hint":      "lancez smartradex keys verify --bot %s pour que SmartradeX la vérifie à nouveau",
		"enroll.unchecked_hint":          "la clé du bot %s est conservée sur cet ordinateur comme non vérifiée : elle n'est pas acceptée tant que SmartradeX ne l'a pas vérifiée depuis ses adresses, ce que fait keys sync",
	})
}

func init() {
	register(EN, map[string]string{
		"keys.check.flag_bot":          "the bot whose SmartradeX service checks a key locked to its addresses (default: your first bot)",
		"keys.check.no_bot":            "your SmartradeX account has no bot, so SmartradeX cannot check a key locked to its addresses",
		"keys.check.no_bot_hint":       "subscribe to a bot on https://smartradex.fr, or give the bot with --bot",
		"keys.check.field_seen_from":   "Checked:",
		"keys.check.seen_from_service": "checked by SmartradeX from %s",
		"keys.check.locked_unchecked":  "This key is locked to trusted IPs: SmartradeX checks it from its own addresses as it registers it.",
		"keys.check.network_unknown":   "SmartradeX could not be asked whether keys must be locked to its addresses: this key was judged by the rule for unrestricted keys",
	})
	register(FR, map[string]string{
		"keys.check.flag_bot":          "le bot dont le service SmartradeX vérifie une clé restreinte à ses adresses (par défaut : votre premier bot)",
		"keys.check.no_bot":            "votre compte SmartradeX n'a aucun bot : SmartradeX ne peut pas vérifier une clé restreinte à ses adresses",
		"keys.check.no_bot_hint":       "abonnez-vous à un bot sur https://smartradex.fr, ou indiquez le bot avec --bot",
		"keys.check.field_seen_from":   "Vérifiée :",
		"keys.check.seen_from_service": "vérifiée par SmartradeX depuis %s",
		"keys.check.locked_unchecked":  "Cette clé est restreinte à des adresses IP de confiance : SmartradeX la vérifie depuis ses propres adresses en l'enregistrant.",
		"keys.check.network_unknown":   "SmartradeX n'a pas pu être interrogé pour savoir si les clés doivent être restreintes à ses adresses : cette clé a été jugée selon la règle des clés sans restriction",
	})
}

func init() {
	register(EN, map[string]string{
		"verify.locked_rejected":        "Binance refused the key of bot %s when SmartradeX checked it from %s on %s (Binance code %d): the key was deleted, or its trusted IP list lacks that address",
		"verify.locked_unreachable":     "SmartradeX could not check the key of bot %s with Binance from %s (%s): Binance did not answer it",
		"verify.address_change":         "SmartradeX announced a new address: add %s to the key's trusted IPs before %s",
		"verify.last_check_failed":      "SmartradeX's last check of the key of bot %s (%s, from %s) found it %s%s: the bot cannot trade with it",
		"verify.binance_code":           " (Binance code %d)",
		"verify.locked_rotate_hint":     "to put a new key in its place: smartradex keys rotate --bot %s",
		"verify.registration_unchecked": "the key of bot %s is kept on this computer but not yet checked by SmartradeX, nor registered: the bot cannot use it",
		"keys.verify.reg_unchecked":     "not yet checked by SmartradeX",
		"keys.list.status_unchecked":    "not yet checked by SmartradeX",
		"keys.list.unchecked_hint":      "the key of bot %s is not yet checked by SmartradeX, nor accepted: run smartradex keys sync once SmartradeX answers",
		"verify.outcome_refused":        "refused by SmartradeX's rules",
		"verify.outcome_deleted":        "deleted on Binance, or no longer trusting that address",
		"verify.outcome_rejected":       "rejected by Binance",
		"verify.outcome_unreachable":    "out of reach (Binance did not answer)",
	})
	register(FR, map[string]string{
		"verify.locked_rejected":        "Binance a refusé la clé du bot %s quand SmartradeX l'a vérifiée depuis %s le %s (code Binance %d) : la clé a été supprimée, ou sa liste d'adresses IP de confiance ne contient pas cette adresse",
		"verify.locked_unreachable":     "SmartradeX n'a pas pu vérifier la clé du bot %s auprès de Binance depuis %s (%s) : Binance n'a pas répondu",
		"verify.address_change":         "SmartradeX a annoncé une nouvelle adresse : ajoutez %s aux adresses IP de confiance de la clé avant le %s",
		"verify.last_check_failed":      "la dernière vérification de la clé du bot %s par SmartradeX (%s, depuis %s) l'a trouvée %s%s : le bot ne peut pas trader avec",
		"verify.binance_code":           " (code Binance %d)",
		"verify.locked_rotate_hint":     "pour mettre une nouvelle clé à sa place : smartradex keys rotate --bot %s",
		"verify.registration_unchecked": "la clé du bot %s est conservée sur cet ordinateur mais pas encore vérifiée par SmartradeX, ni enregistrée : le bot ne peut pas l'utiliser",
		"keys.verify.reg_unchecked":     "pas encore vérifiée par SmartradeX",
		"keys.list.status_unchecked":    "pas encore vérifiée par SmartradeX",
		"keys.list.unchecked_hint":      "la clé du bot %s n'est pas encore vérifiée par SmartradeX, ni acceptée : lancez smartradex keys sync quand SmartradeX répond",
		"verify.outcome_refused":        "refusée par les règles de SmartradeX",
		"verify.outcome_deleted":        "supprimée sur Binance, ou ne faisant plus confiance à cette adresse",
		"verify.outcome_rejected":       "rejetée par Binance",
		"verify.outcome_unreachable":    "injoignable (Binance n'a pas répondu)",
	})
}

// The guided "Edit restrictions" step for a key locked to SmartradeX's
// addresses. Binance's labels: "Restrict access to trusted IPs only
// (Recommended)" and its French form as the seed tutorial shows it; the
// other French labels are those of the unrestricted step.
func init() {
	register(EN, map[string]string{
		"onboard.step3_locked.title": "Edit restrictions: two rights, SmartradeX's addresses only",
		"onboard.step3_locked.body":  "Next to the new key, click \"Edit restrictions\":\n\n1. Tick \"Enable Reading\" and \"Enable Spot & Margin Trading\".\n2. Leave every other box unticked, \"Enable Withdrawals\" first: SmartradeX refuses a key that can move your funds.\n3. IP access restrictions: \"Restrict access to trusted IPs only (Recommended)\", then type this line in the field:\n\n    %s\n\n4. Click \"Save\".\n\nWhy: locked this way, the key keeps its trading right (Binance ends it after 30 days otherwise).",
	})
	register(FR, map[string]string{
		"onboard.step3_locked.title": "Modifier les restrictions : deux droits, les adresses de SmartradeX seulement",
		"onboard.step3_locked.body":  "Cliquez sur « Modifier les restrictions » de la nouvelle clé :\n\n1. Cochez « Permettre la lecture » et « Activer le trading Spot et sur marge ».\n2. Laissez les autres cases décochées, « Activer les retraits » d'abord : SmartradeX refuse une clé qui peut déplacer vos fonds.\n3. Restriction d'accès IP : « Restreindre l'accès aux adresses IP de confiance uniquement (recommandé) », puis tapez cette ligne dans le champ :\n\n    %s\n\n4. Cliquez sur « Enregistrer ». Ainsi limitée, la clé garde son droit de trading.",
	})
}

// The sandbox's demo keys locked to trusted IPs.
func init() {
	register(EN, map[string]string{
		"sandbox.demo.locked":           "locked to the sandbox service's address: Binance refuses it here, SmartradeX checks it and accepts it",
		"sandbox.demo.locked-elsewhere": "locked to another address: SmartradeX's check is refused by Binance (its address is missing)",
	})
	register(FR, map[string]string{
		"sandbox.demo.locked":           "limitée à l'adresse du service du bac à sable : Binance la refuse ici, SmartradeX la vérifie et l'accepte",
		"sandbox.demo.locked-elsewhere": "limitée à une autre adresse : Binance refuse la vérification de SmartradeX (son adresse manque)",
	})
}

// The summary of keys add for a locked key SmartradeX has not checked.
func init() {
	register(EN, map[string]string{
		"onboard.summary.unchecked":   "Your API key for %s is stored on this computer, not yet checked: SmartradeX could not be reached to check it",
		"onboard.summary.not_checked": "not known until SmartradeX has checked the key",
	})
	register(FR, map[string]string{
		"onboard.summary.unchecked":   "Votre clé API pour %s est rangée sur cet ordinateur, pas encore vérifiée : SmartradeX n'a pas pu être joint pour la vérifier",
		"onboard.summary.not_checked": "inconnue tant que SmartradeX n'a pas vérifié la clé",
	})
}

func init() {
	register(EN, map[string]string{
		"verify.locked_no_check": "the key of bot %s is locked to SmartradeX's addresses, and SmartradeX could not say what Binance shows it",
	})
	register(FR, map[string]string{
		"verify.locked_no_check": "la clé du bot %s est limitée aux adresses de SmartradeX, et SmartradeX n'a pas pu dire ce que Binance lui montre",
	})
}

func init() {
	register(EN, map[string]string{
		"enroll.locked_needs_service": "this key is locked to trusted IPs: Binance answers it only there, so only SmartradeX can check it from its addresses",
	})
	register(FR, map[string]string{
		"enroll.locked_needs_service": "cette clé est limitée à des IP de confiance : Binance ne lui répond que là, donc seul SmartradeX peut la vérifier depuis ses adresses",
	})
}

func init() {
	register(EN, map[string]string{
		"enroll.seen_refused":      "SmartradeX registered the key for bot %s, but what Binance showed it breaks %d of this smartradex's rules",
		"enroll.seen_refused_hint": "update smartradex; if the problems remain, take the key back with smartradex keys remove --bot %s",
	})
	register(FR, map[string]string{
		"enroll.seen_refused":      "SmartradeX a enregistré la clé du bot %s, mais ce que Binance lui a montré enfreint %d règles de ce smartradex",
		"enroll.seen_refused_hint": "mettez smartradex à jour ; si les problèmes restent, retirez la clé avec smartradex keys remove --bot %s",
	})
}

func init() {
	register(EN, map[string]string{
		"enroll.seen_conflict_hint": "SmartradeX registered it before the sub-account was known: take it back with smartradex keys remove --bot %s",
	})
	register(FR, map[string]string{
		"enroll.seen_conflict_hint": "SmartradeX l'a enregistrée avant que le sous-compte ne soit connu : retirez-la avec smartradex keys remove --bot %s",
	})
}
