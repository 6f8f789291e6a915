package stats

import (
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// node is any SVG element, as encoding/xml parses it.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []node     `xml:",any"`
	Text     string     `xml:",chardata"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// all returns the elements under n (n included) named name, in document order.
func (n node) all(name string) []node {
	var out []node
	if n.XMLName.Local == name {
		out = append(out, n)
	}
	for _, c := range n.Children {
		out = append(out, c.all(name)...)
	}
	return out
}

func parseSVG(t *testing.T, s string) node {
	t.Helper()
	var root node
	dec := xml.NewDecoder(strings.NewReader(s))
	dec.Strict = true
	if err := dec.Decode(&root); err != nil {
		t.Fatalf("the SVG does not parse: %v\n%s", err, s)
	}
	if root.XMLName.Local != "svg" || root.XMLName.Space != "http://www.w3.org/2000/svg" {
		t.Fatalf("root got %v, want svg in the SVG namespace", root.XMLName)
	}
	if root.attr("role") != "img" || root.attr("aria-label") == "" {
		t.Errorf(`root got role=%q aria-label=%q, want role="img" and a label`, root.attr("role"), root.attr("aria-label"))
	}
	if len(root.Children) == 0 || root.Children[0].XMLName.Local != "title" || root.Children[0].Text != root.attr("aria-label") {
		t.Errorf("the first child must be a <title> equal to the aria-label %q", root.attr("aria-label"))
	}
	return root
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s changed; if that is intended, run go test ./stats -update\n got %s\nwant %s", path, got, want)
	}
}

func TestIncidentsPerWeekSVG(t *testing.T) {
	r := compute(t, fixture())
	s := IncidentsPerWeekSVG(r.Weeks)
	root := parseSVG(t, s)
	if got, want := root.attr("aria-label"), "Incidents per week by severity, 3 weeks from Nov 2: 6 incidents"; got != want {
		t.Errorf("aria-label got %q, want %q", got, want)
	}
	weeks := root.all("g")
	var titles []string
	for _, g := range weeks {
		if g.attr("class") == "week" {
			titles = append(titles, g.Children[0].Text)
		}
	}
	wantTitles := []string{
		"Week of Nov 2: 3 incidents (sev1 1, sev2 1, sev4 1)",
		"Week of Nov 9: 3 incidents (sev1 1, sev2 1, sev3 1)",
		"Week of Nov 16: 0 incidents",
	}
	if strings.Join(titles, "|") != strings.Join(wantTitles, "|") {
		t.Errorf("week titles got %q, want %q", titles, wantTitles)
	}
	// The busiest week has 3, so the axis tops at 3 and each incident is a third
	// of the 180-unit plot; the first week's stack starts at the bottom (y 196).
	var bars []node
	for _, r := range root.all("rect") {
		if r.attr("class") == "bar" {
			bars = append(bars, r)
		}
	}
	if len(bars) != 6 {
		t.Fatalf("bars got %d, want 6 (one per non-zero severity per week)", len(bars))
	}
	wantY := []string{"136", "76", "16"} // sev1, sev2, sev4 stacked upwards
	for i, b := range bars[:3] {
		if b.attr("height") != "60" || b.attr("y") != wantY[i] {
			t.Errorf("bar %d (%s) got y=%s height=%s, want y=%s height=60", i, b.attr("data-severity"), b.attr("y"), b.attr("height"), wantY[i])
		}
	}
	if bars[0].attr("fill") == bars[1].attr("fill") {
		t.Errorf("severities share a colour %s", bars[0].attr("fill"))
	}
	var legend []string
	for _, g := range root.all("g") {
		if g.attr("class") == "legend" {
			for _, txt := range g.all("text") {
				legend = append(legend, txt.Text)
			}
		}
	}
	if got := strings.Join(legend, ","); got != "sev1,sev2,sev3,sev4" {
		t.Errorf("legend got %s, want sev1,sev2,sev3,sev4", got)
	}
	golden(t, "incidents_per_week.svg", s)
}

func TestResponseTrendSVG(t *testing.T) {
	r := compute(t, fixture())
	s := ResponseTrendSVG(r.Weeks)
	root := parseSVG(t, s)
	// Week 1: MTTA {2m 5m 10m} → 5m, restore {3m 30m 120m} → 30m.
	// Week 2: MTTA {1m 20m} → 1m, restore {40m 180m} → 40m. Week 3: nothing, a gap.
	// The axis tops at 40m, so 40m is at the plot's top (y 16) and 30m at 61.
	want := map[string][]string{
		"MTTA (median)":         {"Week of Nov 2: MTTA (median) 5m0s over 3 incidents", "Week of Nov 9: MTTA (median) 1m0s over 2 incidents"},
		"MTTR restore (median)": {"Week of Nov 2: MTTR restore (median) 30m0s over 3 incidents", "Week of Nov 9: MTTR restore (median) 40m0s over 2 incidents"},
	}
	wantCY := map[string][]string{"MTTA (median)": {"173.5", "191.5"}, "MTTR restore (median)": {"61", "16"}}
	series := 0
	for _, g := range root.all("g") {
		name := g.attr("data-series")
		if name == "" {
			continue
		}
		series++
		var titles, cys []string
		for _, c := range g.all("circle") {
			titles = append(titles, c.Children[0].Text)
			cys = append(cys, c.attr("cy"))
		}
		if strings.Join(titles, "|") != strings.Join(want[name], "|") {
			t.Errorf("%s points got %q, want %q", name, titles, want[name])
		}
		if strings.Join(cys, ",") != strings.Join(wantCY[name], ",") {
			t.Errorf("%s cy got %v, want %v", name, cys, wantCY[name])
		}
		if paths := g.all("path"); len(paths) != 1 || strings.Count(paths[0].attr("d"), "M") != 1 || strings.Count(paths[0].attr("d"), "L") != 1 {
			t.Errorf("%s path got %v, want one segment M…L…", name, paths)
		}
	}
	if series != 2 {
		t.Errorf("series got %d, want 2", series)
	}
	golden(t, "response_trend.svg", s)
}

func TestTrendGap(t *testing.T) {
	d := func(min int) Durations { return Durations{Count: 1, Median: m(min)} }
	weeks := []Week{
		{Start: T, TimeToAcknowledge: d(10)},
		{Start: T.Add(7 * day)},
		{Start: T.Add(14 * day), TimeToAcknowledge: d(20)},
		{Start: T.Add(21 * day), TimeToAcknowledge: d(30)},
	}
	root := parseSVG(t, ResponseTrendSVG(weeks))
	for _, p := range root.all("path") {
		if got := p.attr("d"); strings.Count(got, "M") != 2 || strings.Count(got, "L") != 1 {
			t.Errorf("path got %q, want two segments (a gap at the empty week) M, M…L", got)
		}
	}
}

func TestSVGEscapesLabels(t *testing.T) {
	evil := `<script>alert("x")</script> & 'sev'`
	weeks := []Week{{Start: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), Incidents: 1,
		BySeverity: []Count{{Name: evil, Count: 1}}, TimeToAcknowledge: Durations{Count: 1, Median: m(3)}}}
	for name, s := range map[string]string{"bars": IncidentsPerWeekSVG(weeks), "trend": ResponseTrendSVG(weeks)} {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(s, "<script") {
				t.Fatalf("unescaped label in %s", s)
			}
			root := parseSVG(t, s)
			if len(root.all("script")) != 0 {
				t.Errorf("a <script> element got through")
			}
			if name == "bars" {
				bars := root.all("rect")
				found := false
				for _, b := range bars {
					found = found || b.attr("data-severity") == evil
				}
				if !found {
					t.Errorf("no bar carries the severity %q intact", evil)
				}
			}
		})
	}
}

func TestLegendShortensLongNames(t *testing.T) {
	long := strings.Repeat("ü", 40)
	weeks := []Week{{Start: T, Incidents: 1, BySeverity: []Count{{Name: long, Count: 1}}}}
	root := parseSVG(t, IncidentsPerWeekSVG(weeks))
	for _, g := range root.all("g") {
		if g.attr("class") == "legend" {
			if got, want := g.all("text")[0].Text, strings.Repeat("ü", 15)+"…"; got != want {
				t.Errorf("legend got %q, want %q", got, want)
			}
		}
	}
	if got := root.all("rect"); got[len(got)-2].attr("data-severity") != long {
		t.Errorf("the bar lost the full name: %v", got[len(got)-2].Attrs)
	}
}

func TestXLabelsThinOut(t *testing.T) {
	var weeks []Week
	for i := range 26 { // half a year: 22 units a week, so every other week is labelled
		weeks = append(weeks, Week{Start: T.AddDate(0, 0, 7*i), Incidents: 1, BySeverity: []Count{{Name: "sev1", Count: 1}},
			TimeToAcknowledge: Durations{Count: 1, Median: m(1)}})
	}
	for name, s := range map[string]string{"bars": IncidentsPerWeekSVG(weeks), "trend": ResponseTrendSVG(weeks)} {
		root := parseSVG(t, s)
		var labels []string
		for _, txt := range root.all("text") {
			if txt.attr("class") == "x-label" {
				labels = append(labels, txt.Text)
			}
		}
		if len(labels) != 13 || labels[0] != "Nov 2" || labels[1] != "Nov 16" {
			t.Errorf("%s: x labels got %d %v, want 13 from Nov 2, Nov 16, …", name, len(labels), labels)
		}
	}
}

func TestSVGEmpty(t *testing.T) {
	for name, s := range map[string]string{"bars": IncidentsPerWeekSVG(nil), "trend": ResponseTrendSVG(nil)} {
		t.Run(name, func(t *testing.T) {
			root := parseSVG(t, s)
			if n := len(root.all("rect")) + len(root.all("circle")); n != 0 {
				t.Errorf("an empty chart got %d marks, want 0", n)
			}
		})
	}
}

func TestAxisMax(t *testing.T) {
	tests := []struct{ v, top, step float64 }{
		{0, 1, 1}, {1, 1, 1}, {3, 3, 1}, {7, 8, 2}, {11, 15, 5}, {40, 40, 10}, {93, 100, 20}, {180, 200, 50},
	}
	for _, tt := range tests {
		top, step := axisMax(tt.v, 1)
		if top != tt.top || step != tt.step {
			t.Errorf("axisMax(%v) got %v step %v, want %v step %v", tt.v, top, step, tt.top, tt.step)
		}
	}
}
