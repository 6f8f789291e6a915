package web

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// A big incident is read a page at a time: the timeline by (at, id), the
// alerts by fingerprint, each from the store's index, so no request holds
// more than a page of a storm incident's 60,000 alerts.
const (
	// TimelinePageSize is how many events a page of an incident shows.
	TimelinePageSize = 200
	// AlertsPageSize is how many alerts a page of an incident shows; an
	// incident with no more than this carries all of them itself
	// (incidents.MaxInlineAlerts), shown oldest first without paging.
	AlertsPageSize = incidents.MaxInlineAlerts
	// reportingPageSize is the page the regulatory clocks read the whole
	// timeline with.
	reportingPageSize = 1000
	// maxCursor bounds a cursor in a query.
	maxCursor = 1024
)

// Query parameters of /incidents/{n} and /api/v1/incidents/{n}.
const (
	paramTimeline = "timeline"
	paramAlerts   = "alerts"
)

// timelinePage is one page of an incident's timeline and the cursors of the
// pages beside it ("" when there is none).
type timelinePage struct {
	Events        []incidents.Event
	Older, Newer  string
	First, Latest bool // this page starts at the first event, ends at the newest
}

// alertsPage is the alerts an incident's page shows.
type alertsPage struct {
	Alerts []incidents.Alert
	// Paged: the incident has more alerts than it carries, listed by
	// fingerprint a page at a time; Next is the next page's cursor ("" on
	// the last), After this page's ("" on the first).
	Paged       bool
	Next, After string
	Total       int // every alert of the incident
	Firing      int // of them firing
}

