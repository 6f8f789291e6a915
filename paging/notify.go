package paging

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/oncall"
)

// Notifications: a person's page is sent by their rules, "Slack and push at
// once, SMS after 2 min, voice after 5 min": one notification per step and
// method, stored with the page and sent by its own job when due. The first
// acknowledgement, by any path, cancels every pending one. A provider that
// fails (or later reports failed, undelivered, busy, no answer) moves the
// person to their next step at once, through the fallback provider first
// when there is one.

// notifyAll stores the notifications of page p by its person's rules and
// schedules each.
func (e *Engine) notifyAll(ctx context.Context, inc *incidents.Incident, p oncall.PageRecord, note string) error {
	person := e.o.Directory.Contact(p.User)
	for step, rule := range person.RulesOr(e.o.DefaultRules) {
		for _, m := range rule.Notify {
			if !person.Has(m) || (m != oncall.MethodSlack && e.o.Senders[m] == nil) {
				continue // the team's rules name methods some people lack
			}
			n := Notification{
				ID: shortID("n", p.ID, strconv.Itoa(step), string(m)), Page: p.ID, Incident: p.Incident,
				Person: person.Key, User: p.User, Method: m, Step: step, Kind: KindPage, Note: note,
				State: NotifyPending, DueAt: p.At.Add(rule.After), CreatedAt: e.o.Now(), UpdatedAt: e.o.Now(),
			}
			stored, _, err := e.o.Store.AddNotification(ctx, n)
			if err != nil {
				return err
			}
			if stored.State.Done() {
				continue
			}
			if err := e.o.Queue.Enqueue(ctx, jobNotify.Job(notifyKey(stored.ID), stored.ID, stored.DueAt)); err != nil {
				return err
			}
		}
	}
	return nil
}

// wanted reports whether notification n of inc should still be sent: its
// page is open and still needed (an escalation's until acknowledged, a
// repage's until the next status update, a page by hand's until resolved).
func (e *Engine) wanted(ctx context.Context, n Notification, inc *incidents.Incident) (oncall.PageRecord, bool, error) {
	if n.Kind != KindPage {
		return oncall.PageRecord{}, true, nil
	}
	pages, err := e.o.Store.Pages(ctx, n.Incident)
	if err != nil {
		return oncall.PageRecord{}, false, err
	}
	for _, p := range pages {
		if p.ID != n.Page {
			continue
		}
		switch {
		case p.State != oncall.PageOpen || !inc.Open():
			return p, false, nil
		case oncall.IsRepage(p.Incident, p.Step):
			return p, !inc.StatusAt.After(p.At), nil
		case p.Level == 0: // by hand
			return p, true, nil
		}
		return p, awaitsAck(inc), nil
	}
	return oncall.PageRecord{}, false, nil
}

// runNotify sends one notification when it is due, unless it is no longer
// wanted. It is moved to sending before the provider is called: a job that
// finds it sending crashed in the call, and (but for Slack, which finds its
// own message again) does not send it twice: the person moves on instead.
func (e *Engine) runNotify(ctx context.Context, j jobs.Job, id string) error {
	n, err := e.o.Store.Notification(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil // cancelled and cleaned up
	}
	if err != nil || n.State.Done() {
		return err
	}
	var inc *incidents.Incident
	if n.Incident != 0 {
		if inc, err = e.o.Incidents.Get(ctx, n.Incident); err != nil {
			return err
		}
	}
	page, ok, err := e.wanted(ctx, n, inc)
	if err != nil {
		return err
	}
	if !ok {
		_, err := e.move(ctx, n, NotifyCancelled, "", n.State)
		return err
	}
	if n.State == NotifySending && n.Method != oncall.MethodSlack {
		// At most once: it may or may not have gone out before a crash.
		return e.failed(ctx, n, inc, "interrupted while sending; not sent again")
	}
	if n.State == NotifyPending {
		if ok, err := e.move(ctx, n, NotifySending, "", NotifyPending); err != nil || !ok {
			return err
		}
		n.State = NotifySending
	}
	if n.Method == oncall.MethodSlack {
		return e.sendSlack(ctx, j, n, inc, page)
	}
	receipt, err := e.send(ctx, n, inc)
	if err != nil {
		return e.failed(ctx, n, inc, err.Error())
	}
	n.Provider, n.ProviderID, n.Status = receipt.Provider, receipt.ID, receipt.Status
	if _, err := e.move(ctx, n, NotifySent, "", NotifySending); err != nil {
		return err
	}
	e.metrics.notifications.WithLabelValues(string(n.Method), "sent").Inc()
	if n.Kind == KindNotice {
		return nil
	}
	return e.o.Incidents.Record(ctx, n.Incident, notifiedEvent(n, "sent", ""))
}

