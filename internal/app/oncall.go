package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/oncall"
)

// oncallProvider gives /oncall the schedules, the override store and cover
// requests.
type oncallProvider struct{ a *App }

var _ bot.Oncall = oncallProvider{}

func (p oncallProvider) Schedules() []oncall.Schedule { return p.a.opts.Config.Schedules }
func (p oncallProvider) Admins() []string             { return p.a.opts.Config.Admins }
func (p oncallProvider) Now() time.Time               { return p.a.opts.Now() }

// Overrides returns the overrides that end after now.
func (p oncallProvider) Overrides(ctx context.Context, schedule string) ([]oncall.Override, error) {
	return p.a.store.Overrides(ctx, schedule, p.a.opts.Now())
}

// AddOverride stores o under a new random ID.
func (p oncallProvider) AddOverride(ctx context.Context, o oncall.Override) (oncall.Override, error) {
	for range 5 {
		o.ID = newOverrideID()
		ok, err := p.a.store.AddOverride(ctx, o)
		if err != nil || ok {
			return o, err
		}
	}
	return o, fmt.Errorf("add override: no free ID")
}

func (p oncallProvider) RemoveOverride(ctx context.Context, id string) (oncall.Override, error) {
	return p.a.store.RemoveOverride(ctx, id)
}

// newOverrideID is a short random ID people can type: 6 hex digits.
func newOverrideID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// coverRequest is a cover request: its ID, schedule, window and requester,
// carried in the Take it button's value.
type coverRequest struct {
	ID, Schedule, Requester string
	From, To                time.Time
}

func (c coverRequest) value() string {
	return strings.Join([]string{c.ID, c.Schedule, strconv.FormatInt(c.From.Unix(), 10), strconv.FormatInt(c.To.Unix(), 10), c.Requester}, "|")
}

func parseCoverRequest(v string) (coverRequest, error) {
	f := strings.Split(v, "|")
	if len(f) != 5 {
		return coverRequest{}, fmt.Errorf("cover request %q: want 5 fields", v)
	}
	from, err1 := strconv.ParseInt(f[2], 10, 64)
	to, err2 := strconv.ParseInt(f[3], 10, 64)
	if err1 != nil || err2 != nil {
		return coverRequest{}, fmt.Errorf("cover request %q: bad times", v)
	}
	return coverRequest{ID: f[0], Schedule: f[1], From: time.Unix(from, 0).UTC(), To: time.Unix(to, 0).UTC(), Requester: f[4]}, nil
}

// The cover jobs: post a request (keyed cover:<id>) and mark it taken
// (keyed cover-taken:<id>).
var (
	jobCoverRequest = jobs.Kind[coverRequest]{
		Name:   "oncall.cover_request",
		Encode: func(c coverRequest) map[string]string { return map[string]string{"value": c.value()} },
		Decode: func(m map[string]string) (coverRequest, error) { return parseCoverRequest(m["value"]) },
	}
	jobCoverTaken = jobs.Kind[map[string]string]{
		Name:   "oncall.cover_taken",
		Encode: func(p map[string]string) map[string]string { return p },
		Decode: func(p map[string]string) (map[string]string, error) { return p, nil },
	}
)

// RequestCover enqueues the request's message.
func (p oncallProvider) RequestCover(ctx context.Context, schedule string, from, to time.Time, requester string) error {
	c := coverRequest{ID: newOverrideID(), Schedule: schedule, Requester: requester, From: from.UTC(), To: to.UTC()}
	return p.a.runner.Enqueue(ctx, jobCoverRequest.Job("cover:"+c.ID, c, time.Time{}))
}

func (a *App) runCoverRequest(ctx context.Context, _ jobs.Job, c coverRequest) error {
	s, ok := a.opts.Config.Schedule(c.Schedule)
	if !ok {
		return nil
	}
	l := a.lang
	text := l.Text("oncall.cover_request", bot.M{"Requester": slacktext.UserMention(c.Requester),
		"Schedule": slacktext.Escape(s.Name), "From": bot.WhenText(l, c.From, s), "To": bot.WhenText(l, c.To, s)})
	return a.notifier.PostCoverRequest(ctx, s.Channel, c.ID, text, c.value())
}

