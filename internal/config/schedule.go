package config

import (
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/incidentbot/incidentbot/oncall"
)

// minShiftLength keeps custom rotations sane: shorter shifts are a typo.
const minShiftLength = time.Minute

func (d *decoder) schedules(n *yaml.Node, zone *time.Location, set *defined) []Schedule {
	items, ok := d.list(n, "schedules")
	if !ok {
		return nil
	}
	var out []Schedule
	for i, item := range items {
		path := index("schedules", i)
		before := len(d.errs)
		o, ok := d.object(item, path, scheduleKeys)
		if !ok {
			continue
		}
		s := Schedule{Timezone: zone}
		if v := o.get("name"); v != nil {
			if name, ok := d.name(v, join(path, "name")); ok {
				s.Name = name
				d.define(set, name, join(path, "name"), v)
			}
		} else {
			d.required(o, "name", "")
		}
		if v := o.get("timezone"); v != nil {
			if loc, ok := d.location(v, join(path, "timezone")); ok {
				s.Timezone = loc
			}
		}
		if v := o.get("channel"); v != nil {
			if ch, ok := d.str(v, join(path, "channel")); ok && ch != "" {
				s.Channel, _ = d.channel(v, join(path, "channel"))
			}
		}
		if v := o.get("usergroup"); v != nil {
			if g, ok := d.str(v, join(path, "usergroup")); ok && g != "" {
				if usergroupRe.MatchString(g) {
					s.Usergroup = strings.TrimPrefix(g, "@")
				} else {
					d.errorf(v, join(path, "usergroup"), "%q is not a usergroup handle (lowercase letters, digits, ., - and _) or ID (like S0123ABCD)", g)
				}
			}
		}
		if v := o.get("rotations"); v != nil {
			s.Rotations = d.rotations(v, join(path, "rotations"), s.Timezone)
		} else {
			d.required(o, "rotations", " (at least one rotation)")
		}
		if len(d.errs) == before { // the domain's own rules, on what decoded cleanly
			d.fieldErrors(path, s.Validate())
		}
		d.scheduleLines = append(d.scheduleLines, o.node.Line)
		out = append(out, s)
	}
	return out
}

func (d *decoder) rotations(n *yaml.Node, path string, zone *time.Location) []Rotation {
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		d.errorf(n, path, "at least one rotation is required")
		return nil
	}
	names := newDefined("rotation")
	var out []Rotation
	for i, item := range items {
		if r, ok := d.rotation(item, index(path, i), zone, names); ok {
			out = append(out, r)
		}
	}
	return out
}

func (d *decoder) rotation(n *yaml.Node, path string, zone *time.Location, names *defined) (Rotation, bool) {
	o, ok := d.object(n, path, rotationKeys)
	if !ok {
		return Rotation{}, false
	}
	var r Rotation
	if v := o.get("name"); v != nil {
		if name, ok := d.str(v, join(path, "name")); ok && strings.TrimSpace(name) != "" {
			r.Name = name
			d.define(names, name, join(path, "name"), v)
		} else if ok {
			d.errorf(v, join(path, "name"), "must not be empty")
		}
	} else {
		d.required(o, "name", "")
	}

	if v := o.get("type"); v != nil {
		if t, ok := d.str(v, join(path, "type")); ok {
			switch rt := RotationType(t); rt {
			case RotationHourly, RotationDaily, RotationWeekly, RotationMonthly, RotationCustom:
				r.Type = rt
			default:
				d.errorf(v, join(path, "type"), "unknown rotation type %q (use hourly, daily, weekly, monthly or custom)", t)
			}
		}
	} else {
		d.required(o, "type", " (hourly, daily, weekly, monthly or custom)")
	}

	if v := o.get("start"); v != nil {
		if s, ok := d.str(v, join(path, "start")); ok {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				d.errorf(v, join(path, "start"), "invalid start %q (want RFC 3339 with a zone offset, e.g. \"2026-01-05T09:00:00+05:00\")", s)
			} else {
				r.Start = t.In(zone)
				h, m, _ := r.Start.Clock()
				r.HandoffTime = TimeOfDay(h*60 + m)
			}
		}
	} else {
		d.required(o, "start", " (when the first shift begins, e.g. \"2026-01-05T09:00:00+05:00\")")
	}

	switch r.Type {
	case RotationHourly:
		r.ShiftLength = time.Hour
	case RotationDaily:
		r.ShiftLength = 24 * time.Hour
	case RotationWeekly:
		r.ShiftLength = 7 * 24 * time.Hour
	}
	if v := o.get("shift_length"); v != nil {
		switch {
		case r.Type == RotationCustom:
			if l, ok := d.duration(v, join(path, "shift_length")); ok {
				if l < minShiftLength {
					d.errorf(v, join(path, "shift_length"), "must be at least %s, got %s", minShiftLength, v.Value)
				} else {
					r.ShiftLength = l
				}
			}
		case r.Type == RotationMonthly:
			d.errorf(v, join(path, "shift_length"), "applies only to type custom (a monthly shift is a calendar month)")
		case r.Type != "":
			d.errorf(v, join(path, "shift_length"), "applies only to type custom (a %s shift is %s)", r.Type, shortDuration(r.ShiftLength))
		}
	} else if r.Type == RotationCustom {
		d.errorf(o.node, path, "shift_length is required for type custom")
	}

	if v := o.get("handoff_time"); v != nil {
		if t, ok := d.timeOfDay(v, join(path, "handoff_time"), false); ok {
			switch r.Type {
			case RotationDaily, RotationWeekly, RotationMonthly, "":
				r.HandoffTime = t
			default:
				d.errorf(v, join(path, "handoff_time"), "applies only to daily, weekly and monthly rotations (%s shifts change hands every shift_length from start)", r.Type)
			}
		}
	}

	if v := o.get("members"); v != nil {
		if isEmptyList(v) {
			d.errorf(v, join(path, "members"), "at least one member is required")
		} else {
			r.Members = d.members(v, join(path, "members"))
		}
	} else {
		d.required(o, "members", " (Slack user IDs, emails or people keys)")
	}

	if v := o.get("active"); v != nil {
		r.Active = d.active(v, join(path, "active"))
	}
	return r, true
}

