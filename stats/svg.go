package stats

import (
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Chart geometry, in SVG user units; the charts scale with their container
// (viewBox, width 100%), so phones get them too.
const (
	chartW     = 640
	chartH     = 260
	plotLeft   = 48
	plotRight  = 12
	plotTop    = 16
	plotBottom = 64 // room for the week labels and the legend
)

// palette colours severities in order (most severe first) and the trend lines;
// each has at least 3:1 contrast on white.
var palette = []string{"#b91c1c", "#c2410c", "#a16207", "#1d4ed8", "#6d28d9", "#0f766e", "#4b5563"}

// IncidentsPerWeekSVG draws the weeks' incident counts as bars stacked by
// severity (most severe at the bottom). It is a complete, self-contained <svg>
// element: every label escaped, role="img" with an aria-label and a <title>
// summarising the data, and a <title> on each bar for its numbers.
func IncidentsPerWeekSVG(weeks []Week) string {
	var names []string
	if len(weeks) > 0 {
		for _, c := range weeks[0].BySeverity {
			names = append(names, c.Name)
		}
	}
	total, maxWeek := 0, 0
	for _, w := range weeks {
		total += w.Incidents
		maxWeek = max(maxWeek, w.Incidents)
	}
	label := "Incidents per week by severity"
	if len(weeks) > 0 {
		label += fmt.Sprintf(", %d weeks from %s: %d incidents", len(weeks), weekLabel(weeks[0].Start), total)
	}
	c := newChart(label)
	top, step := axisMax(float64(maxWeek), 1)
	c.yAxis(top, step, func(v float64) string { return strconv.Itoa(int(v)) })
	slot := plotWidth() / float64(max(len(weeks), 1))
	for i, w := range weeks {
		x := plotLeft + float64(i)*slot
		if i%labelEvery(slot) == 0 {
			c.xLabel(x+slot/2, weekLabel(w.Start))
		}
		var parts []string
		for _, s := range w.BySeverity {
			if s.Count > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", s.Name, s.Count))
			}
		}
		c.printf(`<g class="week"><title>%s</title>`, esc(fmt.Sprintf("Week of %s: %d incidents%s", weekLabel(w.Start), w.Incidents, listSuffix(parts))))
		y := float64(plotTop) + plotHeight()
		for j, s := range w.BySeverity {
			if s.Count == 0 {
				continue
			}
			h := float64(s.Count) / top * plotHeight()
			y -= h
			c.printf(`<rect class="bar" data-severity="%s" data-count="%d" x="%s" y="%s" width="%s" height="%s" fill="%s"/>`,
				esc(s.Name), s.Count, num(x+slot*0.15), num(y), num(slot*0.7), num(h), palette[j%len(palette)])
		}
		c.printf(`</g>`)
	}
	legend := make([]legendItem, len(names))
	for j, n := range names {
		legend[j] = legendItem{shorten(n), palette[j%len(palette)], false}
	}
	c.legend(legend)
	return c.close()
}

