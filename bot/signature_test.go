package bot

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Slack's published example from "Verifying requests from Slack".
const (
	slackDocSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	slackDocTimestamp = "1531420618"
	slackDocBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	slackDocSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

var slackDocNow = time.Unix(1531420618, 0)

func signedRequest(body, ts, sig string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if ts != "" {
		r.Header.Set(HeaderTimestamp, ts)
	}
	if sig != "" {
		r.Header.Set(HeaderSignature, sig)
	}
	return r
}

func TestSignSlackVector(t *testing.T) {
	if got := Sign(slackDocSecret, slackDocTimestamp, []byte(slackDocBody)); got != slackDocSignature {
		t.Errorf("Sign(Slack's example) = %s, want %s", got, slackDocSignature)
	}
}

func TestVerifyRequest(t *testing.T) {
	const maxBody = 4096
	tests := []struct {
		name    string
		secret  string
		body    string
		ts      string
		sig     string
		now     time.Time
		wantErr error // nil: accepted
	}{
		{name: "Slack's example", secret: slackDocSecret, body: slackDocBody, ts: slackDocTimestamp, sig: slackDocSignature, now: slackDocNow},
		{name: "5 minutes late is still fine", secret: slackDocSecret, body: slackDocBody, ts: slackDocTimestamp, sig: slackDocSignature, now: slackDocNow.Add(5 * time.Minute)},
		{name: "5 minutes early is still fine", secret: slackDocSecret, body: slackDocBody, ts: slackDocTimestamp, sig: slackDocSignature, now: slackDocNow.Add(-5 * time.Minute)},
		{name: "stale by 5m1s", secret: slackDocSecret, body: slackDocBody, ts: slackDocTimestamp, sig: slackDocSignature, now: slackDocNow.Add(5*time.Minute + time.Second), wantErr: errUnverified},
		{name: "from the future by 5m1s", secret: slackDocSecret, body: slackDocBody, ts: slackDocTimestamp, sig: slackDocSignature, now: slackDocNow.Add(-5*time.Minute - time.Second), wantErr: errUnverified},
		{name: "missing timestamp", secret: slackDocSecret, body: slackDocBody, sig: slackDocSignature, now: slackDocNow, wantErr: errUnverified},
		{name: "missing signature", secret: slackDocSecret, body: slackDocBody, ts: slackDocTimestamp, now: slackDocNow, wantErr: errUnverified},
		{name: "non-numeric timestamp", secret: slackDocSecret, body: slackDocBody, ts: "1531420618x", sig: slackDocSignature, now: slackDocNow, wantErr: errUnverified},
		{name: "negative timestamp", secret: slackDocSecret, body: slackDocBody, ts: "-1531420618", sig: slackDocSignature, now: slackDocNow, wantErr: errUnverified},
		{name: "huge timestamp", secret: slackDocSecret, body: slackDocBody, ts: "99999999999999999999999", sig: slackDocSignature, now: slackDocNow, wantErr: errUnverified},
		{name: "tampered body", secret: slackDocSecret, body: strings.Replace(slackDocBody, "text=", "text=drop", 1), ts: slackDocTimestamp, sig: slackDocSignature, now: slackDocNow, wantErr: errUnverified},
		{name: "wrong secret", secret: slackDocSecret + "x", body: slackDocBody, ts: slackDocTimestamp, sig: slackDocSignature, now: slackDocNow, wantErr: errUnverified},
		{name: "empty secret", secret: "", body: slackDocBody, ts: slackDocTimestamp, sig: slackDocSignature, now: slackDocNow, wantErr: errUnverified},
		{name: "wrong version prefix", secret: slackDocSecret, body: slackDocBody, ts: slackDocTimestamp, sig: "v1=" + strings.TrimPrefix(slackDocSignature, "v0="), now: slackDocNow, wantErr: errUnverified},
		{name: "no version prefix", secret: slackDocSecret, body: slackDocBody, ts: slackDocTimestamp, sig: strings.TrimPrefix(slackDocSignature, "v0="), now: slackDocNow, wantErr: errUnverified},
		{name: "upper-case hex", secret: slackDocSecret, body: slackDocBody, ts: slackDocTimestamp, sig: "v0=" + strings.ToUpper(slackDocSignature[3:]), now: slackDocNow, wantErr: errUnverified},
		{name: "truncated signature", secret: slackDocSecret, body: slackDocBody, ts: slackDocTimestamp, sig: slackDocSignature[:40], now: slackDocNow, wantErr: errUnverified},
		{name: "timestamp signed differently", secret: slackDocSecret, body: slackDocBody, ts: "1531420619", sig: slackDocSignature, now: slackDocNow, wantErr: errUnverified},
		{name: "oversize body", secret: slackDocSecret, body: strings.Repeat("a", maxBody+1), ts: slackDocTimestamp, sig: Sign(slackDocSecret, slackDocTimestamp, []byte(strings.Repeat("a", maxBody+1))), now: slackDocNow, wantErr: errBodyTooLarge},
		{name: "body exactly at the limit", secret: slackDocSecret, body: strings.Repeat("a", maxBody), ts: slackDocTimestamp, sig: Sign(slackDocSecret, slackDocTimestamp, []byte(strings.Repeat("a", maxBody))), now: slackDocNow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := signedRequest(tt.body, tt.ts, tt.sig)
			body, err := verifyRequest(r, tt.secret, tt.now, maxBody)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("verifyRequest() error = %v, want %v", err, tt.wantErr)
				}
				if body != nil {
					t.Errorf("verifyRequest() body = %d bytes on error, want nil", len(body))
				}
				return
			}
			if err != nil {
				t.Fatalf("verifyRequest() error = %v, want nil", err)
			}
			if string(body) != tt.body {
				t.Errorf("verifyRequest() body = %q, want %q", body, tt.body)
			}
			again, err := io.ReadAll(r.Body)
			if err != nil || string(again) != tt.body {
				t.Errorf("r.Body after verifyRequest = %q, %v; want the body again", again, err)
			}
		})
	}
}