// shortDuration prints 168h0m0s as 168h.
func shortDuration(v time.Duration) string {
	s := v.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func (d *decoder) active(n *yaml.Node, path string) *Active {
	o, ok := d.object(n, path, activeKeys)
	if !ok {
		return nil
	}
	a := &Active{From: 0, To: 24 * 60}
	if v := o.get("days"); v != nil {
		if items, ok := d.list(v, join(path, "days")); ok {
			for i, item := range items {
				p := index(join(path, "days"), i)
				s, ok := d.str(item, p)
				if !ok {
					continue
				}
				wd, known := oncall.ParseWeekday(s)
				if !known {
					d.errorf(item, p, "unknown day %q (use mon, tue, wed, thu, fri, sat or sun)", s)
					continue
				}
				if !containsDay(a.Days, wd) {
					a.Days = append(a.Days, wd)
				}
			}
		}
	}
	fromOK, toOK := true, true
	if v := o.get("from"); v != nil {
		a.From, fromOK = d.timeOfDay(v, join(path, "from"), false)
	}
	if v := o.get("to"); v != nil {
		a.To, toOK = d.timeOfDay(v, join(path, "to"), true)
	}
	if fromOK && toOK && a.From == a.To {
		d.errorf(o.node, path, "from and to are both %s; omit them for the whole day", a.From)
	}
	return a
}

func containsDay(days []time.Weekday, d time.Weekday) bool {
	for _, x := range days {
		if x == d {
			return true
		}
	}
	return false
}

func (d *decoder) policies(n *yaml.Node, set *defined) []EscalationPolicy {
	items, ok := d.list(n, "escalation_policies")
	if !ok {
		return nil
	}
	var out []EscalationPolicy
	for i, item := range items {
		path := index("escalation_policies", i)
		before := len(d.errs)
		o, ok := d.object(item, path, policyKeys)
		if !ok {
			continue
		}
		var p EscalationPolicy
		if v := o.get("name"); v != nil {
			if name, ok := d.name(v, join(path, "name")); ok {
				p.Name = name
				d.define(set, name, join(path, "name"), v)
			}
		} else {
			d.required(o, "name", "")
		}
		if v := o.get("repeat"); v != nil {
			if r, ok := d.integer(v, join(path, "repeat")); ok {
				if r < 0 {
					d.errorf(v, join(path, "repeat"), "must not be negative, got %d", r)
				} else {
					p.Repeat = r
				}
			}
		}
		if v := o.get("ack_timeout"); v != nil {
			p.AckTimeout, _ = d.nonNegative(v, join(path, "ack_timeout"))
		}
		if v := o.get("levels"); v != nil {
			p.Levels = d.levels(v, join(path, "levels"))
		} else {
			d.required(o, "levels", " (at least one level with targets)")
		}
		if len(d.errs) == before {
			d.fieldErrors(path, p.Validate())
		}
		out = append(out, p)
	}
	return out
}

func (d *decoder) levels(n *yaml.Node, path string) []EscalationLevel {
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		d.errorf(n, path, "at least one level is required")
		return nil
	}
	var out []EscalationLevel
	for i, item := range items {
		p := index(path, i)
		o, ok := d.object(item, p, levelKeys)
		if !ok {
			continue
		}
		var l EscalationLevel
		if v := o.get("delay"); v != nil {
			l.Delay, _ = d.nonNegative(v, join(p, "delay"))
		}
		if v := o.get("targets"); v != nil {
			l.Targets = d.targets(v, join(p, "targets"))
		} else {
			d.required(o, "targets", ` (e.g. ["schedule:primary"])`)
		}
		out = append(out, l)
	}
	return out
}

func (d *decoder) targets(n *yaml.Node, path string) []Target {
	items, ok := d.list(n, path)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		d.errorf(n, path, "at least one target is required")
		return nil
	}
	var out []Target
	for i, item := range items {
		p := index(path, i)
		s, ok := d.str(item, p)
		if !ok {
			continue
		}
		kind, name, _ := strings.Cut(s, ":")
		t := Target{Kind: TargetKind(kind), Name: name}
		switch {
		case t.Kind == TargetSchedule && name != "":
			d.refer("schedule", name, p, item)
		case t.Kind == TargetUser && oncall.IsUserID(name):
		case t.Kind == TargetUser:
			d.errorf(item, p, "%q: %q is not a Slack user ID (like U0123ABCD)", s, name)
			continue
		case t.Kind == TargetChannel && validChannel(name):
		case t.Kind == TargetChannel:
			d.errorf(item, p, "%q: %q is not a channel (write \"#name\" in lowercase, or a channel ID like C0123ABCD)", s, name)
			continue
		default:
			d.errorf(item, p, "invalid target %q (want schedule:NAME, user:U0123ABCD or channel:#name)", s)
			continue
		}
		out = append(out, t)
	}
	return out
}
