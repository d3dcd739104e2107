package i18n

import "time"

// Delay is a waiting time as people say it, rounded up to the unit shown:
// "45 s", "3 min", "2 h 5 min", "3 days 2 h".
func Delay(d time.Duration) Message {
	// A delay computed from a clock is a hair short of what was asked:
	// 59m59.99s is "1 h", not "60 min".
	d = d.Round(time.Second)
	if d < time.Second {
		d = time.Second
	}
	switch {
	case d < time.Minute:
		return M("time.seconds", int((d+time.Second-1)/time.Second))
	case d < time.Hour:
		return M("time.minutes", int((d+time.Minute-1)/time.Minute))
	case d < 24*time.Hour:
		m := int((d + time.Minute - 1) / time.Minute)
		if m%60 == 0 {
			return M("time.hours", m/60)
		}
		return M("time.hours_minutes", m/60, m%60)
	}
	h := int((d + time.Hour - 1) / time.Hour)
	if h%24 == 0 {
		return M("time.days", h/24)
	}
	return M("time.days_hours", h/24, h%24)
}

// At is a moment in the local time zone: the time of day when it is on
// now's date, else the date and the time.
func At(t, now time.Time) Message {
	t, now = t.Local(), now.Local()
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return M("time.at_clock", t.Format("15:04:05"))
	}
	return M("time.at_date", t.Format("2006-01-02"), t.Format("15:04"))
}
