package oncall

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// icalReader is the test's own RFC 5545 reader: it checks the physical
// form (CRLF, 75-octet folding on UTF-8 boundaries) and returns each
// component's properties, unfolded and unescaped.
type component struct {
	name  string
	props map[string]string
}

func readICal(t *testing.T, data []byte) []component {
	t.Helper()
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		t.Fatalf("feed does not end with CRLF")
	}
	var logical []string
	for i, raw := range strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n") {
		if strings.ContainsAny(raw, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i+1, raw)
		}
		if len(raw) > 75 {
			t.Fatalf("line %d is %d octets: %q", i+1, len(raw), raw)
		}
		if !utf8.ValidString(raw) {
			t.Fatalf("line %d splits a UTF-8 sequence: %q", i+1, raw)
		}
		if strings.HasPrefix(raw, " ") {
			if len(logical) == 0 {
				t.Fatalf("continuation first")
			}
			logical[len(logical)-1] += raw[1:]
			continue
		}
		logical = append(logical, raw)
	}
	var out []component
	var stack []string
	for _, l := range logical {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("no colon: %q", l)
		}
		switch name {
		case "BEGIN":
			stack = append(stack, value)
			out = append(out, component{name: value, props: map[string]string{}})
		case "END":
			if len(stack) == 0 || stack[len(stack)-1] != value {
				t.Fatalf("END:%s does not match %v", value, stack)
			}
			stack = stack[:len(stack)-1]
		default:
			if len(out) == 0 {
				t.Fatalf("property outside a component: %q", l)
			}
			c := &out[len(out)-1]
			if _, dup := c.props[name]; dup {
				t.Fatalf("%s twice in %s", name, c.name)
			}
			c.props[name] = unescape(value)
		}
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed %v", stack)
	}
	return out
}

func unescape(s string) string {
	r := strings.NewReplacer(`\\`, `\`, `\;`, `;`, `\,`, `,`, `\n`, "\n", `\N`, "\n")
	return r.Replace(s)
}

func TestICal(t *testing.T) {
	s := layered(t)
	at := func(v string) time.Time { return lt(t, s.Timezone, v) }
	ovs := []Override{{ID: "o1", Schedule: "primary", Kind: OverrideAdd, User: "U09", From: at("2026-01-13 10:00"), To: at("2026-01-13 18:00")}}
	from, to := at("2026-01-12 09:00"), at("2026-01-19 09:00")
	shifts := Shifts(s, ovs, from, to)
	names := map[string]string{"U02": "Ålesund, Zoë; \"night\\owl\"", "U05": strings.Repeat("Жанна ", 20)}
	stamp := time.Date(2026, 1, 12, 3, 4, 5, 0, time.UTC)
	c := ICal{Schedule: "primary", Stamp: stamp, Name: func(u string) string { return names[u] }}
	feed := c.Render(shifts)
	comps := readICal(t, feed)

	if comps[0].name != "VCALENDAR" || comps[0].props["VERSION"] != "2.0" || comps[0].props["PRODID"] == "" {
		t.Fatalf("calendar = %+v", comps[0])
	}
	var got []string
	uids := map[string]bool{}
	for _, ev := range comps[1:] {
		if ev.name != "VEVENT" {
			t.Fatalf("component %s", ev.name)
		}
		for _, k := range []string{"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION"} {
			if ev.props[k] == "" {
				t.Errorf("event without %s: %v", k, ev.props)
			}
		}
		if ev.props["DTSTAMP"] != "20260112T030405Z" {
			t.Errorf("DTSTAMP = %s", ev.props["DTSTAMP"])
		}
		start, err1 := time.Parse("20060102T150405Z", ev.props["DTSTART"])
		end, err2 := time.Parse("20060102T150405Z", ev.props["DTEND"])
		if err1 != nil || err2 != nil || !end.After(start) {
			t.Errorf("times %s %s", ev.props["DTSTART"], ev.props["DTEND"])
		}
		if uids[ev.props["UID"]] {
			t.Errorf("UID %s twice", ev.props["UID"])
		}
		uids[ev.props["UID"]] = true
		got = append(got, fmt.Sprintf("%s → %s %s", ev.props["DTSTART"], ev.props["DTEND"], ev.props["SUMMARY"]))
	}
	diffLines(t, got, []string{
		// U02's week is one event though U09 joins for a while; times in UTC.
		`20260112T040000Z → 20260114T170000Z On call: primary (Ålesund, Zoë; "night\owl")`,
		`20260113T050000Z → 20260113T130000Z On call: primary (U09)`,
		`20260114T170000Z → 20260115T010000Z On call: primary (` + strings.Repeat("Жанна ", 20) + `)`,
		`20260115T010000Z → 20260116T190000Z On call: primary (Ålesund, Zoë; "night\owl")`,
		`20260116T190000Z → 20260118T190000Z On call: primary (U03)`,
		`20260118T190000Z → 20260119T040000Z On call: primary (Ålesund, Zoë; "night\owl")`,
	})
	if !bytes.Contains(feed, []byte(`Ålesund\, Zoë\; "night\\owl"`)) {
		t.Errorf("text not escaped in the raw feed")
	}
	if !bytes.Contains(feed, []byte("\r\n ")) {
		t.Errorf("nothing folded; the long name should be")
	}

	// Stable: another fetch later, over a later window, keeps the UIDs of
	// the shifts it shares.
	later := ICal{Schedule: "primary", Stamp: stamp.Add(time.Hour)}.Render(Shifts(s, ovs, at("2026-01-15 12:00"), to))
	shared := 0
	for _, ev := range readICal(t, later)[1:] {
		if uids[ev.props["UID"]] {
			shared++
		}
	}
	if shared != 3 {
		t.Errorf("later fetch shares %d UIDs, want 3 (U02 Thu, U03, U02 Mon)", shared)
	}

	// One person's feed.
	mine := readICal(t, ICal{Schedule: "primary", Stamp: stamp, User: "U09"}.Render(shifts))
	if len(mine) != 2 || !strings.Contains(mine[1].props["SUMMARY"], "U09") {
		t.Errorf("U09's feed = %+v", mine)
	}
}

func TestFold(t *testing.T) {
	for _, s := range []string{"", "a", strings.Repeat("a", 75), strings.Repeat("a", 76), strings.Repeat("é", 80), "x" + strings.Repeat("😀", 40), strings.Repeat("ab", 200)} {
		var b bytes.Buffer
		writeFolded(&b, s)
		var joined strings.Builder
		for i, l := range strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n") {
			if len(l) > 75 || !utf8.ValidString(l) {
				t.Errorf("%q: line %d %q", s, i, l)
			}
			if i > 0 {
				l = strings.TrimPrefix(l, " ")
			}
			joined.WriteString(l)
		}
		if joined.String() != s {
			t.Errorf("unfolds to %q, want %q", joined.String(), s)
		}
	}
}