func TestVerifyRequestChunkedOversize(t *testing.T) {
	// No Content-Length: the limit must still hold while reading.
	body := strings.Repeat("x", 100)
	r := signedRequest(body, slackDocTimestamp, Sign(slackDocSecret, slackDocTimestamp, []byte(body)))
	r.ContentLength = -1
	if _, err := verifyRequest(r, slackDocSecret, slackDocNow, 99); !errors.Is(err, errBodyTooLarge) {
		t.Errorf("verifyRequest(101 bytes, limit 99) error = %v, want errBodyTooLarge", err)
	}
}

func TestRequireSignature(t *testing.T) {
	clock := func() time.Time { return slackDocNow }
	big := strings.Repeat("a", int(defaultMaxBody)+1)
	tests := []struct {
		name       string
		secret     string
		req        *http.Request
		wantStatus int
		wantCalled bool
	}{
		{"verified request reaches the handler", slackDocSecret, signedRequest(slackDocBody, slackDocTimestamp, slackDocSignature), http.StatusOK, true},
		{"bad signature is 401", slackDocSecret, signedRequest(slackDocBody, slackDocTimestamp, "v0=00"), http.StatusUnauthorized, false},
		{"missing headers is 401", slackDocSecret, signedRequest(slackDocBody, "", ""), http.StatusUnauthorized, false},
		{"stale is 401", slackDocSecret, signedRequest(slackDocBody, strconv.FormatInt(slackDocNow.Unix()-301, 10), slackDocSignature), http.StatusUnauthorized, false},
		{"too large is 413", slackDocSecret, signedRequest(big, slackDocTimestamp, Sign(slackDocSecret, slackDocTimestamp, []byte(big))), http.StatusRequestEntityTooLarge, false},
		{"no secret configured is 500", "", signedRequest(slackDocBody, slackDocTimestamp, slackDocSignature), http.StatusInternalServerError, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				// The handler can still parse the form after verification.
				if err := r.ParseForm(); err != nil {
					t.Errorf("ParseForm after verification: %v", err)
				}
				if got := r.PostForm.Get("user_name"); got != "roadrunner" {
					t.Errorf("user_name = %q, want roadrunner", got)
				}
			})
			rec := httptest.NewRecorder()
			requireSignature(tt.secret, clock, defaultMaxBody, discardLogger())(next).ServeHTTP(rec, tt.req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if called != tt.wantCalled {
				t.Errorf("handler called = %v, want %v", called, tt.wantCalled)
			}
			if tt.wantCalled {
				return
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			var got struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Error == "" {
				t.Errorf("body = %q (%v), want {\"error\": \"...\"}", rec.Body.String(), err)
			}
		})
	}
}
