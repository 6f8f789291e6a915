package oncall

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Schedule is an on-call schedule made of rotation layers.
type Schedule struct {
	Name      string
	Timezone  *time.Location // handoffs, windows and "out of hours" are local to it
	Channel   string         // "#name" or channel ID for handoff messages; may be empty
	Usergroup string         // usergroup handle or ID kept equal to who is on call; may be empty
	// Rotations are layers; a later layer wins wherever it is active, and the
	// one below shows through where it is not.
	Rotations []Rotation
}

// RotationType is how a rotation's shifts are cut.
type RotationType string

// Rotation types.
const (
	RotationHourly  RotationType = "hourly"
	RotationDaily   RotationType = "daily"
	RotationWeekly  RotationType = "weekly"
	RotationMonthly RotationType = "monthly" // calendar months, on Start's day of the month
	RotationCustom  RotationType = "custom"  // shifts of ShiftLength
)

// rotationTypes lists the valid types, for messages.
var rotationTypes = []RotationType{RotationHourly, RotationDaily, RotationWeekly, RotationMonthly, RotationCustom}

// maxShiftLength bounds custom shifts; a longer one is a typo.
const maxShiftLength = 366 * 24 * time.Hour

// Rotation is one layer of a schedule: members take turns, in order, from
// Start.
//
// Hourly shifts change hands every hour at Start's minute; custom shifts every
// ShiftLength of wall-clock time from Start. Daily, weekly and monthly shifts
// change hands at HandoffTime: daily every day, weekly on Start's weekday,
// monthly on Start's day of the month (the month's last day in shorter
// months). The first member's first shift begins at Start and runs to the
// next handoff; before Start the layer is inactive.
type Rotation struct {
	Name string
	Type RotationType
	// Start is when the first member's first shift begins.
	Start time.Time
	// HandoffTime is the local time of day daily, weekly and monthly shifts
	// change hands.
	HandoffTime TimeOfDay
	// ShiftLength is the length of one custom shift, a whole number of
	// minutes. For the other types it is informational (1h, 24h, 168h; 0 for
	// monthly) and ignored.
	ShiftLength time.Duration
	// Members are Slack user IDs (U…, W…) or emails, in rotation order.
	Members []string
	// Active limits when the layer applies; nil = always.
	Active *Active
}

// Active limits a rotation layer to windows on some days and hours, local to
// the schedule's zone.
type Active struct {
	// Days the windows start on; empty = every day.
	Days []time.Weekday
	// From and To bound the window of each day. To at or before From runs
	// past midnight into the next day; 00:00 to 24:00 is the whole day.
	From, To TimeOfDay
}

// TimeOfDay is minutes since midnight, 0 to 1440 (24:00).
type TimeOfDay int

// String formats the time of day as HH:MM.
func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", int(t)/60, int(t)%60) }

// Duration returns the time of day as an offset from midnight.
func (t TimeOfDay) Duration() time.Duration { return time.Duration(t) * time.Minute }

// ParseTimeOfDay parses H:MM or HH:MM, 00:00 to 24:00.
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(hh) < 1 || len(hh) > 2 || len(mm) != 2 || !digits(hh) || !digits(mm) {
		return 0, fmt.Errorf("%w: %q is not HH:MM", ErrBadTime, s)
	}
	h, _ := strconv.Atoi(hh)
	m, _ := strconv.Atoi(mm)
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%w: %q is out of range (00:00 to 24:00)", ErrBadTime, s)
	}
	return TimeOfDay(h*60 + m), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

var (
	nameRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	userIDRe = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	emailRe  = regexp.MustCompile(`^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$`)
	chNameRe = regexp.MustCompile(`^#[a-z0-9_-][a-z0-9_.-]{0,79}$`)
	chIDRe   = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
)

// ValidName reports whether s is a valid schedule or policy name: lowercase
// letters, digits, - and _, at most 64.
func ValidName(s string) bool { return nameRe.MatchString(s) }

// IsUserID reports whether s looks like a Slack user ID (U…, W…).
func IsUserID(s string) bool { return userIDRe.MatchString(s) }