// ResponseTrendSVG draws the weekly medians of MTTA and of time to restore as
// two lines; a week with nothing measured leaves a gap rather than a false zero.
// Accessible and escaped as IncidentsPerWeekSVG.
func ResponseTrendSVG(weeks []Week) string {
	series := []struct {
		name string
		of   func(Week) Durations
	}{
		{"MTTA (median)", func(w Week) Durations { return w.TimeToAcknowledge }},
		{"MTTR restore (median)", func(w Week) Durations { return w.TimeToRestore }},
	}
	var maxV time.Duration
	for _, w := range weeks {
		for _, s := range series {
			if d := s.of(w); d.Count > 0 {
				maxV = max(maxV, d.Median.D())
			}
		}
	}
	label := "Weekly median time to acknowledge and time to restore"
	if len(weeks) > 0 {
		label += fmt.Sprintf(", %d weeks from %s", len(weeks), weekLabel(weeks[0].Start))
	}
	c := newChart(label)
	unit := trendUnit(maxV)
	top, step := axisMax(float64(maxV)/float64(unit), 1)
	c.yAxis(top, step, func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) + unitName(unit) })
	slot := plotWidth() / float64(max(len(weeks), 1))
	for i, w := range weeks {
		if i%labelEvery(slot) == 0 {
			c.xLabel(plotLeft+float64(i)*slot+slot/2, weekLabel(w.Start))
		}
	}
	legend := make([]legendItem, len(series))
	for k, s := range series {
		colour := palette[3+k]
		legend[k] = legendItem{s.name, colour, true}
		var path strings.Builder
		var points []string
		pen := "M"
		for i, w := range weeks {
			d := s.of(w)
			if d.Count == 0 {
				pen = "M" // a gap: the next point starts a new segment
				continue
			}
			x := plotLeft + float64(i)*slot + slot/2
			y := float64(plotTop) + plotHeight() - float64(d.Median.D())/float64(unit)/top*plotHeight()
			fmt.Fprintf(&path, "%s%s %s ", pen, num(x), num(y))
			pen = "L"
			points = append(points, fmt.Sprintf(`<circle class="point" cx="%s" cy="%s" r="3" fill="%s"><title>%s</title></circle>`,
				num(x), num(y), colour, esc(fmt.Sprintf("Week of %s: %s %s over %d incidents", weekLabel(w.Start), s.name, d.Median, d.Count))))
		}
		c.printf(`<g class="series" data-series="%s">`, esc(s.name))
		if path.Len() > 0 {
			c.printf(`<path class="line" d="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.TrimSpace(path.String()), colour)
		}
		for _, p := range points {
			c.printf("%s", p)
		}
		c.printf(`</g>`)
	}
	c.legend(legend)
	return c.close()
}

// chart accumulates one SVG document.
type chart struct{ b strings.Builder }

func newChart(label string) *chart {
	c := &chart{}
	c.printf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s" font-family="sans-serif" font-size="11">`,
		chartW, chartH, esc(label))
	c.printf(`<title>%s</title>`, esc(label))
	return c
}

func (c *chart) printf(format string, args ...any) { fmt.Fprintf(&c.b, format, args...) }

func (c *chart) close() string {
	c.printf(`</svg>`)
	return c.b.String()
}

// yAxis draws the horizontal grid lines and their labels from 0 to top.
func (c *chart) yAxis(top, step float64, format func(float64) string) {
	c.printf(`<g class="y-axis" aria-hidden="true">`)
	for v := 0.0; v <= top+step/2; v += step { // bounded: axisMax makes top/step at most 10
		y := float64(plotTop) + plotHeight() - v/top*plotHeight()
		c.printf(`<line x1="%d" x2="%d" y1="%s" y2="%s" stroke="#d1d5db"/>`, plotLeft, chartW-plotRight, num(y), num(y))
		c.printf(`<text x="%d" y="%s" text-anchor="end" fill="#374151">%s</text>`, plotLeft-6, num(y+4), esc(format(v)))
	}
	c.printf(`</g>`)
}

// labelEvery is how many weeks apart the x labels go so that they do not
// overlap ("Nov 30" needs about 40 units); every bar keeps its own <title>.
func labelEvery(slot float64) int { return max(1, int(math.Ceil(40/slot))) }

func (c *chart) xLabel(x float64, s string) {
	c.printf(`<text class="x-label" x="%s" y="%d" text-anchor="middle" fill="#374151">%s</text>`,
		num(x), chartH-plotBottom+16, esc(s))
}

type legendItem struct {
	name, colour string
	line         bool
}

func (c *chart) legend(items []legendItem) {
	c.printf(`<g class="legend">`)
	x := float64(plotLeft)
	y := chartH - 18
	for _, it := range items {
		if it.line {
			c.printf(`<line x1="%s" x2="%s" y1="%d" y2="%d" stroke="%s" stroke-width="2"/>`, num(x), num(x+14), y, y, it.colour)
		} else {
			c.printf(`<rect x="%s" y="%d" width="10" height="10" fill="%s"/>`, num(x), y-5, it.colour)
		}
		c.printf(`<text x="%s" y="%d" fill="#111827">%s</text>`, num(x+18), y+4, esc(it.name))
		x += 30 + 7*float64(len([]rune(it.name)))
	}
	c.printf(`</g>`)
}

func plotWidth() float64  { return chartW - plotLeft - plotRight }
func plotHeight() float64 { return chartH - plotTop - plotBottom }

// axisMax rounds v up to a readable axis top and returns it with a tick step
// (1, 2 or 5 times a power of ten, at most 10 ticks); min is the smallest top.
func axisMax(v, min float64) (top, step float64) {
	v = math.Max(v, min)
	raw := v / 5
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		step = m * pow
		if step >= raw {
			break
		}
	}
	if step < 1 && min >= 1 {
		step = 1 // counts and whole units: no fractional ticks
	}
	return math.Ceil(v/step) * step, step
}

// trendUnit picks minutes or hours so the axis labels stay short.
func trendUnit(maxV time.Duration) time.Duration {
	if maxV > 3*time.Hour {
		return time.Hour
	}
	return time.Minute
}

func unitName(u time.Duration) string {
	if u == time.Hour {
		return "h"
	}
	return "m"
}

func weekLabel(t time.Time) string { return t.Format("Jan 2") }

// maxLegend bounds a legend entry so a long severity name cannot push the
// others off the chart; the full name stays in the bars' titles and attributes.
const maxLegend = 16

func shorten(s string) string {
	r := []rune(s)
	if len(r) <= maxLegend {
		return s
	}
	return string(r[:maxLegend-1]) + "…"
}

func listSuffix(parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// num formats a coordinate with at most two decimals.
func num(f float64) string { return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64) }

// esc escapes text for SVG element content and attribute values alike.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return b.String()
}
