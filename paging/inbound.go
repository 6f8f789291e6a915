package paging

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/oncall"
)

// Acknowledgement from the phone: a text back, a key press in a call, an
// acknowledge link in an email or a push notification. Each is the same
// acknowledgement of the incident as the Slack button; the first one wins.

// replyWindow is how far back a text's sender's pages are looked for.
const replyWindow = 24 * time.Hour

// InboundSMS answers a text from a phone number: "1", "ack" or "ack <n>"
// acknowledges (the incident named, else the one the person was paged for
// last); a number that belongs to nobody changes nothing. reply is the
// answer to send back.
func (e *Engine) InboundSMS(ctx context.Context, from, body string) (string, error) {
	w := e.o.Words
	person, ok := e.o.Directory.PersonByPhone(from)
	if !ok {
		return w.Text("notify.sms_unknown", nil), nil
	}
	ack, code := ParseReply(body)
	if !ack {
		return w.Text("notify.sms_help", nil), nil
	}
	var number int64
	if code != "" {
		n, err := strconv.ParseInt(code, 10, 64)
		if err != nil {
			return w.Text("notify.sms_help", nil), nil
		}
		number = n
	} else {
		recent, err := e.o.Store.NotificationsTo(ctx, person.Slack, e.o.Now().Add(-replyWindow))
		if err != nil {
			return "", err
		}
		for _, n := range recent {
			if n.Method != oncall.MethodSMS && n.Method != oncall.MethodVoice {
				continue
			}
			if n.Kind == KindTest {
				return w.Text("notify.test_received", nil), nil
			}
			if n.Kind == KindPage {
				number = n.Incident
				break
			}
		}
		if number == 0 {
			return w.Text("notify.sms_nothing", nil), nil
		}
	}
	return e.acknowledge(ctx, number, person.Slack, incidents.ViaSMS)
}

// Pressed answers a key press in the call of notification id: 1
// acknowledges, 2 declines (the next level is paged now). say is read back.
func (e *Engine) Pressed(ctx context.Context, id, digits string) (string, error) {
	w := e.o.Words
	n, err := e.o.Store.Notification(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return w.Text("notify.call_unknown", nil), nil
	}
	if err != nil {
		return "", err
	}
	if n.Kind == KindTest {
		return w.Text("notify.test_received", nil), nil
	}
	switch digits {
	case "1":
		return e.acknowledge(ctx, n.Incident, n.User, incidents.ViaVoice)
	case "2":
		declined, err := e.Decline(ctx, n.Incident, n.User)
		if err != nil {
			return "", err
		}
		if !declined {
			return w.Text("notify.already", map[string]any{"Number": n.Incident}), nil
		}
		return w.Text("notify.declined", map[string]any{"Number": n.Incident}), nil
	}
	return w.Text("notify.keys_again", nil), nil
}

// AckByLink acknowledges from a signed link (email, push), for the person
// and notification it names.
func (e *Engine) AckByLink(ctx context.Context, number int64, notificationID, user string) (string, error) {
	n, err := e.o.Store.Notification(ctx, notificationID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", err
	}
	if n.Kind == KindTest {
		return e.o.Words.Text("notify.test_received", nil), nil
	}
	via := incidents.ViaEmail
	if n.Method == oncall.MethodPush {
		via = incidents.ViaPush
	}
	return e.acknowledge(ctx, number, user, via)
}

// acknowledge acknowledges incident number as user; the answer says what
// happened, also when someone was first.
func (e *Engine) acknowledge(ctx context.Context, number int64, user, via string) (string, error) {
	w := e.o.Words
	inc, err := e.o.Incidents.AcknowledgeVia(ctx, number, user, via)
	data := map[string]any{"Number": number}
	var ue *incidents.UserError
	switch {
	case errors.Is(err, incidents.ErrNotFound):
		return w.Text("notify.no_incident", data), nil
	case errors.As(err, &ue) && errors.Is(err, incidents.ErrTransition):
		return w.Text("notify.already", data), nil
	case err != nil:
		return "", err
	}
	data["Title"] = clean(inc.Title)
	return w.Text("notify.acknowledged", data), nil
}