// encodeCursor writes a timeline cursor for a URL: opaque, URL-safe.
func encodeCursor(c incidents.Cursor) string {
	dir := "a"
	if c.Back {
		dir = "b"
	}
	if c.IsZero() {
		return dir
	}
	raw := dir + strconv.FormatInt(c.At.UnixNano(), 10) + "." + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeCursor reads a cursor encodeCursor wrote: "" and "a" are the
// timeline's start, "b" its end.
func decodeCursor(s string) (incidents.Cursor, error) {
	switch s {
	case "", "a":
		return incidents.Cursor{}, nil
	case "b":
		return incidents.Cursor{Back: true}, nil
	}
	bad := badRequest("timeline must be a cursor from a page's older or newer link (timeline_prev, timeline_next)")
	if len(s) > maxCursor {
		return incidents.Cursor{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 3 || (b[0] != 'a' && b[0] != 'b') {
		return incidents.Cursor{}, bad
	}
	nanos, id, ok := strings.Cut(string(b[1:]), ".")
	n, err := strconv.ParseInt(nanos, 10, 64)
	if !ok || err != nil || id == "" {
		return incidents.Cursor{}, bad
	}
	return incidents.Cursor{At: time.Unix(0, n).UTC(), ID: id, Back: b[0] == 'b'}, nil
}

// readTimeline reads the page of inc's timeline the request asks for (the
// first TimelinePageSize events without a cursor).
func (s *Server) readTimeline(ctx context.Context, r *http.Request, number int64) (timelinePage, error) {
	from, err := decodeCursor(r.URL.Query().Get(paramTimeline))
	if err != nil {
		return timelinePage{}, err
	}
	events, next, err := s.opts.Incidents.TimelinePage(ctx, number, from, TimelinePageSize)
	if err != nil {
		return timelinePage{}, err
	}
	p := timelinePage{Events: events}
	if from.Back {
		// Read backwards: next goes further back; from, when not the
		// end, is where newer events start.
		p.First, p.Latest = next.IsZero(), from.IsZero()
		if !p.First {
			p.Older = encodeCursor(next)
		}
		if !p.Latest && len(events) > 0 {
			last := events[len(events)-1]
			p.Newer = encodeCursor(incidents.Cursor{At: last.At, ID: last.ID})
		}
	} else {
		p.First, p.Latest = from.IsZero(), next.IsZero()
		if !p.Latest {
			p.Newer = encodeCursor(next)
		}
		if !p.First && len(events) > 0 {
			p.Older = encodeCursor(incidents.Cursor{At: events[0].At, ID: events[0].ID, Back: true})
		}
	}
	if len(events) == 0 && !from.IsZero() {
		// Past either end: offer the start again.
		p.Older, p.First = encodeCursor(incidents.Cursor{Back: true}), false
	}
	return p, nil
}

// readAlerts reads the alerts inc's page shows: those it carries, oldest
// first, when it carries every one; else a page by fingerprint from the
// store.
func (s *Server) readAlerts(ctx context.Context, r *http.Request, inc *incidents.Incident) (alertsPage, error) {
	after := r.URL.Query().Get(paramAlerts)
	if len(after) > maxCursor {
		return alertsPage{}, badRequest("alerts must be a cursor from a page's next link (alerts_next)")
	}
	p := alertsPage{Total: max(inc.AlertCount, len(inc.Alerts)), Firing: inc.FiringCount}
	if inc.AllAlertsInline() && after == "" {
		p.Alerts = inc.SortedAlerts()
		p.Firing = len(inc.FiringAlerts())
		return p, nil
	}
	alerts, next, err := s.opts.Incidents.AlertsPage(ctx, inc.Number, after, AlertsPageSize)
	if err != nil {
		return alertsPage{}, err
	}
	p.Alerts, p.Paged, p.Next, p.After = alerts, true, next, after
	return p, nil
}

// reportingEvents reads, a page at a time, the timeline events the
// regulatory clocks count (those naming an obligation): the clocks need
// the facts of the whole timeline, the page shows a part of it.
func (s *Server) reportingEvents(ctx context.Context, number int64) ([]incidents.Event, error) {
	var out []incidents.Event
	var from incidents.Cursor
	for {
		events, next, err := s.opts.Incidents.TimelinePage(ctx, number, from, reportingPageSize)
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			if e.Fields["obligation"] != "" {
				out = append(out, e)
			}
		}
		if next.IsZero() {
			return out, nil
		}
		from = next
	}
}

// pageClocks fills inc.Reporting, when reporting is configured.
func (s *Server) pageClocks(ctx context.Context, inc *incidents.Incident) error {
	if s.opts.Reporting == nil {
		return nil
	}
	events, err := s.reportingEvents(ctx, inc.Number)
	if err != nil {
		return err
	}
	s.clocks(inc, events)
	return nil
}

// pageLink is the incident page's URL with one cursor changed, the other kept.
func pageLink(number int64, q url.Values, param, cursor string) string {
	v := url.Values{}
	for _, k := range []string{paramTimeline, paramAlerts} {
		if x := q.Get(k); x != "" && k != param {
			v.Set(k, x)
		}
	}
	if cursor != "" {
		v.Set(param, cursor)
	}
	u := "/incidents/" + strconv.FormatInt(number, 10)
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	return u
}

// pageLinks are the links of an incident page to its other pages; "" is
// none.
type pageLinks struct {
	Older, Newer        string // the timeline's pages beside this one
	FirstEvents, Latest string // the timeline's first and last pages
	AlertsPaged         bool   // alerts are listed a page at a time, by fingerprint
	NextAlerts          string
	FirstAlerts         string
	AlertTotal, Firing  int
}

func pageLinksOf(number int64, q url.Values, tl timelinePage, al alertsPage) pageLinks {
	l := pageLinks{AlertsPaged: al.Paged, AlertTotal: al.Total, Firing: al.Firing}
	if tl.Older != "" {
		l.Older = pageLink(number, q, paramTimeline, tl.Older)
	}
	if tl.Newer != "" {
		l.Newer = pageLink(number, q, paramTimeline, tl.Newer)
	}
	if !tl.First {
		l.FirstEvents = pageLink(number, q, paramTimeline, "")
	}
	if !tl.Latest {
		l.Latest = pageLink(number, q, paramTimeline, encodeCursor(incidents.Cursor{Back: true}))
	}
	if al.Next != "" {
		l.NextAlerts = pageLink(number, q, paramAlerts, al.Next)
	}
	if al.After != "" {
		l.FirstAlerts = pageLink(number, q, paramAlerts, "")
	}
	return l
}
