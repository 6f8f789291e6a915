package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/postmortem"
	"github.com/incidentbot/incidentbot/templates"
)

// postmortems is the app's postmortem wiring: the templates, the drafter,
// the store of records and, with postmortem.export_dir, the exporter.
type postmortems struct {
	drafter *postmortem.Drafter
	store   postmortem.Store
	export  *postmortem.Exporter // nil without postmortem.export_dir
}

// wirePostmortems builds the postmortem wiring and handles its jobs. It runs
// before wireSlack, whose handler answers /incident postmortem with it.
func (a *App) wirePostmortems() {
	a.pm = &postmortems{drafter: postmortem.New(a.templates, a.opts.Now), store: a.store}
	if dir := a.opts.Config.Postmortem.ExportDir; dir != "" {
		a.pm.export = postmortem.NewExporter(dir, postmortem.ExportOptions{Locale: a.locale}, a.opts.Now)
	}
	jobs.Handle(a.runner, jobPostmortem, a.writePostmortem)
}

// postmortemURL is the address of a postmortem's page.
func (a *App) postmortemURL(n int64) string {
	return strings.TrimRight(a.opts.Env.PublicURL, "/") + "/postmortems/" + strconv.FormatInt(n, 10)
}

// postmortemKey is the job key of incident n's postmortem: one pending write per incident.
func postmortemKey(n int64) string { return "postmortem:" + strconv.FormatInt(n, 10) }

// queuePostmortem enqueues the write of incident n's postmortem.
func (a *App) queuePostmortem(ctx context.Context, n int64) error {
	if err := a.runner.Enqueue(ctx, jobPostmortem.Job(postmortemKey(n), n, time.Time{})); err != nil {
		return err
	}
	a.runner.Kick()
	return nil
}

// syncAndRegenerate is the incident.sync job: Slack is brought up to date,
// and the postmortem draft is (re)written when the incident resolved or has
// a draft that is not final yet. The check is two reads; the write job
// itself skips an incident that has not changed.
func (a *App) syncAndRegenerate(ctx context.Context, j jobs.Job, n int64) error {
	if err := a.regenerate(ctx, n); err != nil && !errors.Is(err, incidents.ErrNotFound) {
		return err
	}
	if err := a.autoClassify(ctx, n); err != nil && !errors.Is(err, incidents.ErrNotFound) {
		return err
	}
	return a.syncSlack(ctx, j, n)
}

func (a *App) regenerate(ctx context.Context, n int64) error {
	inc, err := a.service.Get(ctx, n)
	if err != nil {
		return err
	}
	rec, err := a.pm.store.Postmortem(ctx, n)
	switch {
	case errors.Is(err, incidents.ErrNotFound):
		if inc.Open() {
			return nil
		}
	case err != nil:
		return err
	case !rec.Status.Regenerates():
		return nil
	}
	return a.queuePostmortem(ctx, n)
}

// postmortemBlockID marks the draft's link in the channel, so a link posted
// but not recorded before a crash is adopted, not posted again.
const postmortemBlockID = "postmortem-%d"

// writePostmortem is the postmortem.write job: it writes the draft of
// incident n unless nothing it is written from changed (or it is final and
// was written as final), stores it, records EventPostmortemWritten once,
// posts the link once and keeps the export directory current.
func (a *App) writePostmortem(ctx context.Context, j jobs.Job, n int64) error {
	log := a.log.WithFields(logrus.Fields{"component": "postmortem", "incident": n})
	inc, err := a.service.Get(ctx, n)
	if errors.Is(err, incidents.ErrNotFound) {
		return jobs.Permanent(err)
	}
	if err != nil {
		return err
	}
	rec, err := a.pm.store.Postmortem(ctx, n)
	if errors.Is(err, incidents.ErrNotFound) {
		rec, err = postmortem.Record{Number: n, Status: postmortem.StatusDraft}, nil
	}
	if err != nil {
		return err
	}
	if rec.WrittenAt.IsZero() {
		// Before the first write, so the draft lists it; its ID keeps it one.
		if err := a.service.Record(ctx, n, incidents.Event{
			ID: fmt.Sprintf("%d:postmortem-written", n), Type: incidents.EventPostmortemWritten,
			Actor: incidents.ActorBot, Text: "Postmortem draft written: " + a.postmortemURL(n),
			Fields: map[string]string{"url": a.postmortemURL(n)},
		}); err != nil {
			return err
		}
	}
	timeline, err := a.service.Timeline(ctx, n)
	if err != nil {
		return err
	}
	source := fmt.Sprintf("status=%s owner=%s version=%d events=%d", rec.Status, rec.Owner, inc.Version, len(timeline))
	finalWritten := rec.Status == postmortem.StatusFinal && strings.HasPrefix(rec.Source, "status=final ")
	if rec.Source != source && !finalWritten {
		in, err := a.postmortemInput(ctx, inc, timeline, rec)
		if err != nil {
			return err
		}
		d, err := a.pm.drafter.Draft(in)
		if err != nil {
			return jobs.Permanent(err) // a template that fails does so on every retry
		}
		rec.SetDraft(d, a.opts.Now())
		rec.Source = source
		if err := a.pm.store.PutPostmortem(ctx, &rec); err != nil {
			return err // a conflict retries from a fresh read
		}
		log.WithField("status", rec.Status).Info("postmortem draft written")
	}
	if err := a.postPostmortemLink(ctx, j, &rec); err != nil {
		return err
	}
	return a.exportPostmortem(ctx, &rec, log)
}

