package bot

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingBody fails nothing but counts the bytes read from it.
type countingBody struct {
	r    io.Reader
	read atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c *countingBody) Close() error { return nil }

// fakeSignature looks like a signature (v0= and 64 hex digits) and is not one.
var fakeSignature = "v0=" + strings.Repeat("ab", 32)

// Everything that can be refused from the headers is refused without
// reading a byte of the body.
func TestRefusedBeforeTheBodyIsRead(t *testing.T) {
	now := slackDocNow
	v := newVerifier(slackDocSecret, func() time.Time { return now }, 1024, 4, time.Minute, discardLogger())
	tests := []struct {
		name          string
		ts, sig       string
		contentLength int64
		want          int
	}{
		{"no timestamp", "", fakeSignature, 10, http.StatusUnauthorized},
		{"no signature", slackDocTimestamp, "", 10, http.StatusUnauthorized},
		{"timestamp not a number", "12ab", fakeSignature, 10, http.StatusUnauthorized},
		{"timestamp 5m1s old", strconv.FormatInt(now.Unix()-301, 10), fakeSignature, 10, http.StatusUnauthorized},
		{"timestamp 5m1s ahead", strconv.FormatInt(now.Unix()+301, 10), fakeSignature, 10, http.StatusUnauthorized},
		{"signature version v1", slackDocTimestamp, "v1=" + strings.Repeat("ab", 32), 10, http.StatusUnauthorized},
		{"signature too short", slackDocTimestamp, "v0=abcd", 10, http.StatusUnauthorized},
		{"signature too long", slackDocTimestamp, fakeSignature + "00", 10, http.StatusUnauthorized},
		{"signature not hex", slackDocTimestamp, "v0=" + strings.Repeat("zz", 32), 10, http.StatusUnauthorized},
		{"signature in upper case", slackDocTimestamp, "v0=" + strings.ToUpper(slackDocSignature[3:]), 10, http.StatusUnauthorized},
		{"Content-Length over the bound", slackDocTimestamp, fakeSignature, 1025, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &countingBody{r: strings.NewReader(strings.Repeat("x", int(tt.contentLength)))}
			r := signedRequest("", tt.ts, tt.sig)
			r.Body, r.ContentLength = body, tt.contentLength
			rec := httptest.NewRecorder()
			called := false
			v.wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })).ServeHTTP(rec, r)
			if rec.Code != tt.want || called {
				t.Errorf("status %d, handler called %v; want %d, not called", rec.Code, called, tt.want)
			}
			if n := body.read.Load(); n != 0 {
				t.Errorf("%d bytes of the body were read, want none", n)
			}
			if rec.Header().Get("Connection") != "close" {
				t.Error("the refusal keeps the connection open: the server would read the body to reuse it")
			}
		})
	}
	// The real signature over the same headers still goes through.
	r := signedRequest(slackDocBody, slackDocTimestamp, slackDocSignature)
	rec := httptest.NewRecorder()
	v.wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })).ServeHTTP(rec, r)
	if rec.Code != http.StatusNoContent {
		t.Errorf("Slack's example: status %d, want it through", rec.Code)
	}
}

// With every slot taken by a body being read, the next request is refused
// 503 at once, unread, and goes through again when a slot frees.
func TestUnverifiedReadsAreBounded(t *testing.T) {
	v := newVerifier(slackDocSecret, func() time.Time { return slackDocNow }, 4096, 2, time.Minute, discardLogger())
	ok := v.wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	v.slots <- struct{}{}
	v.slots <- struct{}{}
	body := &countingBody{r: strings.NewReader(slackDocBody)}
	r := signedRequest("", slackDocTimestamp, slackDocSignature)
	r.Body, r.ContentLength = body, int64(len(slackDocBody))
	rec := httptest.NewRecorder()
	ok.ServeHTTP(rec, r)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || body.read.Load() != 0 {
		t.Errorf("all slots taken: status %d, Retry-After %q, %d bytes read; want 503, a Retry-After, nothing read",
			rec.Code, rec.Header().Get("Retry-After"), body.read.Load())
	}
	if v.busy.Load() != 1 {
		t.Errorf("busy refusals = %d, want 1", v.busy.Load())
	}
	<-v.slots
	rec = httptest.NewRecorder()
	ok.ServeHTTP(rec, signedRequest(slackDocBody, slackDocTimestamp, slackDocSignature))
	if rec.Code != http.StatusNoContent {
		t.Errorf("a slot free: status %d, want the request through", rec.Code)
	}
	if len(v.slots) != 1 {
		t.Errorf("slots taken after the request = %d, want the 1 still held (the slot is given back)", len(v.slots))
	}
}