// send gives the message to the method's sender, then to its fallback.
func (e *Engine) send(ctx context.Context, n Notification, inc *incidents.Incident) (Receipt, error) {
	m, err := e.message(n, inc)
	if err != nil {
		return Receipt{}, err
	}
	sender := e.o.Senders[n.Method]
	if sender == nil {
		return Receipt{}, fmt.Errorf("%s: %w", n.Method, ErrNotConfigured)
	}
	r, err := sender.Send(ctx, m)
	if err == nil {
		return r, nil
	}
	fallback := e.o.Fallbacks[n.Method]
	if fallback == nil {
		return r, err
	}
	e.log.WithFields(map[string]any{"incident": n.Incident, "method": n.Method}).WithError(err).Warn("provider failed; trying the fallback")
	r, ferr := fallback.Send(ctx, m)
	if ferr != nil {
		return r, fmt.Errorf("%v; fallback: %w", err, ferr)
	}
	return r, nil
}

// sendSlack posts the page's Slack message (or finds the one posted before
// a crash) and records where it is.
func (e *Engine) sendSlack(ctx context.Context, j jobs.Job, n Notification, inc *incidents.Incident, page oncall.PageRecord) error {
	if e.o.Slack == nil {
		_, err := e.move(ctx, n, NotifyCancelled, "Slack is not configured", NotifySending)
		return err
	}
	if n.Kind == KindTest {
		return nil // a test's Slack message is sent by TestPage itself
	}
	ch, ts, linked, err := e.o.Slack.SendPage(ctx, n.Incident, page, n.Note)
	if err != nil {
		if classified := e.o.SlackError(err); jobs.IsPermanent(classified) {
			return e.failed(ctx, n, inc, err.Error())
		} else {
			// Slack will take it later (429, 5xx): try again as it was, soon.
			if _, merr := e.move(ctx, n, NotifyPending, "", NotifySending); merr != nil {
				return merr
			}
			if _, named := jobs.RetryDelay(classified); named {
				return classified // Slack's Retry-After, or the pacer's turn
			}
			wait := slackPageRetry(j.Attempts)
			e.log.WithFields(map[string]any{"incident": n.Incident, "retry_in": wait.String()}).WithError(err).Warn("Slack page failed; trying again")
			return jobs.RetryAfter(wait, classified)
		}
	}
	if page.TS == "" {
		if err := e.o.Store.SetPageMessage(ctx, page.ID, ch, ts); err != nil {
			return err
		}
	}
	if !linked {
		if err := e.o.Queue.Enqueue(ctx, jobLink.Job(fmt.Sprintf("page-link:%d", n.Incident), n.Incident, time.Time{})); err != nil {
			return err
		}
	} else if !page.Linked {
		if err := e.o.Store.SetPageLinked(ctx, page.ID); err != nil {
			return err
		}
	}
	n.Provider = "slack"
	if _, err := e.move(ctx, n, NotifySent, "", NotifySending); err != nil {
		return err
	}
	e.metrics.notifications.WithLabelValues(string(n.Method), "sent").Inc()
	return nil
}

// slackPageRetry is how soon a Slack page that failed for a passing reason
// (a 5xx, a timeout) is tried again after attempt attempts: 1 s doubling to
// 30 s, not the job runner's backoff of up to 5 minutes, since someone is
// waiting to be woken.
func slackPageRetry(attempts int) time.Duration {
	return min(time.Second<<min(max(attempts-1, 0), 5), 30*time.Second)
}

// failed records that n did not reach the person, and moves them on.
func (e *Engine) failed(ctx context.Context, n Notification, inc *incidents.Incident, reason string) error {
	if ok, err := e.move(ctx, n, NotifyFailed, reason, n.State); err != nil || !ok {
		return err
	}
	e.metrics.notifications.WithLabelValues(string(n.Method), "failed").Inc()
	e.log.WithFields(map[string]any{"incident": n.Incident, "method": n.Method, "notification": n.ID}).Warnf("notification failed: %s", reason)
	if n.Kind != KindPage {
		return nil
	}
	if err := e.o.Incidents.Record(ctx, n.Incident, notifiedEvent(n, "failed", reason)); err != nil {
		return err
	}
	return e.advance(ctx, n)
}

// advance moves the person to the next step of their rules for n's page:
// its notifications become due now.
func (e *Engine) advance(ctx context.Context, n Notification) error {
	all, err := e.o.Store.Notifications(ctx, n.Incident)
	if err != nil {
		return err
	}
	next := -1
	for _, o := range all {
		if o.Page == n.Page && o.Step > n.Step && o.State == NotifyPending && (next < 0 || o.Step < next) {
			next = o.Step
		}
	}
	for _, o := range all {
		if o.Page == n.Page && o.Step == next && o.State == NotifyPending {
			if err := e.o.Queue.Enqueue(ctx, jobNotify.Job(notifyKey(o.ID), o.ID, e.o.Now())); err != nil {
				return err
			}
		}
	}
	return nil
}