// postPostmortemLink posts the draft's link in the channel once and records its ts.
func (a *App) postPostmortemLink(ctx context.Context, j jobs.Job, rec *postmortem.Record) error {
	if a.notifier == nil || rec.MessageTS != "" {
		return nil
	}
	msg, err := a.templates.Message(a.locale, templates.MsgPostmortemDraft, templates.Notice{
		Number: rec.Number, Title: rec.Title, URL: a.postmortemURL(rec.Number), Status: string(rec.Status),
	})
	if err != nil {
		return jobs.Permanent(err)
	}
	ts, err := a.notifier.PostOnce(ctx, rec.Number, fmt.Sprintf(postmortemBlockID, rec.Number), msg)
	if bot.NoChannelYet(err) {
		if j.Attempts < maxChannelWaits {
			return jobs.RetryAfter(time.Second, err)
		}
		return nil // no channel (Slack refused it): the draft stands without its link
	}
	if err != nil {
		return slackJobError(err)
	}
	rec.MessageTS = ts
	return a.pm.store.PutPostmortem(ctx, rec)
}

// exportPostmortem keeps postmortem.export_dir current. A file someone
// edited is left alone; that is logged and told in the channel, once per
// edited file and draft.
func (a *App) exportPostmortem(ctx context.Context, rec *postmortem.Record, log *logrus.Entry) error {
	if a.pm.export == nil {
		return nil
	}
	res, err := a.pm.export.Export(ctx, rec.Draft())
	if err != nil {
		return fmt.Errorf("export the postmortem of incident #%d: %w", rec.Number, err)
	}
	for _, c := range res.Conflicts() {
		log.WithFields(logrus.Fields{"edited": c.Edited, "written": c.Path}).Warn("postmortem export: an edited file was left alone; the new draft is beside it")
		if a.notifier == nil {
			continue
		}
		msg, err := a.templates.Message(a.locale, templates.MsgPostmortemConflict, templates.Notice{
			Number: rec.Number, Title: rec.Title, URL: a.postmortemURL(rec.Number), Status: string(rec.Status),
			File: c.Path, Edited: c.Edited,
		})
		if err != nil {
			return jobs.Permanent(err)
		}
		sum := sha256.Sum256([]byte(c.Edited + "\x00" + rec.Source))
		blockID := fmt.Sprintf("postmortem-conflict-%d-%s", rec.Number, hex.EncodeToString(sum[:8]))
		if _, err := a.notifier.PostOnce(ctx, rec.Number, blockID, msg); err != nil && !bot.NoChannelYet(err) {
			return slackJobError(err)
		}
	}
	return nil
}

// postmortemInput loads what a draft is written from.
func (a *App) postmortemInput(ctx context.Context, inc *incidents.Incident, timeline []incidents.Event, rec postmortem.Record) (postmortem.Input, error) {
	cfg := a.opts.Config
	in := postmortem.Input{
		Incident: inc, Timeline: timeline, Actions: postmortemActions(inc.Actions), Status: rec.Status, Owner: rec.Owner,
		Zone: cfg.Timezone, Locale: a.locale, Links: postmortem.Links{WebBase: a.opts.Env.PublicURL},
	}
	for _, s := range cfg.Severities {
		if s.Name == inc.Severity {
			in.SeverityDescription = s.Description
		}
	}
	st, err := a.store.SlackState(ctx, inc.Number)
	if err != nil {
		return in, err
	}
	in.Links.ChannelName = st.ChannelName
	prev, err := a.previousIncident(ctx, inc)
	if err != nil {
		return in, err
	}
	in.Previous = prev
	in.Names = a.peopleNames(ctx, in)
	return in, nil
}

