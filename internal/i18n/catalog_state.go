package i18n

// Messages whose keys start with "state.": the local index, the vault key pins and the token's service record.
func init() {
	register(EN, "state", func() map[string]string {
		return map[string]string{
			"state.flag_config_dir":          "folder of the key index and of the encrypted secret file (env SMARTRADEX_CONFIG_DIR)",
			"state.no_config_dir":            "could not find your configuration folder",
			"state.no_config_dir_hint":       "choose one with --config-dir or SMARTRADEX_CONFIG_DIR",
			"state.io_read":                  "read",
			"state.io_write":                 "write",
			"state.io":                       "could not %s the key index %s",
			"state.io_hint":                  "check that you can write to the folder %s, or choose another folder with --config-dir",
			"state.index_corrupt":            "the key index %s is damaged",
			"state.index_corrupt_hint":       "it holds no secret: rename %s (for example to index.json.bak) and add your keys again with smartradex keys add",
			"state.index_newer":              "the key index %s was written by a newer version of smartradex",
			"state.index_newer_hint":         "install the latest smartradex from https://smartradex.fr, then run the command again",
			"state.locked":                   "another smartradex command is updating the key index %s",
			"state.locked_hint":              "wait for the other smartradex command to finish, then run this one again",
			"state.bot_locked":               "another smartradex command is working on bot %s",
			"state.bad_bot":                  "a bot name may hold only lower-case letters, digits and dashes",
			"state.token_service_unreadable": "the record of which SmartradeX service your saved token is for, %s, cannot be read: the token is sent nowhere",
			"state.token_service_hint":       "delete %s, then log in again with smartradex auth login (and --service-url for a service other than the production one)",
			"state.token_service_io":         "could not write the record of the saved token's service, %s",
			"state.vault_pins_unreadable":    "the trusted SmartradeX vault keys in %s cannot be read",
			"state.vault_pins_hint":          "restore %s from a backup, or delete it: the next registration will then trust the service's key as on first use",
		}
	})
	register(FR, "state", func() map[string]string {
		return map[string]string{
			"state.flag_config_dir":          "dossier de l'index des clés et du fichier de secrets chiffré (variable SMARTRADEX_CONFIG_DIR)",
			"state.no_config_dir":            "impossible de trouver votre dossier de configuration",
			"state.no_config_dir_hint":       "choisissez-en un avec --config-dir ou SMARTRADEX_CONFIG_DIR",
			"state.io_read":                  "de lire",
			"state.io_write":                 "d'écrire",
			"state.io":                       "impossible %s l'index des clés %s",
			"state.io_hint":                  "vérifiez que vous pouvez écrire dans le dossier %s, ou choisissez-en un autre avec --config-dir",
			"state.index_corrupt":            "l'index des clés %s est abîmé",
			"state.index_corrupt_hint":       "il ne contient aucun secret : renommez %s (par exemple en index.json.bak) et ajoutez de nouveau vos clés avec smartradex keys add",
			"state.index_newer":              "l'index des clés %s a été écrit par une version plus récente de smartradex",
			"state.index_newer_hint":         "installez la dernière version de smartradex depuis https://smartradex.fr, puis relancez la commande",
			"state.locked":                   "une autre commande smartradex met à jour l'index des clés %s",
			"state.locked_hint":              "attendez que l'autre commande smartradex se termine, puis relancez celle-ci",
			"state.bot_locked":               "une autre commande smartradex travaille sur le bot %s",
			"state.bad_bot":                  "un nom de bot ne peut contenir que des minuscules, des chiffres et des tirets",
			"state.token_service_unreadable": "la note indiquant à quel service SmartradeX est destiné votre jeton enregistré, %s, ne peut pas être lue : le jeton n'est envoyé nulle part",
			"state.token_service_hint":       "supprimez %s, puis connectez-vous à nouveau avec smartradex auth login (et --service-url pour un service autre que celui de production)",
			"state.token_service_io":         "impossible d'écrire la note du service du jeton enregistré, %s",
			"state.vault_pins_unreadable":    "les clés de coffre SmartradeX de confiance dans %s ne peuvent pas être lues",
			"state.vault_pins_hint":          "restaurez %s depuis une sauvegarde, ou supprimez-le : le prochain enregistrement fera alors confiance à la clé du service comme à la première utilisation",
		}
	})
}