// TakeCover stores the override under the request's ID, so the first
// member to click wins and a second click finds it taken.
func (p oncallProvider) TakeCover(ctx context.Context, value, user, channel, ts string) (string, error) {
	c, err := parseCoverRequest(value)
	if err != nil {
		return "", err
	}
	l := p.a.lang
	s, ok := p.a.opts.Config.Schedule(c.Schedule)
	if !ok {
		return l.Text("oncall.cover_gone_schedule", slacktext.Escape(c.Schedule)), nil
	}
	if !isMember(s, user) {
		return l.Text("oncall.cover_not_member", slacktext.Escape(s.Name)), nil
	}
	if user == c.Requester {
		return l.Text("oncall.cover_own", nil), nil
	}
	id := "cover-" + c.ID
	created, err := p.a.store.AddOverride(ctx, oncall.Override{ID: id, Schedule: s.Name, Kind: oncall.OverrideReplace, User: user,
		Replaces: c.Requester, From: c.From, To: c.To, CreatedBy: user, CreatedAt: p.a.opts.Now()})
	if err != nil {
		return "", err
	}
	if !created {
		ovs, err := p.a.store.Overrides(ctx, s.Name, c.From.Add(-time.Second))
		if err != nil {
			return "", err
		}
		for _, o := range ovs {
			if o.ID == id {
				return l.Text("oncall.cover_taken_by", slacktext.UserMention(o.User)), nil
			}
		}
		return l.Text("oncall.cover_taken", nil), nil
	}
	text := l.Text("oncall.covered", bot.M{"User": slacktext.UserMention(user), "Schedule": slacktext.Escape(s.Name),
		"Requester": slacktext.UserMention(c.Requester), "From": bot.WhenText(l, c.From, s), "To": bot.WhenText(l, c.To, s)})
	if err := p.a.runner.Enqueue(ctx, jobCoverTaken.Job("cover-taken:"+c.ID,
		map[string]string{"channel": channel, "ts": ts, "id": c.ID, "text": text}, time.Time{})); err != nil {
		return "", err
	}
	return l.Text("oncall.you_cover", bot.M{"Schedule": slacktext.Escape(s.Name), "From": bot.WhenText(l, c.From, s),
		"To": bot.WhenText(l, c.To, s)}), nil
}

func (a *App) runCoverTaken(ctx context.Context, _ jobs.Job, m map[string]string) error {
	if m["channel"] == "" || m["ts"] == "" {
		return nil
	}
	return a.notifier.CoverTaken(ctx, m["channel"], m["ts"], m["id"], m["text"])
}

// Load returns the load of everyone on schedule over the period ending now.
func (p oncallProvider) Load(ctx context.Context, schedule string, period time.Duration) ([]oncall.Load, error) {
	s, ok := p.a.opts.Config.Schedule(schedule)
	if !ok {
		return nil, fmt.Errorf("no schedule %s", schedule)
	}
	now := p.a.opts.Now()
	from := now.Add(-period)
	ovs, err := p.a.store.Overrides(ctx, schedule, from.Add(-oncall.MaxOverrideLength))
	if err != nil {
		return nil, err
	}
	recs, err := p.a.store.PagesBetween(ctx, from, now)
	if err != nil {
		return nil, err
	}
	var pages []oncall.Page
	for _, r := range recs {
		if r.User != "" && r.Schedule == schedule {
			pages = append(pages, oncall.Page{User: r.User, At: r.At})
		}
	}
	return oncall.ComputeLoad(s, ovs, pages, from, now), nil
}

func isMember(s oncall.Schedule, user string) bool {
	for _, r := range s.Rotations {
		for _, m := range r.Members {
			if m == user {
				return true
			}
		}
	}
	return false
}

// overrideHistory is how far back overrides are read: enough for the
// longest /oncall load window.
const overrideHistory = 91 * 24 * time.Hour

// overridesFor returns the stored overrides of every schedule that ended
// within overrideHistory or are still to end, sorted by From.
func (a *App) overridesFor(ctx context.Context) ([]oncall.Override, error) {
	return a.store.Overrides(ctx, "", a.opts.Now().Add(-overrideHistory))
}