// move stores n in state to (with an error text for failures), if it is
// still in one of from.
func (e *Engine) move(ctx context.Context, n Notification, to NotificationState, reason string, from ...NotificationState) (bool, error) {
	n.State, n.UpdatedAt = to, e.o.Now()
	if reason != "" {
		n.Error = reason
	}
	return e.o.Store.MoveNotification(ctx, n, from...)
}

// cancelNotifications stops the pending notifications of an incident (of
// one person when user is set).
func (e *Engine) cancelNotifications(ctx context.Context, incident int64, user string) error {
	all, err := e.o.Store.Notifications(ctx, incident)
	if err != nil {
		return err
	}
	for _, n := range all {
		if n.State != NotifyPending || n.Kind != KindPage || (user != "" && n.User != user) {
			continue
		}
		if _, err := e.move(ctx, n, NotifyCancelled, "", NotifyPending); err != nil {
			return err
		}
		if err := e.o.Queue.Cancel(ctx, notifyKey(n.ID)); err != nil {
			return err
		}
	}
	return nil
}

// tellAcknowledged sends those woken by push or email for inc a notice of
// who acknowledged it, the acknowledger too (their phone and inbox still
// show the page). A Slack message is updated in place; an SMS or a call
// cannot be.
func (e *Engine) tellAcknowledged(ctx context.Context, inc *incidents.Incident, by string, at time.Time) error {
	all, err := e.o.Store.Notifications(ctx, inc.Number)
	if err != nil {
		return err
	}
	for _, n := range all {
		if n.Kind != KindPage || (n.State != NotifySent && n.State != NotifyDelivered) ||
			(n.Method != oncall.MethodPush && n.Method != oncall.MethodEmail) {
			continue
		}
		notice := Notification{
			ID: shortID("a", n.ID), Page: n.Page, Incident: n.Incident, Person: n.Person, User: n.User, Method: n.Method,
			Step: n.Step, Kind: KindNotice, Note: by, State: NotifyPending, DueAt: at, CreatedAt: e.o.Now(), UpdatedAt: e.o.Now(),
		}
		stored, _, err := e.o.Store.AddNotification(ctx, notice)
		if err != nil {
			return err
		}
		if !stored.State.Done() {
			if err := e.o.Queue.Enqueue(ctx, jobNotify.Job(notifyKey(stored.ID), stored.ID, time.Time{})); err != nil {
				return err
			}
		}
	}
	return nil
}

// runLink links the incident's channel in the pages sent before it existed,
// and invites their people; it comes back while there is no channel.
func (e *Engine) runLink(ctx context.Context, j jobs.Job, number int64) error {
	if e.o.Slack == nil {
		return nil
	}
	inc, err := e.o.Incidents.Get(ctx, number)
	if err != nil {
		return err
	}
	pages, err := e.o.Store.Pages(ctx, number)
	if err != nil {
		return err
	}
	notes := map[string]string{}
	all, err := e.o.Store.Notifications(ctx, number)
	if err != nil {
		return err
	}
	for _, n := range all {
		if n.Method == oncall.MethodSlack {
			notes[n.Page] = n.Note
		}
	}
	for _, p := range pages {
		if p.Linked || p.TS == "" || p.User == "" {
			continue
		}
		linked, err := e.o.Slack.LinkPage(ctx, p, inc, notes[p.ID])
		if err != nil {
			return e.o.SlackError(err)
		}
		if !linked {
			// Sooner at first: the channel usually follows within seconds.
			wait := min(linkRetry<<min(j.Attempts, 6), time.Minute)
			return jobs.RetryAfter(wait, errors.New("the incident has no channel yet"))
		}
		if err := e.o.Store.SetPageLinked(ctx, p.ID); err != nil {
			return err
		}
	}
	return nil
}

// linkRetry is how soon a page first looks again for its incident's
// channel; it waits twice as long each time, up to a minute.
const linkRetry = time.Second

// notifiedEvent is the timeline's record of a notification: sent, failed,
// or a delivery status the provider reported.
func notifiedEvent(n Notification, outcome, detail string) incidents.Event {
	fields := map[string]string{"user": n.User, "method": string(n.Method), "outcome": outcome}
	if n.Provider != "" {
		fields["provider"] = n.Provider
	}
	if detail != "" {
		fields["detail"] = detail
	}
	text := fmt.Sprintf("%s to <@%s>: %s", n.Method, n.User, outcome)
	if detail != "" {
		text += " (" + detail + ")"
	}
	return incidents.Event{
		ID: fmt.Sprintf("%d:notified:%s:%s", n.Incident, n.ID, outcome), Incident: n.Incident, Type: EventNotified,
		Actor: incidents.ActorBot, Text: text, Fields: fields,
	}
}

