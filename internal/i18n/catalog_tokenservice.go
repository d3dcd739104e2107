package i18n

// Messages about the service a saved SmartradeX token belongs to
// (internal/cli/cmdutil's token resolution, internal/state's record, auth).
func init() {
	register(EN, map[string]string{
		"service.token_other_service":       "your saved SmartradeX token is for %s, not for %s, the service in use: nothing was sent",
		"service.token_other_service_login": "to use %[1]s, log in to it: smartradex auth login --service-url %[1]s",
		"service.token_other_service_env":   "to use the saved token, set SMARTRADEX_SERVICE_URL=%s (the service it is for), or remove --service-url and SMARTRADEX_SERVICE_URL: commands then use the service you logged in to",
		"service.token_record_stale":        "the saved SmartradeX token is not the one recorded for %s (it was replaced by another program, perhaps an earlier smartradex): it is sent nowhere",
		"service.token_record_stale_hint":   "log in again: smartradex auth login --service-url %s",
		"state.token_service_unreadable":    "the record of which SmartradeX service your saved token is for, %s, cannot be read: the token is sent nowhere",
		"state.token_service_hint":          "delete %s, then log in again with smartradex auth login (and --service-url for a service other than the production one)",
		"state.token_service_io":            "could not write the record of the saved token's service, %s",
		"auth.login.service":                "the token is for the SmartradeX service %s: commands given no other service use it",
		"auth.status.service":               "service: %s",
		"auth.logout.service":               "it was the token for the SmartradeX service %s",
	})
	register(FR, map[string]string{
		"service.token_other_service":       "votre jeton SmartradeX enregistré est pour %s, pas pour %s, le service utilisé : rien n'a été envoyé",
		"service.token_other_service_login": "pour utiliser %[1]s, connectez-vous-y : smartradex auth login --service-url %[1]s",
		"service.token_other_service_env":   "pour utiliser le jeton enregistré, définissez SMARTRADEX_SERVICE_URL=%s (le service auquel il est destiné), ou retirez --service-url et SMARTRADEX_SERVICE_URL : les commandes utilisent alors le service auquel vous êtes connecté",
		"service.token_record_stale":        "le jeton SmartradeX enregistré n'est pas celui noté pour %s (un autre programme l'a remplacé, peut-être une version antérieure de smartradex) : il n'est envoyé nulle part",
		"service.token_record_stale_hint":   "connectez-vous à nouveau : smartradex auth login --service-url %s",
		"state.token_service_unreadable":    "la note indiquant à quel service SmartradeX est destiné votre jeton enregistré, %s, ne peut pas être lue : le jeton n'est envoyé nulle part",
		"state.token_service_hint":          "supprimez %s, puis connectez-vous à nouveau avec smartradex auth login (et --service-url pour un service autre que celui de production)",
		"state.token_service_io":            "impossible d'écrire la note du service du jeton enregistré, %s",
		"auth.login.service":                "le jeton est destiné au service SmartradeX %s : les commandes auxquelles aucun autre service n'est donné l'utilisent",
		"auth.status.service":               "service : %s",
		"auth.logout.service":               "c'était le jeton du service SmartradeX %s",
	})
}
