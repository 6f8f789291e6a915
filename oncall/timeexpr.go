package oncall

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TimeForms is the usage text for time expressions, for error answers.
const TimeForms = "now, +8h, +30m, +1h30m, +2d, 09:00, today 18:00, tomorrow 09:00, mon 09:00, 2026-12-01 09:00"

// maxAhead bounds relative expressions: nothing on call is planned further.
const maxAhead = 366 * 24 * time.Hour

// weekdayNames are the day names schedules, time expressions and due dates
// accept, lowercase; ParseWeekday reads them.
var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// ParseWeekday reads a day of the week, short or long (mon, monday), in
// any case. It is the one list of day names: the config's active days and
// maintenance days, time expressions and due dates all read it.
func ParseWeekday(s string) (time.Weekday, bool) {
	wd, ok := weekdayNames[strings.ToLower(s)]
	return wd, ok
}

// ParseTime reads a time as /oncall override takes it, in the zone loc (the
// schedule's), relative to now. Case and surrounding space do not matter.
//
//	now                 now, to the second
//	+8h  +30m  +1h30m   that long after now (h and m, as Go durations)
//	+2d                 that many days later at the same local time
//	09:00               the next 09:00 strictly after now: today if it is
//	                    still ahead, else tomorrow
//	today 18:00         today at 18:00, even if that has passed
//	tomorrow 09:00      tomorrow at 09:00
//	mon 09:00           the next Monday at 09:00 strictly after now (today
//	                    if it is Monday and 09:00 is still ahead)
//	2026-12-01 09:00    that local date and time (also 2026-12-01T09:00);
//	2026-12-01          that date at 00:00
//
// A local time that happens twice (clocks go back) means the first; one
// that does not exist (clocks jump forward) is an error. Every error wraps
// ErrBadTime.
func ParseTime(s string, now time.Time, loc *time.Location) (time.Time, error) {
	return parseTime(s, now, now, loc)
}

// ParseRange reads the from and to of an override: each as ParseTime reads
// it, except that a relative to ("+8h", "+2d") counts from from. to must be
// after from.
func ParseRange(from, to string, now time.Time, loc *time.Location) (time.Time, time.Time, error) {
	f, err := parseTime(from, now, now, loc)
	if err != nil {
		return time.Time{}, time.Time{}, inField("from", err)
	}
	t, err := parseTime(to, now, f, loc)
	if err != nil {
		return time.Time{}, time.Time{}, inField("to", err)
	}
	if !t.After(f) {
		return time.Time{}, time.Time{}, &TimeError{Name: TimeOrder,
			Data: map[string]string{"to": t.Format("2006-01-02 15:04"), "from": f.Format("2006-01-02 15:04")}}
	}
	return f, t, nil
}

// inField marks a TimeError as the from's or the to's.
func inField(field string, err error) error {
	if te, ok := err.(*TimeError); ok {
		c := *te
		c.Field = field
		return &c
	}
	return fmt.Errorf("%s: %w", field, err)
}

func badTime(s, name, why string, data map[string]string) error {
	return &TimeError{Input: s, Name: name, Data: data, why: why}
}

func parseTime(s string, now, base time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	if len(s) > 64 {
		return time.Time{}, badTime(s[:64]+"…", TimeTooLong, "too long", nil)
	}
	in := strings.ToLower(strings.Join(strings.Fields(s), " "))
	now = now.In(loc).Truncate(time.Second)
	base = base.In(loc).Truncate(time.Second)
	switch {
	case in == "":
		return time.Time{}, badTime(s, TimeEmpty, "no time given", nil)
	case in == "now":
		return now, nil
	case in[0] == '+':
		return relative(s, in[1:], base)
	}
	z := newZone(loc)
	nowWall := z.wall(now.Unix())
	today := floorDiv(nowWall, 1440)
	day, clock, hasDay := strings.Cut(in, " ")
	if !hasDay {
		if _, err := ParseTimeOfDay(in); err == nil { // "09:00"
			day, clock = "", in
		} else {
			day, clock = in, "00:00"
		}
	}
	tod, err := ParseTimeOfDay(clock)
	if err != nil || tod == 24*60 {
		return time.Time{}, badTime(s, TimeNotClock, fmt.Sprintf("%q is not a time of day HH:MM", clock), map[string]string{"clock": clock})
	}
	var w int64
	if day == "" {
		w = today*1440 + int64(tod)
		if w <= nowWall {
			w += 1440
		}
	} else {
		d, kind := localDay(day, today)
		if kind == notADay {
			date, rest, hasT := strings.Cut(day, "t")
			if hasT {
				if hasDay {
					return time.Time{}, badTime(s, TimeDateWithT, "a date with T takes its time after the T only", nil)
				}
				if tod, err = ParseTimeOfDay(rest); err != nil || tod == 24*60 {
					return time.Time{}, badTime(s, TimeNotClock, fmt.Sprintf("%q is not a time of day HH:MM", rest), map[string]string{"clock": rest})
				}
			}
			var ok bool
			if d, ok = dateDay(date); !ok {
				return time.Time{}, badTime(s, TimeNotDay, fmt.Sprintf("%q is neither a day (today, tomorrow, mon…sun) nor a date YYYY-MM-DD", day), map[string]string{"day": day})
			}
			kind = aDate
		}
		if kind == aDate && d < 0 { // before 1970; a four-digit year cannot pass 9999
			return time.Time{}, badTime(s, TimeYearRange, "year out of range", nil)
		}
		w = d*1440 + int64(tod)
		if kind == aWeekday && w <= nowWall {
			w += 7 * 1440 // a weekday means the next one strictly ahead
		}
	}
	if !z.exists(w) {
		return time.Time{}, &TimeError{Input: s, Name: TimeGap,
			Data: map[string]string{"wall": wallTime(w).Format("2006-01-02 15:04"), "zone": loc.String()}}
	}
	return time.Unix(z.instant(w), 0).In(loc), nil
}

