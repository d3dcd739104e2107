package i18n

// Messages whose keys start with "help.": help topics: environment, exit codes.
func init() {
	register(EN, "help", func() map[string]string {
		return map[string]string{
			"help.usage":             "Usage:",
			"help.aliases":           "Aliases:",
			"help.examples":          "Examples:",
			"help.commands":          "Available commands:",
			"help.flags":             "Flags:",
			"help.global_flags":      "Global flags:",
			"help.topics":            "Additional help topics:",
			"help.more":              "Use \"%s [command] --help\" for more information about a command.",
			"help.cmd_short":         "Help about any command",
			"help.cmd_long":          "Help provides help for any command in the application.\nSimply type smartradex help [path to command] for full details.",
			"help.flag":              "help for %s",
			"help.exit_codes.short":  "Exit codes returned by smartradex",
			"help.exit_codes.long":   "smartradex ends with one of these exit codes, in every mode:\n\n  0    success\n  1    unexpected error (including a secret store that cannot be used)\n  2    usage error or malformed input (bad flag, unknown bot, a key of the wrong shape)\n  3    the key was refused: it has a right SmartradeX does not accept, shares a sub-account\n       with another bot, or the service refused it (409, 422, including a key whose rights, as\n       Binance shows them to SmartradeX's addresses, are refused); or the service's vault key is\n       not the trusted one (nothing was sent)\n  4    credentials rejected: Binance refused the key or its secret (-2014, -2015, or -1022\n       after a clock resync), from this computer or from SmartradeX's addresses (a key whose\n       trusted IPs lack them), or the SmartradeX service refused the token or the subscription\n  5    a remote (Binance or SmartradeX) could not be reached or kept failing after retries\n  130  cancelled by the user (Ctrl-C, or a confirmation declined)\n\nWith --json, a failure that has no JSON result of its own prints\n{\"ok\": false, \"error\": {\"code\", \"message\", \"hints\", \"exit_code\"}} on standard output.",
			"help.environment.short": "Environment variables read by smartradex",
			"help.environment.long":  "Language:\nSMARTRADEX_LANG             language of messages (en, fr)\n\nInput, for scripts (no flag ever takes a secret):\nSMARTRADEX_API_KEY          the Binance API key (or --api-key)\nSMARTRADEX_API_SECRET       the Binance API secret (prefer --secret-stdin)\nSMARTRADEX_TOKEN            the SmartradeX access token; overrides the stored login, and is sent to the service in use\nSMARTRADEX_PASSPHRASE       the passphrase of the encrypted file store, when there is no terminal\n\nWhere things are:\nSMARTRADEX_CONFIG_DIR       the configuration directory (or --config-dir)\nSMARTRADEX_KEYRING          system (default) or file (or --keyring)\nSMARTRADEX_KEYRING_TIMEOUT  the longest one keyring call may take, e.g. 5s (default 3s)\nSMARTRADEX_HTTP_TIMEOUT     the longest one request to Binance or SmartradeX may take, e.g. 30s (default 10s and 15s)\nSMARTRADEX_BINANCE_URL      base URL of the Binance API (or --binance-url)\nSMARTRADEX_SERVICE_URL      base URL of the SmartradeX API (or --service-url); unset, commands use the service\n                            the saved token is for (auth login: production); the saved token is never\n                            sent to another service: the command stops with exit code 4\nSMARTRADEX_VAULT_KEY_ID     the ID of the SmartradeX vault key to trust (see auth login)\nSMARTRADEX_SANDBOX          1 runs every command against the offline sandbox (or --sandbox)\nSMARTRADEX_SANDBOX_DIR      where the sandbox keeps its state\n\nTerminal:\nSMARTRADEX_ACCESSIBLE, ACCESSIBLE  1 asks questions as plain lines, for screen readers\nNO_COLOR                    disable colors\nLC_ALL, LC_MESSAGES, LANG   a French locale selects French messages\nHTTPS_PROXY, HTTP_PROXY, NO_PROXY  proxy settings, as for every Go program",
		}
	})
	register(FR, "help", func() map[string]string {
		return map[string]string{
			"help.usage":             "Utilisation :",
			"help.aliases":           "Alias :",
			"help.examples":          "Exemples :",
			"help.commands":          "Commandes disponibles :",
			"help.flags":             "Options :",
			"help.global_flags":      "Options globales :",
			"help.topics":            "Autres rubriques d'aide :",
			"help.more":              "Tapez \"%s [commande] --help\" pour en savoir plus sur une commande.",
			"help.cmd_short":         "Aide sur n'importe quelle commande",
			"help.cmd_long":          "Affiche l'aide de n'importe quelle commande.\nTapez smartradex help [chemin de la commande] pour tous les détails.",
			"help.flag":              "aide pour %s",
			"help.exit_codes.short":  "Codes de sortie de smartradex",
			"help.exit_codes.long":   "smartradex se termine avec l'un de ces codes de sortie, dans tous les modes :\n\n  0    succès\n  1    erreur inattendue (y compris un coffre à secrets inutilisable)\n  2    erreur d'utilisation ou saisie mal formée (option invalide, bot inconnu, clé de mauvaise forme)\n  3    clé refusée : elle a un droit que SmartradeX n'accepte pas, partage un sous-compte\n       avec un autre bot, ou le service l'a refusée (409, 422, y compris une clé dont les droits, tels\n       que Binance les montre aux adresses de SmartradeX, sont refusés) ; ou la clé de coffre du\n       service n'est pas celle de confiance (rien n'a été envoyé)\n  4    identifiants rejetés : Binance a refusé la clé ou son secret (-2014, -2015, ou -1022\n       après resynchronisation de l'horloge), depuis cet ordinateur ou depuis les adresses de\n       SmartradeX (une clé dont les IP de confiance ne les contiennent pas), ou le service\n       SmartradeX a refusé le jeton ou l'abonnement\n  5    un service distant (Binance ou SmartradeX) injoignable ou toujours en échec après plusieurs essais\n  130  annulé par l'utilisateur (Ctrl-C, ou confirmation refusée)\n\nAvec --json, un échec qui n'a pas de résultat JSON propre affiche\n{\"ok\": false, \"error\": {\"code\", \"message\", \"hints\", \"exit_code\"}} sur la sortie standard.",
			"help.environment.short": "Variables d'environnement lues par smartradex",
			"help.environment.long":  "Langue :\nSMARTRADEX_LANG             langue des messages (fr, en)\n\nSaisie, pour les scripts (aucune option ne prend jamais un secret) :\nSMARTRADEX_API_KEY          la clé API Binance (ou --api-key)\nSMARTRADEX_API_SECRET       le secret API Binance (préférez --secret-stdin)\nSMARTRADEX_TOKEN            le jeton d'accès SmartradeX ; remplace la connexion enregistrée, et est envoyé au service utilisé\nSMARTRADEX_PASSPHRASE       la phrase secrète du fichier chiffré, quand il n'y a pas de terminal\n\nEmplacements :\nSMARTRADEX_CONFIG_DIR       le dossier de configuration (ou --config-dir)\nSMARTRADEX_KEYRING          system (par défaut) ou file (ou --keyring)\nSMARTRADEX_KEYRING_TIMEOUT  la durée maximale d'un appel au trousseau, par ex. 5s (3s par défaut)\nSMARTRADEX_HTTP_TIMEOUT     la durée maximale d'une requête à Binance ou à SmartradeX, par ex. 30s (10s et 15s par défaut)\nSMARTRADEX_BINANCE_URL      URL de base de l'API Binance (ou --binance-url)\nSMARTRADEX_SERVICE_URL      URL de base de l'API SmartradeX (ou --service-url) ; sans elle, les commandes utilisent\n                            le service du jeton enregistré (auth login : la production) ; le jeton enregistré\n                            n'est jamais envoyé à un autre service : la commande s'arrête avec le code 4\nSMARTRADEX_VAULT_KEY_ID     l'identifiant de la clé de coffre SmartradeX de confiance (voir auth login)\nSMARTRADEX_SANDBOX          1 lance chaque commande dans le bac à sable hors ligne (ou --sandbox)\nSMARTRADEX_SANDBOX_DIR      où le bac à sable garde son état\n\nTerminal :\nSMARTRADEX_ACCESSIBLE, ACCESSIBLE  1 pose les questions en lignes simples, pour les lecteurs d'écran\nNO_COLOR                    désactiver les couleurs\nLC_ALL, LC_MESSAGES, LANG   une locale française choisit les messages en français\nHTTPS_PROXY, HTTP_PROXY, NO_PROXY  réglages de proxy, comme pour tout programme Go",
		}
	})
}