// rawRequest writes a POST's headers and the first part of its body.
func rawRequest(path, ts, sig string, contentLength int, first string) string {
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s: %s\r\n%s: %s\r\n\r\n%s",
		path, contentLength, HeaderTimestamp, ts, HeaderSignature, sig, first)
}

// A body that trickles in is cut when the body timeout passes: 408, and the
// connection is closed.
func TestSlowBodyIsCut(t *testing.T) {
	e := newEnv(t, func(o *HandlerOptions) { o.BodyTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.botURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ts := strconv.FormatInt(e.clock.Now().Unix(), 10)
	if _, err := io.WriteString(conn, rawRequest("/slack/events", ts, fakeSignature, 1000, `{"type":`)); err != nil {
		t.Fatal(err)
	}
	// The rest never comes. The server must answer on its own; the client's
	// deadline only keeps a broken server from hanging the test.
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a slow body: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || !resp.Close {
		t.Errorf("slow body: %d, close %v; want 408 and the connection closed", resp.StatusCode, resp.Close)
	}
}

// FuzzCheckHeaders: whatever the headers, checkHeaders does not panic, and
// accepts only a decimal timestamp within the window and a well-formed v0
// signature, with a Content-Length within the bound.
func FuzzCheckHeaders(f *testing.F) {
	f.Add(slackDocTimestamp, slackDocSignature, int64(100))
	f.Add("", "", int64(-1))
	f.Add("-1531420618", "v0=", int64(0))
	f.Add("99999999999999999999", fakeSignature, int64(1<<40))
	f.Add(" 1531420618", "v0="+strings.Repeat("A", 64), int64(5))
	f.Add("1531420618", "v0="+strings.Repeat("é", 32), int64(5))
	f.Fuzz(func(t *testing.T, ts, sig string, contentLength int64) {
		r := signedRequest("", ts, sig)
		r.ContentLength = contentLength
		gotTS, gotSig, err := checkHeaders(r, slackDocSecret, slackDocNow, 4096)
		if err != nil {
			if !errors.Is(err, errUnverified) && !errors.Is(err, errBodyTooLarge) {
				t.Fatalf("checkHeaders(%q, %q) = %v, want errUnverified or errBodyTooLarge", ts, sig, err)
			}
			return
		}
		sec, perr := strconv.ParseInt(gotTS, 10, 64)
		if perr != nil || gotTS != ts || strings.TrimLeft(ts, "0123456789") != "" {
			t.Fatalf("accepted timestamp %q", ts)
		}
		if d := sec - slackDocNow.Unix(); d > 300 || d < -300 {
			t.Fatalf("accepted timestamp %q, %ds from now", ts, d)
		}
		if gotSig != sig || !wellFormedSignature(sig) || !strings.HasPrefix(sig, "v0=") {
			t.Fatalf("accepted signature %q", sig)
		}
		if contentLength > 4096 {
			t.Fatalf("accepted Content-Length %d over the bound", contentLength)
		}
	})
}

// FuzzVerifyRequest: a body signed with the secret is accepted as it is;
// any other signature or body is refused.
func FuzzVerifyRequest(f *testing.F) {
	f.Add([]byte(slackDocBody), []byte("x"))
	f.Add([]byte{}, []byte{})
	f.Add([]byte(`{"type":"url_verification"}`), []byte("\x00"))
	f.Fuzz(func(t *testing.T, body, other []byte) {
		sig := Sign(slackDocSecret, slackDocTimestamp, body)
		r := signedRequest(string(body), slackDocTimestamp, sig)
		got, err := verifyRequest(r, slackDocSecret, slackDocNow, 4096)
		switch {
		case len(body) > 4096:
			if !errors.Is(err, errBodyTooLarge) {
				t.Fatalf("%d-byte body: err %v, want errBodyTooLarge", len(body), err)
			}
			return
		case err != nil || string(got) != string(body):
			t.Fatalf("signed body refused: %v", err)
		}
		if string(other) == string(body) {
			return
		}
		r = signedRequest(string(other), slackDocTimestamp, sig)
		if _, err := verifyRequest(r, slackDocSecret, slackDocNow, 4096); err == nil {
			t.Fatalf("body %q accepted with the signature of %q", other, body)
		}
	})
}
