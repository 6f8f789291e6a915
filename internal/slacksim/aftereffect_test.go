package slacksim_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/internal/slacksim"
)

// A call set to fail after its effect does what it asks, then tells the
// caller it failed; the next call is answered normally.
func TestFailAfterEffect(t *testing.T) {
	for _, f := range []slacksim.Failure{slacksim.FatalError, slacksim.InternalError, slacksim.BadGateway, slacksim.DroppedAnswer, slacksim.NoAnswer} {
		t.Run(f.String(), func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			if f.Hang {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 100*time.Millisecond)
				defer cancel()
			}
			e.sim.SetFailAfter("chat.postMessage", slacksim.Next(1), f)
			ch := e.createChannel(t, "inc-1-db")
			_, _, err := e.api.PostMessageContext(ctx, ch, slack.MsgOptionText("one", false))
			switch {
			case err == nil:
				t.Fatal("the post answered ok")
			case f.Error != "":
				var se slack.SlackErrorResponse
				if !errors.As(err, &se) || se.Err != f.Error {
					t.Errorf("error %v, want %s", err, f.Error)
				}
			case f.Status != 0:
				var sce slack.StatusCodeError
				if !errors.As(err, &sce) || sce.Code != http.StatusBadGateway {
					t.Errorf("error %v, want HTTP 502", err)
				}
			}
			if msgs := e.sim.Messages(ch); len(msgs) != 1 || msgs[0].Text != "one" {
				t.Fatalf("channel holds %+v, want the message posted despite the error", msgs)
			}
			if _, _, err := e.api.PostMessageContext(context.Background(), ch, slack.MsgOptionText("two", false)); err != nil {
				t.Errorf("the next post: %v", err)
			}
			if n := len(e.sim.Messages(ch)); n != 2 {
				t.Errorf("messages = %d, want 2", n)
			}
		})
	}
}