// EventNotified is a notification sent, failed, or reported on by its provider.
const EventNotified incidents.EventType = "notified"

// Status records a delivery status a provider reported for notification
// id (Twilio's status callbacks). A final failure (failed, undelivered,
// busy, no answer) moves the person on at once; a delivery or an answered
// call goes on the timeline.
func (e *Engine) Status(ctx context.Context, id, status, code string) error {
	n, err := e.o.Store.Notification(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil // not ours (or cleaned up): nothing to record
	}
	if err != nil {
		return err
	}
	prev := n.State
	n.Status = status
	outcome := ""
	switch {
	case unreached(status):
		n.State, outcome = NotifyFailed, status
		if code != "" {
			n.Error = "provider error " + code
		}
	case status == StatusDelivered || status == StatusInProgress:
		n.State = NotifyDelivered
		if prev != NotifyDelivered {
			outcome = map[string]string{StatusDelivered: "delivered", StatusInProgress: "answered"}[status]
		}
	}
	n.UpdatedAt = e.o.Now()
	ok, err := e.o.Store.MoveNotification(ctx, n, NotifySending, NotifySent, NotifyDelivered)
	if err != nil || !ok || outcome == "" || n.Kind != KindPage {
		return err
	}
	if err := e.o.Incidents.Record(ctx, n.Incident, notifiedEvent(n, outcome, n.Error)); err != nil {
		return err
	}
	if n.State == NotifyFailed && prev != NotifyFailed {
		e.metrics.notifications.WithLabelValues(string(n.Method), "failed").Inc()
		return e.advance(ctx, n)
	}
	return nil
}

// message writes notification n of incident inc (nil for a test) for its method.
func (e *Engine) message(n Notification, inc *incidents.Incident) (Message, error) {
	person := e.o.Directory.Contact(n.User)
	m := Message{ID: n.ID, Incident: n.Incident, Test: n.Kind == KindTest, Method: n.Method, Person: person.Key}
	switch n.Method {
	case oncall.MethodSMS, oncall.MethodVoice:
		m.To = person.Phone
	case oncall.MethodEmail:
		m.To = person.Email
	case oncall.MethodPush:
		if person.Ntfy != nil {
			m.To, m.Token = strings.TrimRight(person.Ntfy.Server, "/")+"/"+person.Ntfy.Topic, person.Ntfy.Token
		}
	case oncall.MethodWebhook:
		if person.Webhook != nil {
			m.To, m.Secret = person.Webhook.URL, person.Webhook.Secret
		}
	}
	if m.To == "" {
		return m, fmt.Errorf("%s has no %s address", person.Key, n.Method)
	}
	if e.o.CallbackURL != nil {
		m.CallbackURL = e.o.CallbackURL(n.ID)
	}
	w := e.o.Words
	if inc == nil {
		m.Subject = w.Text("notify.test_subject", nil)
		m.Body = w.Text("notify.test_body", nil)
		m.Spoken = w.Text("notify.test_spoken", nil)
		return m, nil
	}
	m.Title, m.Severity = clean(inc.Title), inc.Severity
	m.IncidentURL = incidentURL(e.o.PublicURL, inc.Number)
	data := map[string]any{
		"Number": inc.Number, "Title": m.Title, "Severity": inc.Severity, "Status": string(inc.Status),
		"Summary": clean(alertSummary(inc)), "URL": m.IncidentURL, "Note": clean(n.Note),
	}
	if n.Kind == KindNotice {
		data["By"], data["At"] = e.o.Directory.Contact(n.Note).Key, e.o.Now().In(e.o.Location).Format("15:04 MST")
		m.Subject = w.Text("notify.ack_subject", data)
		m.Body = w.Text("notify.ack_body", data)
		m.Notice = true
		return m, nil
	}
	m.Subject = w.Text("notify.subject", data)
	m.Body = w.Text("notify.body", data)
	m.Spoken = w.Text("notify.spoken", data)
	m.Reply = w.Text("notify.reply", data)
	m.Keys = w.Text("notify.keys", data)
	m.Language = w.Text("notify.language", nil)
	if e.o.Links != nil {
		m.AckURL = e.o.Links.AckURL(n, e.o.Now().Add(e.o.AckLinkTTL))
	}
	return m, nil
}

// alertSummary is the summary of the incident's first firing alert (or of
// any alert), empty when there is none.
func alertSummary(inc *incidents.Incident) string {
	alerts := inc.FiringAlerts()
	if len(alerts) == 0 {
		alerts = inc.SortedAlerts()
	}
	for _, a := range alerts {
		if s := a.Annotations["summary"]; s != "" {
			return s
		}
	}
	return ""
}

// clean keeps text fit for an SMS, a call, a mail header: one line, no
// control characters.
func clean(s string) string {
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)), " ")
}