// previousIncident is the earlier incident of the same alert group, with
// the link of its postmortem when it has one.
func (a *App) previousIncident(ctx context.Context, inc *incidents.Incident) (*postmortem.Previous, error) {
	if inc.Previous == 0 {
		return nil, nil
	}
	prev, err := a.service.Get(ctx, inc.Previous)
	if errors.Is(err, incidents.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := &postmortem.Previous{Incident: prev}
	if _, err := a.pm.store.Postmortem(ctx, prev.Number); err == nil {
		out.Postmortem = a.postmortemURL(prev.Number)
	} else if !errors.Is(err, incidents.ErrNotFound) {
		return nil, err
	}
	return out, nil
}

// postmortemActions are an incident's follow-ups as the draft shows them.
func postmortemActions(as []incidents.Action) []postmortem.Action {
	out := make([]postmortem.Action, len(as))
	for i, x := range as {
		st := postmortem.ActionOpen
		if x.Done {
			st = postmortem.ActionDone
		}
		out[i] = postmortem.Action{ID: x.ID, Text: x.Text, Owner: x.Owner, Due: x.Due, State: st}
	}
	return out
}

// postmortemCommands answers /incident postmortem and the Postmortem button.
type postmortemCommands struct{ a *App }

var _ bot.Postmortems = postmortemCommands{}

// RequestDraft implements bot.Postmortems: the draft is (re)written by a
// job; when its link is already in the channel, the answer says where it is.
func (c postmortemCommands) RequestDraft(ctx context.Context, n int64, _ string) (bot.DraftRequest, error) {
	if _, err := c.a.service.Get(ctx, n); err != nil {
		return bot.DraftRequest{}, err
	}
	d := bot.DraftRequest{URL: c.a.postmortemURL(n), Status: postmortem.StatusDraft}
	rec, err := c.a.pm.store.Postmortem(ctx, n)
	switch {
	case err == nil:
		d.Posted, d.Status = rec.MessageTS != "" && !rec.WrittenAt.IsZero(), rec.Status
	case !errors.Is(err, incidents.ErrNotFound):
		return bot.DraftRequest{}, err
	}
	if err := c.a.queuePostmortem(ctx, n); err != nil {
		return bot.DraftRequest{}, err
	}
	return d, nil
}

// SetStatus implements bot.Postmortems: the record's status changes (it is
// created when no draft was written yet) and the draft is rewritten with it.
func (c postmortemCommands) SetStatus(ctx context.Context, n int64, st postmortem.Status, actor string) (string, error) {
	inc, err := c.a.service.Get(ctx, n)
	if err != nil {
		return "", err
	}
	for range 5 {
		rec, err := c.a.pm.store.Postmortem(ctx, n)
		if errors.Is(err, incidents.ErrNotFound) {
			rec, err = postmortem.Record{Number: n, Status: postmortem.StatusDraft, Title: inc.Title}, nil
		}
		if err != nil {
			return "", err
		}
		if rec.Version > 0 && rec.Status == st {
			return "", &incidents.UserError{Kind: incidents.ErrTransition, Code: "postmortem_already",
				Data:    map[string]any{"Number": n, "Status": string(st)},
				Message: fmt.Sprintf("the postmortem of incident #%d is already %s", n, st)}
		}
		rec.Status = st
		err = c.a.pm.store.PutPostmortem(ctx, &rec)
		if errors.Is(err, incidents.ErrConflict) {
			continue
		}
		if err != nil {
			return "", err
		}
		if err := c.a.service.Record(ctx, n, incidents.Event{
			ID: fmt.Sprintf("%d:postmortem-status:%d", n, rec.Version), Type: incidents.EventPostmortemStatus, Actor: actor,
			Text: "Postmortem moved to " + string(st), Fields: map[string]string{"status": string(st)},
		}); err != nil {
			return "", err
		}
		if err := c.a.queuePostmortem(ctx, n); err != nil {
			return "", err
		}
		title := rec.Title
		if title == "" {
			title = inc.Title
		}
		return c.a.templates.Message(c.a.locale, templates.MsgPostmortemStatus, templates.Notice{
			Number: n, Title: title, URL: c.a.postmortemURL(n), Status: string(st),
		})
	}
	return "", fmt.Errorf("postmortem of incident #%d: %w", n, incidents.ErrConflict)
}
