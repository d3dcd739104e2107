package i18n

// Messages of the vault key: sealing, pinning, the service's bot list.
func init() {
	register(EN, map[string]string{
		"service.vault_key_changed":            "SmartradeX's vault key at %s is not the trusted one: trusted %s (%s), now offered %s; nothing was sent",
		"service.vault_key_source.environment": "set by SMARTRADEX_VAULT_KEY_ID",
		"service.vault_key_source.accepted":    "accepted earlier on this computer",
		"service.vault_key_source.build":       "built into this release of smartradex",
		"service.vault_key_source.first_use":   "pinned on first use on this computer",
		"service.vault_key_declined":           "the vault key %s of %s was not trusted; nothing was sent",
		"service.vault_key_announced_hint":     "a new vault key is expected only if SmartradeX announced it (https://smartradex.fr); otherwise do not accept it and contact SmartradeX: the address may not be SmartradeX's service",
		"service.vault_key_accept_hint":        "to trust the key offered, run smartradex auth login (it shows the key and asks), or add --accept-vault-key %s to the command",
		"service.vault_key_env_hint":           "SMARTRADEX_VAULT_KEY_ID pins the trusted key: set it to %s, or unset it",
		"service.vault_key_flag_hint":          "--accept-vault-key names %s, but the service offers %s",
		"service.vault_key_rotated":            "SmartradeX changed its vault key while the key of bot %s was being sent; nothing was registered",
		"service.vault_key_pinned":             "SmartradeX vault key %s is trusted for %s from now on",
		"service.flag_accept_vault_key":        "trust the SmartradeX vault key with this ID (shown by auth login or by a refusal) and remember it",
		"auth.login.vault_key":                 "SmartradeX vault key: %s (secrets are sealed to it before they leave this computer)",
		"auth.login.vault_key_first":           "Trust the SmartradeX vault key %s of %s?",
		"auth.login.vault_key_first_help":      "Your Binance secrets will be sealed to this key; only SmartradeX can open them. Compare it with the one shown on https://smartradex.fr if you can.",
		"auth.login.vault_key_changed":         "SmartradeX's vault key at %s changed from %s to %s. Trust the new key?",
		"auth.login.vault_key_changed_help":    "Say yes only if SmartradeX announced a new vault key (https://smartradex.fr); otherwise the address may not be SmartradeX's service.",
		"auth.login.vault_key_unavailable":     "warning: the SmartradeX vault key could not be fetched (%s); it will be fetched before a key is registered",
	})
	register(FR, map[string]string{
		"service.vault_key_changed":            "la clé de coffre de SmartradeX à %s n'est pas celle de confiance : clé de confiance %s (%s), clé proposée maintenant %s ; rien n'a été envoyé",
		"service.vault_key_source.environment": "fixée par SMARTRADEX_VAULT_KEY_ID",
		"service.vault_key_source.accepted":    "acceptée auparavant sur cet ordinateur",
		"service.vault_key_source.build":       "intégrée à cette version de smartradex",
		"service.vault_key_source.first_use":   "retenue à la première utilisation sur cet ordinateur",
		"service.vault_key_declined":           "la clé de coffre %s de %s n'a pas été acceptée ; rien n'a été envoyé",
		"service.vault_key_announced_hint":     "une nouvelle clé de coffre n'est normale que si SmartradeX l'a annoncée (https://smartradex.fr) ; sinon ne l'acceptez pas et contactez SmartradeX : l'adresse n'est peut-être pas celle du service SmartradeX",
		"service.vault_key_accept_hint":        "pour faire confiance à la clé proposée, tapez smartradex auth login (il montre la clé et demande), ou ajoutez --accept-vault-key %s à la commande",
		"service.vault_key_env_hint":           "SMARTRADEX_VAULT_KEY_ID fixe la clé de confiance : mettez-y %s, ou retirez-la",
		"service.vault_key_flag_hint":          "--accept-vault-key désigne %s, mais le service propose %s",
		"service.vault_key_rotated":            "SmartradeX a changé sa clé de coffre pendant l'envoi de la clé du bot %s ; rien n'a été enregistré",
		"service.vault_key_pinned":             "la clé de coffre SmartradeX %s est désormais celle de confiance pour %s",
		"service.flag_accept_vault_key":        "faire confiance à la clé de coffre SmartradeX de cet identifiant (montré par auth login ou par un refus) et s'en souvenir",
		"auth.login.vault_key":                 "clé de coffre SmartradeX : %s (les secrets y sont scellés avant de quitter cet ordinateur)",
		"auth.login.vault_key_first":           "Faire confiance à la clé de coffre SmartradeX %s de %s ?",
		"auth.login.vault_key_first_help":      "Vos secrets Binance seront scellés avec cette clé ; seul SmartradeX peut les ouvrir. Comparez-la si possible avec celle affichée sur https://smartradex.fr.",
		"auth.login.vault_key_changed":         "La clé de coffre de SmartradeX à %s est passée de %s à %s. Faire confiance à la nouvelle clé ?",
		"auth.login.vault_key_changed_help":    "Répondez oui seulement si SmartradeX a annoncé une nouvelle clé de coffre (https://smartradex.fr) ; sinon l'adresse n'est peut-être pas celle du service SmartradeX.",
		"auth.login.vault_key_unavailable":     "attention : la clé de coffre SmartradeX n'a pas pu être obtenue (%s) ; elle le sera avant l'enregistrement d'une clé",
	})
}
