package app

import (
	"context"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/web"
	"github.com/incidentbot/incidentbot/postmortem"
)

// PostmortemSummary is one row of the web's /postmortems list. It is an
// alias of the unnamed struct so that a provider interface the web declares
// with that struct is met as it is.
type PostmortemSummary = struct {
	Number                  int64
	Title, Severity, Status string
	Date                    time.Time
	Duration                time.Duration
}

// Postmortem returns the postmortem of incident n as a printable HTML page
// and as its Markdown source (front matter included), as the bot last wrote
// it: GET /postmortems/{n} and /postmortems/{n}.md. incidents.ErrNotFound
// when no draft has been written.
func (a *App) Postmortem(ctx context.Context, n int64) (html, markdown []byte, err error) {
	rec, err := a.pm.store.Postmortem(ctx, n)
	if err != nil {
		return nil, nil, err
	}
	if len(rec.Markdown) == 0 {
		return nil, nil, fmt.Errorf("postmortem of incident #%d has no draft yet: %w", n, incidents.ErrNotFound)
	}
	html, err = postmortem.HTMLPage(rec.Draft(), string(a.locale))
	if err != nil {
		return nil, nil, fmt.Errorf("render the postmortem of incident #%d: %w", n, err)
	}
	return html, rec.Markdown, nil
}

// Postmortems lists the written postmortems, newest first: GET /postmortems.
func (a *App) Postmortems(ctx context.Context) ([]PostmortemSummary, error) {
	recs, err := a.pm.store.Postmortems(ctx, false)
	if err != nil {
		return nil, err
	}
	out := make([]PostmortemSummary, 0, len(recs))
	for _, r := range recs {
		if r.WrittenAt.IsZero() {
			continue // a status set before the first draft
		}
		out = append(out, PostmortemSummary{
			Number: r.Number, Title: r.Title, Severity: r.Severity, Status: string(r.Status), Date: r.Date, Duration: r.Duration,
		})
	}
	return out, nil
}

// webPostmortems gives the web view the stored postmortems; the web puts the
// HTML fragment into its own page.
type webPostmortems struct{ a *App }

// Postmortem implements web.Postmortems.
func (w webPostmortems) Postmortem(ctx context.Context, n int64) (html, markdown []byte, err error) {
	rec, err := w.a.pm.store.Postmortem(ctx, n)
	if err != nil {
		return nil, nil, err
	}
	if len(rec.Markdown) == 0 {
		return nil, nil, fmt.Errorf("postmortem of incident #%d has no draft yet: %w", n, incidents.ErrNotFound)
	}
	if html, err = postmortem.HTMLFragment(rec.Markdown); err != nil {
		return nil, nil, fmt.Errorf("render the postmortem of incident #%d: %w", n, err)
	}
	return html, rec.Markdown, nil
}

// Postmortems implements web.Postmortems: newest first, drafts written only.
func (w webPostmortems) Postmortems(ctx context.Context) ([]web.PostmortemEntry, error) {
	recs, err := w.a.pm.store.Postmortems(ctx, false)
	if err != nil {
		return nil, err
	}
	out := make([]web.PostmortemEntry, 0, len(recs))
	for _, r := range recs {
		if !r.WrittenAt.IsZero() {
			out = append(out, web.PostmortemEntry{Incident: r.Number, Title: r.Title, Status: string(r.Status), UpdatedAt: r.WrittenAt})
		}
	}
	return out, nil
}