// IsEmail reports whether s looks like an email address.
func IsEmail(s string) bool { return emailRe.MatchString(s) }

// IsChannel reports whether s is "#name" or a channel ID.
func IsChannel(s string) bool { return chNameRe.MatchString(s) || chIDRe.MatchString(s) }

// Validate checks the schedule; the error is FieldErrors with paths such as
// "rotations[1].members[0]".
func (s Schedule) Validate() error {
	var f fields
	if !ValidName(s.Name) {
		f.add("name", "%q is not a valid name (use lowercase letters, digits, - and _; at most 64)", s.Name)
	}
	if s.Timezone == nil {
		f.add("timezone", "is required")
	}
	if s.Channel != "" && !IsChannel(s.Channel) {
		f.add("channel", "%q is not a channel", s.Channel)
	}
	if len(s.Rotations) == 0 {
		f.add("rotations", "at least one rotation is required")
	}
	names := map[string]int{}
	for i, r := range s.Rotations {
		p := index("rotations", i)
		f.nest(p, r.Validate())
		if first, dup := names[r.Name]; dup && r.Name != "" {
			f.add(join(p, "name"), "duplicate rotation %q (first: rotations[%d])", r.Name, first)
		} else {
			names[r.Name] = i
		}
	}
	return f.err()
}

// Validate checks the rotation; the error is FieldErrors.
func (r Rotation) Validate() error {
	var f fields
	if strings.TrimSpace(r.Name) == "" {
		f.add("name", "is required")
	}
	if !slices.Contains(rotationTypes, r.Type) {
		f.add("type", "unknown rotation type %q (use hourly, daily, weekly, monthly or custom)", r.Type)
	}
	if r.Start.IsZero() {
		f.add("start", "is required")
	} else if y := r.Start.Year(); y < 1900 || y > 9999 {
		f.add("start", "year %d is out of range", y)
	}
	if r.HandoffTime < 0 || r.HandoffTime >= 24*60 {
		f.add("handoff_time", "must be 00:00 to 23:59, got %d minutes", int(r.HandoffTime))
	}
	if r.Type == RotationCustom {
		switch {
		case r.ShiftLength < time.Minute:
			f.add("shift_length", "must be at least 1m, got %s", r.ShiftLength)
		case r.ShiftLength > maxShiftLength:
			f.add("shift_length", "must be at most %s, got %s", maxShiftLength, r.ShiftLength)
		case r.ShiftLength%time.Minute != 0:
			f.add("shift_length", "must be a whole number of minutes, got %s", r.ShiftLength)
		}
	}
	if len(r.Members) == 0 {
		f.add("members", "at least one member is required")
	}
	for i, m := range r.Members {
		if !IsUserID(m) && !IsEmail(m) {
			f.add(index("members", i), "%q is neither a Slack user ID (like U0123ABCD) nor an email", m)
		}
	}
	if r.Active != nil {
		f.nest("active", r.Active.Validate())
	}
	return f.err()
}

// Validate checks the window; the error is FieldErrors.
func (a Active) Validate() error {
	var f fields
	for i, d := range a.Days {
		if d < time.Sunday || d > time.Saturday {
			f.add(index("days", i), "unknown day %d", int(d))
		}
	}
	if a.From < 0 || a.From >= 24*60 {
		f.add("from", "must be 00:00 to 23:59, got %d minutes", int(a.From))
	}
	if a.To < 0 || a.To > 24*60 {
		f.add("to", "must be 00:00 to 24:00, got %d minutes", int(a.To))
	}
	if a.From == a.To {
		f.add("", "from and to are both %s; omit them for the whole day", a.From)
	}
	return f.err()
}

// length is the window's length in minutes (1 to 1440).
func (a Active) length() int64 {
	if a.To > a.From {
		return int64(a.To - a.From)
	}
	return int64(24*60 - a.From + a.To)
}

// on reports whether windows start on weekday d.
func (a Active) on(d time.Weekday) bool {
	return len(a.Days) == 0 || slices.Contains(a.Days, d)
}
