package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/paging/twilio"
)

// hostileAlert is a webhook body of one firing alert with the given labels
// and summary, in group g.
func hostileAlert(g string, labels map[string]string, summary string) []byte {
	if labels == nil {
		labels = map[string]string{}
	}
	labels["alertname"] = "Hostile"
	b, _ := json.Marshal(map[string]any{
		"version": "4", "groupKey": g, "status": "firing", "receiver": "incidentbot",
		"groupLabels": map[string]string{"alertname": "Hostile"}, "commonLabels": map[string]string{"alertname": "Hostile"},
		"commonAnnotations": map[string]string{"summary": summary}, "externalURL": "http://alertmanager.example",
		"alerts": []map[string]any{{"status": "firing", "labels": labels, "annotations": map[string]string{"summary": summary},
			"startsAt": "2026-11-25T02:59:00Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": fmt.Sprintf("%016x", len(g)*7919+int(g[0]))}},
	})
	return b
}

// Hostile input across every way in, each with the answer it must get:
// never a 5xx or a hang, never a 4xx Alertmanager would drop for a
// well-formed alert, nothing applied that was not signed, and what is
// accepted reaches Slack escaped.
func TestHostileInputsAcrossTheEndpoints(t *testing.T) {
	t.Parallel()
	p := newPhones(t, nil, false)
	h := p.harness(t, harnessOptions{})
	h.openCritical() // incident #1 pages alice by email: a real acknowledge link to tamper with
	mails := p.inbox.Inbox(aliceEmail)
	if len(mails) == 0 || mails[0].AckURL == "" {
		t.Fatal("no email page with an acknowledge link")
	}
	ackURL := mails[0].AckURL
	general := h.channelID("general")

	deep := strings.Repeat("[", 50_000) + strings.Repeat("]", 50_000) // past encoding/json's 10,000 levels
	manyLabels := map[string]string{}
	for i := range 10_000 {
		manyLabels[fmt.Sprintf("l%05d", i)] = "v"
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(bytes.Repeat([]byte(" "), 50<<20)) // 50 MiB of spaces in ~50 KiB
	zw.Close()

	webhook := func(body []byte, mod func(*http.Request)) func() *http.Request {
		return func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, h.app.URL()+"/webhooks/alertmanager", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+testToken)
			req.Header.Set("Content-Type", "application/json")
			if mod != nil {
				mod(req)
			}
			return req
		}
	}
	slackReq := func(path string, body string, at time.Time, mod func(*http.Request)) func() *http.Request {
		return func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, h.app.URL()+path, strings.NewReader(body))
			ts := strconv.FormatInt(at.Unix(), 10)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set(bot.HeaderTimestamp, ts)
			req.Header.Set(bot.HeaderSignature, bot.Sign(testSigningSecret, ts, []byte(body)))
			if mod != nil {
				mod(req)
			}
			return req
		}
	}
	command := func(text string) string {
		return url.Values{"command": {"/incident"}, "text": {text}, "user_id": {"U0001"}, "channel_id": {general},
			"team_id": {"T0001"}, "response_url": {h.simURL + "/hooks/response/x"}, "trigger_id": {"1.2.3"}}.Encode()
	}
	twilioReq := func(sig func(u string, f url.Values) string) func() *http.Request {
		return func() *http.Request {
			u := h.app.URL() + "/webhooks/twilio/sms"
			f := url.Values{"From": {alicePhone}, "To": {twilioFrom}, "Body": {"ACK 1"}, "MessageSid": {"SM0123"}}
			req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(f.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if s := sig(u, f); s != "" {
				req.Header.Set(twilio.HeaderSignature, s)
			}
			return req
		}
	}
	now := h.clock.Now()
	tampered := ackURL[:len(ackURL)-3] + map[bool]string{true: "AAA", false: "BBB"}[strings.HasSuffix(ackURL, "AAA")]

	cases := []struct {
		name string
		req  func() *http.Request
		want int
	}{
		{"webhook: deep JSON", webhook([]byte(`{"version":"4","groupKey":"d","alerts":`+deep+`}`), nil), http.StatusBadRequest},
		{"webhook: invalid UTF-8 in labels", webhook(bytes.Replace(hostileAlert("utf8", map[string]string{"service": "PLACE"}, "bad"), []byte("PLACE"), []byte{0xff, 0xfe, 'x'}, 1), nil), http.StatusOK},
		{"webhook: NUL and control characters", webhook(hostileAlert("ctl", map[string]string{"service": "a\x00b\x1bc"}, "line\x00one\u202e\x07two"), nil), http.StatusOK},
		{"webhook: 10,000 labels", webhook(hostileAlert("many", manyLabels, "many labels"), nil), http.StatusOK},
		{"webhook: <!channel> in the summary", webhook(hostileAlert("mention", nil, "<!channel> <@U0001> <https://evil.example|click>"), nil), http.StatusOK},
		{"webhook: oversized body", webhook(bytes.Repeat([]byte(" "), 2<<20), nil), http.StatusRequestEntityTooLarge},
		{"webhook: gzip body (a bomb)", webhook(gz.Bytes(), func(r *http.Request) { r.Header.Set("Content-Encoding", "gzip") }), http.StatusBadRequest},
		{"webhook: no token", webhook(hostileAlert("anon", nil, "x"), func(r *http.Request) { r.Header.Del("Authorization") }), http.StatusUnauthorized},
		{"webhook: wrong token", webhook(hostileAlert("anon", nil, "x"), func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }), http.StatusUnauthorized},
		{"slack: signed command", slackReq("/slack/commands", command("list"), now, nil), http.StatusOK},
		{"slack: replayed signature (10 min old)", slackReq("/slack/commands", command("declare replayed"), now.Add(-10*time.Minute), nil), http.StatusUnauthorized},
		{"slack: future-dated signature", slackReq("/slack/commands", command("declare future"), now.Add(10*time.Minute), nil), http.StatusUnauthorized},
		{"slack: body changed after signing", slackReq("/slack/commands", command("list"), now, func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(command("declare forged")))
			r.ContentLength = int64(len(command("declare forged")))
		}), http.StatusUnauthorized},
		{"slack: no signature", slackReq("/slack/commands", command("list"), now, func(r *http.Request) { r.Header.Del(bot.HeaderSignature) }), http.StatusUnauthorized},
		{"slack: oversized body", slackReq("/slack/commands", strings.Repeat("a", 2<<20), now, nil), http.StatusRequestEntityTooLarge},
		{"slack: invalid UTF-8 and NUL in a command", slackReq("/slack/commands", command("note \xff\xfe\x00 <!channel>"), now, nil), http.StatusOK},
		{"slack: deep JSON interaction", slackReq("/slack/interactions", url.Values{"payload": {deep}}.Encode(), now, nil), http.StatusBadRequest},
		{"slack: event with a forged signature", slackReq("/slack/events", `{"type":"url_verification","challenge":"x"}`, now, func(r *http.Request) {
			r.Header.Set(bot.HeaderSignature, "v0="+strings.Repeat("0", 64))
		}), http.StatusUnauthorized},
		{"twilio: no signature", twilioReq(func(string, url.Values) string { return "" }), http.StatusForbidden},
		{"twilio: wrong signature", twilioReq(func(u string, f url.Values) string { return twilio.Sign("not-the-token", u, f) }), http.StatusForbidden},
		{"ack link: tampered", func() *http.Request { r, _ := http.NewRequest(http.MethodPost, tampered, nil); return r }, http.StatusForbidden},
		{"ack link: garbage", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, h.app.URL()+"/ack/%00%ff", nil)
			return r
		}, http.StatusForbidden},
	}
	client := &http.Client{Timeout: 30 * time.Second}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := client.Do(tc.req())
			if err != nil {
				t.Fatalf("request: %v", err)
			}
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d (%s)", resp.StatusCode, tc.want, body)
			}
		})
	}

	// Nothing unsigned or forged was applied; what was accepted is stored clean.
	h.applyAll()
	h.settleNow()
	for _, inc := range h.incidents() {
		for _, bad := range []string{"replayed", "future", "forged"} {
			if strings.Contains(inc.Title, bad) {
				t.Errorf("incident #%d %q was declared from an unverified request", inc.Number, inc.Title)
			}
		}
		if !utf8.ValidString(inc.Title) || strings.ContainsAny(inc.Title, "\x00\x07\x1b") {
			t.Errorf("incident #%d's title keeps invalid UTF-8 or control characters: %q", inc.Number, inc.Title)
		}
	}
	if inc, _ := h.app.Service().Get(context.Background(), 1); inc.AcknowledgedAt != nil {
		t.Errorf("incident #1 acknowledged by a tampered link or an unsigned SMS")
	}
	for _, ch := range h.sim.Channels() {
		for _, m := range h.sim.Messages(ch.ID) {
			all := m.Text + string(m.Blocks)
			if strings.Contains(all, "<!channel>") {
				t.Errorf("a message in #%s mentions @channel: %q", ch.Name, m.Text)
			}
			// Control characters and bidi overrides leave no message (the
			// record keeps the text as it came; what is shown is clean).
			for _, bad := range []string{"\x00", "\x07", "\x1b", "\u202e", `\u0000`, `\u0007`, `\u001b`, `\u202e`} {
				if strings.Contains(all, bad) {
					t.Errorf("a message in #%s carries %q: %q", ch.Name, bad, m.Text)
				}
			}
		}
	}
}
