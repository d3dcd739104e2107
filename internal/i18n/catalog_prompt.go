package i18n

// Messages whose keys start with "prompt.": questions: key help lines, confirmations, menus.
func init() {
	register(EN, "prompt", func() map[string]string {
		return map[string]string{
			"prompt.sandbox_label":           "SANDBOX",
			"prompt.yes":                     "Yes",
			"prompt.no":                      "No",
			"prompt.key.next":                "next",
			"prompt.key.back":                "back",
			"prompt.key.submit":              "submit",
			"prompt.key.toggle":              "change",
			"prompt.key.up":                  "up",
			"prompt.key.down":                "down",
			"prompt.key.select":              "choose",
			"prompt.key.filter":              "filter",
			"prompt.key.set_filter":          "keep filter",
			"prompt.key.clear_filter":        "clear filter",
			"prompt.key.half_page_up":        "½ page up",
			"prompt.key.half_page_down":      "½ page down",
			"prompt.key.go_to_start":         "go to start",
			"prompt.key.go_to_end":           "go to end",
			"prompt.key.complete":            "complete",
			"prompt.line.yn_default_yes":     "[Y/n]",
			"prompt.line.yn_default_no":      "[y/N]",
			"prompt.line.bad_bool":           "answer y (yes) or n (no), then press Enter",
			"prompt.line.choose":             "type a number from 1 to %d, then press Enter",
			"prompt.line.choose_default":     "type a number from 1 to %d, then press Enter (Enter alone keeps %d)",
			"prompt.line.bad_choice":         "%q is not one of the choices: type a number from 1 to %d",
			"prompt.secret_needs_terminal":   "a secret can only be typed in a terminal, so that it is not shown",
			"prompt.secret_needs_terminal_h": "run the command in a terminal, or give the secret without a prompt (see the command's --help)",
			"prompt.terminal_failed":         "the terminal could not show the question",
			"prompt.terminal_failed_hint":    "run the command again in a terminal window, or with --no-input and the values as flags (see --help)",
		}
	})
	register(FR, "prompt", func() map[string]string {
		return map[string]string{
			"prompt.sandbox_label":           "BAC À SABLE",
			"prompt.yes":                     "Oui",
			"prompt.no":                      "Non",
			"prompt.key.next":                "suivant",
			"prompt.key.back":                "retour",
			"prompt.key.submit":              "valider",
			"prompt.key.toggle":              "changer",
			"prompt.key.up":                  "haut",
			"prompt.key.down":                "bas",
			"prompt.key.select":              "choisir",
			"prompt.key.filter":              "filtrer",
			"prompt.key.set_filter":          "garder le filtre",
			"prompt.key.clear_filter":        "effacer le filtre",
			"prompt.key.half_page_up":        "½ page vers le haut",
			"prompt.key.half_page_down":      "½ page vers le bas",
			"prompt.key.go_to_start":         "aller au début",
			"prompt.key.go_to_end":           "aller à la fin",
			"prompt.key.complete":            "compléter",
			"prompt.line.yn_default_yes":     "[O/n]",
			"prompt.line.yn_default_no":      "[o/N]",
			"prompt.line.bad_bool":           "répondez o (oui) ou n (non), puis appuyez sur Entrée",
			"prompt.line.choose":             "tapez un nombre de 1 à %d, puis appuyez sur Entrée",
			"prompt.line.choose_default":     "tapez un nombre de 1 à %d, puis appuyez sur Entrée (Entrée seule garde %d)",
			"prompt.line.bad_choice":         "%q ne fait pas partie des choix : tapez un nombre de 1 à %d",
			"prompt.secret_needs_terminal":   "un secret ne peut être saisi que dans un terminal, pour qu'il ne s'affiche pas",
			"prompt.secret_needs_terminal_h": "lancez la commande dans un terminal, ou donnez le secret sans question (voir --help de la commande)",
			"prompt.terminal_failed":         "le terminal n'a pas pu afficher la question",
			"prompt.terminal_failed_hint":    "relancez la commande dans une fenêtre de terminal, ou avec --no-input et les valeurs en options (voir --help)",
		}
	})
}
