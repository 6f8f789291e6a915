package app

import (
	"context"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/oncall"
)

// The ack-timeout rule (policy ack_timeout): an acknowledged incident with
// no status update for that long pages the acknowledger again. Each repage
// is a job keyed by its moment (oncall.AckRepage's key); a status update
// moves the moment, so the old job finds itself stale and does nothing.

// jobAckRepage pages the acknowledger again; keyed page:<n>:ack:<unix>.
var jobAckRepage = jobs.Kind[int64]{Name: "page.ack_repage", Encode: encodeIncident, Decode: decodeIncident}

// nextRepage returns the incident's next ack-timeout repage, if its policy has one.
func (a *App) nextRepage(ctx context.Context, inc *incidents.Incident) (oncall.Repage, bool, error) {
	if !inc.Open() || inc.AcknowledgedAt == nil || inc.EscalationPolicy == "" {
		return oncall.Repage{}, false, nil
	}
	p, ok := a.opts.Config.EscalationPolicy(inc.EscalationPolicy)
	if !ok || p.AckTimeout <= 0 {
		return oncall.Repage{}, false, nil
	}
	by, err := a.ackedBy(ctx, inc.Number)
	if err != nil || by == "" || by == incidents.ActorBot {
		return oncall.Repage{}, false, err
	}
	pages, err := a.pageStore().Pages(ctx, inc.Number)
	if err != nil {
		return oncall.Repage{}, false, err
	}
	var last time.Time
	for _, pg := range pages {
		if oncall.IsRepage(inc.Number, pg.Step) && pg.At.After(last) {
			last = pg.At
		}
	}
	rp, ok := oncall.AckRepage(inc.Number, p, by, *inc.AcknowledgedAt, inc.StatusAt, last)
	return rp, ok, nil
}

// scheduleRepage enqueues the incident's next repage, if any.
func (a *App) scheduleRepage(ctx context.Context, inc *incidents.Incident) error {
	rp, ok, err := a.nextRepage(ctx, inc)
	if err != nil || !ok {
		return err
	}
	return a.runner.Enqueue(ctx, jobAckRepage.Job(rp.Key, inc.Number, rp.At))
}

// runAckRepage pages the acknowledger, unless a status update or a resolve
// came first (the job is then stale).
func (a *App) runAckRepage(ctx context.Context, j jobs.Job, n int64) error {
	if a.notifier == nil {
		return nil
	}
	inc, err := a.service.Get(ctx, n)
	if err != nil {
		return err
	}
	rp, ok, err := a.nextRepage(ctx, inc)
	if err != nil || !ok {
		return err
	}
	if rp.Key != j.Key {
		// Stale (a status update moved the moment) or sent already: make
		// sure the current moment has its job.
		return a.runner.Enqueue(ctx, jobAckRepage.Job(rp.Key, n, rp.At))
	}
	p := oncall.PageRecord{Incident: n, Step: j.Key, Target: "user:" + rp.User, User: rp.User, Policy: inc.EscalationPolicy, At: rp.At}
	if err := a.sendPage(ctx, p, a.lang().Text("page.repage_note", nil)); err != nil {
		return err
	}
	next, ok, err := a.nextRepage(ctx, inc)
	if err != nil || !ok {
		return err
	}
	return a.runner.Enqueue(ctx, jobAckRepage.Job(next.Key, n, next.At))
}