// relative reads the part after "+".
func relative(orig, s string, base time.Time) (time.Time, error) {
	if strings.HasSuffix(s, "d") {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err != nil || n < 1 || n > int(maxAhead/(24*time.Hour)) || !digits(strings.TrimSuffix(s, "d")) {
			return time.Time{}, badTime(orig, TimeBadDays, "want a number of days from 1 to 366, like +2d", nil)
		}
		z := newZone(base.Location())
		w := z.wall(base.Unix()) + int64(n)*1440
		sec := base.Unix() - base.Unix()%60 // keep the seconds of base
		return time.Unix(z.instant(w)+(base.Unix()-sec), 0).In(base.Location()), nil
	}
	if s == "" || s[0] == '-' || s[0] == '+' {
		return time.Time{}, badTime(orig, TimeBadRelative, "want a duration after +, like +8h or +30m", nil)
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return time.Time{}, badTime(orig, TimeBadRelative, "want a duration after +, like +8h or +30m", nil)
	case d <= 0:
		return time.Time{}, badTime(orig, TimeNotAhead, "must be ahead of now", nil)
	case d > maxAhead:
		return time.Time{}, badTime(orig, TimeTooFar, "at most 366 days ahead", nil)
	}
	return base.Add(d).Truncate(time.Second), nil
}

// dayKind says how localDay read a day.
type dayKind int

const (
	notADay  dayKind = iota
	aDayWord         // today, tomorrow
	aWeekday         // mon … sunday: the first one on or after today
	aDate            // YYYY-MM-DD
)

// localDay reads the day words time expressions and due dates share —
// today, tomorrow, a weekday, a date YYYY-MM-DD — as a local day number
// (days since 1970-01-01 on the local calendar). A weekday is the first one
// on or after today: the caller moves it a week on when it is not ahead.
func localDay(word string, today int64) (int64, dayKind) {
	switch word {
	case "today":
		return today, aDayWord
	case "tomorrow":
		return today + 1, aDayWord
	}
	if wd, ok := ParseWeekday(word); ok {
		return today + mod(int64(wd)-int64(weekdayOf(today)), 7), aWeekday
	}
	if d, ok := dateDay(word); ok {
		return d, aDate
	}
	return 0, notADay
}

// dateDay reads a date YYYY-MM-DD as a day number.
func dateDay(s string) (int64, bool) {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return 0, false
	}
	return floorDiv(d.Unix(), 86400), true
}

// DueForms is the usage text for due dates, for answers.
const DueForms = "2026-12-24, today, tomorrow, +3d, +2w, fri"

// maxDueAhead bounds a due date: follow-ups are planned within years, not ages.
const maxDueAhead = 5 * 366 * 24 * time.Hour

// DueError is a due date DueDate cannot read.
type DueError struct {
	Input  string // as typed, lowercased and trimmed
	TooFar bool   // a date, but more than five years ahead
}

func (e *DueError) Error() string {
	if e.TooFar {
		return fmt.Sprintf("%q is too far ahead for a due date", e.Input)
	}
	return fmt.Sprintf("%q is not a due date (%s)", e.Input, DueForms)
}

// DueDate reads the due date of a follow-up, relative to now in the zone
// loc, as the end of that day (23:59:59 local): a day as ParseTime reads
// one (2026-12-24, today, tomorrow, a weekday: the next one after today),
// or +3d, +2w from today. A past date is accepted. Every error is a
// *DueError.
func DueDate(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	s = strings.ToLower(strings.TrimSpace(s))
	z := newZone(loc)
	today := floorDiv(z.wall(now.Unix()), 1440)
	day, kind := localDay(s, today)
	if n, ok := dueDaysAhead(s); ok {
		day, kind = today+n, aDayWord
	} else if kind == aWeekday && day == today {
		day += 7
	}
	if kind == notADay {
		return time.Time{}, &DueError{Input: s}
	}
	y, m, d := wallTime(day * 1440).Date()
	end := time.Date(y, m, d, 23, 59, 59, 0, loc)
	if end.Sub(now) > maxDueAhead {
		return time.Time{}, &DueError{Input: s, TooFar: true}
	}
	return end.UTC(), nil
}

// dueDaysAhead reads +3d or +2w (0 to 3660 of them) as days from today.
func dueDaysAhead(s string) (int64, bool) {
	num, ok := strings.CutPrefix(s, "+")
	if !ok || len(num) < 2 {
		return 0, false
	}
	per := int64(1)
	switch num[len(num)-1] {
	case 'd':
	case 'w':
		per = 7
	default:
		return 0, false
	}
	n, err := strconv.Atoi(num[:len(num)-1])
	if err != nil || !digits(num[:len(num)-1]) || n > 3660 {
		return 0, false
	}
	return int64(n) * per, true
}
