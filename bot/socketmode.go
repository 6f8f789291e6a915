package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// acker acknowledges a Socket Mode envelope; *socketmode.Client is one.
type acker interface {
	Ack(req socketmode.Request, payload ...any) error
}

// ctxAcker is an acker whose acknowledgement gives up when ctx ends;
// *socketmode.Client is one. Its Ack waits without a bound for a connection
// to send on, which would keep RunSocketMode from returning when the
// websocket is gone at shutdown.
type ctxAcker interface {
	AckCtx(ctx context.Context, envelopeID string, payload any) error
}

// RunSocketMode serves Slack over Socket Mode until ctx ends or the
// connection fails for good: slash commands, interactions and Events API
// envelopes go through the same handlers as over HTTP, and each envelope is
// acknowledged with the answer the HTTP handler would have sent. Envelopes
// are handled concurrently, at most MaxInFlight at once.
func (h *Handler) RunSocketMode(ctx context.Context, client *socketmode.Client) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- client.RunContext(ctx) }()

	slots := make(chan struct{}, h.o.MaxInFlight)
	for {
		select {
		case <-ctx.Done():
			h.wg.Wait()
			return nil
		case err := <-runErr:
			h.wg.Wait()
			if err == nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return fmt.Errorf("socket mode: %w", err)
		case evt, ok := <-client.Events:
			if !ok {
				h.wg.Wait()
				return nil
			}
			select {
			case slots <- struct{}{}:
				h.wg.Add(1)
				go func() {
					defer h.wg.Done()
					defer func() { <-slots }()
					h.dispatchSocketEvent(ctx, client, evt)
				}()
			default: // every slot busy: handle it here, which slows reading down
				h.dispatchSocketEvent(ctx, client, evt)
			}
		}
	}
}

// dispatchSocketEvent handles one Socket Mode event and acknowledges its envelope.
func (h *Handler) dispatchSocketEvent(ctx context.Context, ack acker, evt socketmode.Event) {
	log := h.log.WithField("socket_event", string(evt.Type))
	var payload any
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		sc, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			log.Warn("slash command envelope without a command")
			return
		}
		if r := h.handleCommand(ctx, sc); r.Text != "" {
			payload = r
		}
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			log.Warn("interactive envelope without an interaction")
			return
		}
		if ans := h.handleInteraction(ctx, cb); ans != nil {
			payload = ans
		}
	case socketmode.EventTypeEventsAPI:
		if evt.Request == nil {
			log.Warn("events_api envelope without a request")
			return
		}
		retry := ""
		if evt.Request.RetryAttempt > 0 {
			retry = strconv.Itoa(evt.Request.RetryAttempt)
		}
		status, ans := h.handleEventsBody(ctx, evt.Request.Payload, retry)
		if status != http.StatusOK {
			// Not acknowledged: Slack delivers the event again.
			log.WithField("status", status).Warn("Slack event not accepted; leaving it unacknowledged")
			return
		}
		payload = ans
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth, socketmode.EventTypeErrorBadMessage:
		log.WithField("data", fmt.Sprint(evt.Data)).Warn("socket mode problem")
		return
	default: // connecting, connected, hello, disconnect …
		log.Debug("socket mode event")
		return
	}
	var err error
	switch a, ok := ack.(ctxAcker); {
	case ok:
		err = a.AckCtx(ctx, evt.Request.EnvelopeID, payload)
	case payload == nil:
		err = ack.Ack(*evt.Request)
	default:
		err = ack.Ack(*evt.Request, payload)
	}
	if err != nil {
		log.WithError(err).Warn("could not acknowledge a socket mode envelope")
	}
}
