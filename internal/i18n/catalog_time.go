package i18n

// Messages whose keys start with "time.": durations and moments in words.
func init() {
	register(EN, "time", func() map[string]string {
		return map[string]string{
			"time.seconds":        "%d s",
			"time.minutes":        "%d min",
			"time.hours":          "%d h",
			"time.hours_minutes":  "%d h %d min",
			"time.days":           "%d days",
			"time.days#one":       "%d day",
			"time.days_hours":     "%d days %d h",
			"time.days_hours#one": "%d day %d h",
			"time.at_clock":       "%s",
			"time.at_date":        "%s at %s",
		}
	})
	register(FR, "time", func() map[string]string {
		return map[string]string{
			"time.seconds":        "%d s",
			"time.minutes":        "%d min",
			"time.hours":          "%d h",
			"time.hours_minutes":  "%d h %d min",
			"time.days":           "%d jours",
			"time.days#one":       "%d jour",
			"time.days_hours":     "%d jours %d h",
			"time.days_hours#one": "%d jour %d h",
			"time.at_clock":       "%s",
			"time.at_date":        "le %s à %s",
		}
	})
}
