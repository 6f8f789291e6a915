package bot

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
)

// Slack request-signing constants.
const (
	// HeaderSignature carries "v0=" + hex(HMAC-SHA256(secret, "v0:"+ts+":"+body)).
	HeaderSignature = "X-Slack-Signature"
	// HeaderTimestamp carries the Unix time, in seconds, at which Slack signed the request.
	HeaderTimestamp = "X-Slack-Request-Timestamp"
	// maxClockSkew is how far the request timestamp may be from now, either way.
	maxClockSkew = 5 * time.Minute
	// defaultMaxBody bounds the body of a Slack request: 512 KiB. Slack
	// publishes no request size, but it bounds what a request carries. The
	// largest is a message event: text cut at 40,000 characters, sent twice
	// (as text and as rich-text blocks), and Slack sends characters beyond
	// ASCII as \uXXXX escapes (its docs say so of view payloads): 40,000
	// Cyrillic characters are then 2 × 240 KB. Interaction payloads carry
	// the bot's own messages and modals (a few KB; at most 50 or 100 blocks
	// of 3,000 characters); slash commands are a few hundred bytes.
	defaultMaxBody int64 = 512 << 10
	// defaultMaxUnverified bounds the bodies read at once before their
	// signature is checked: 32 × 512 KiB is 16 MiB at most, whatever the
	// number of connections. Slack's own requests are read in milliseconds,
	// so 32 at once serves far more than one workspace sends.
	defaultMaxUnverified = 32
	// defaultBodyTimeout is how long a body may take to arrive. Slack sends
	// a whole request at once; a body still arriving after this is cut.
	defaultBodyTimeout = 10 * time.Second

	signatureVersion = "v0"
	// signatureLen is len("v0=") + 64 hex digits of HMAC-SHA256.
	signatureLen = len(signatureVersion) + 1 + 2*sha256.Size
)

// Errors of verifyRequest. errBodyTooLarge maps to 413; every other error
// wraps errUnverified and maps to 401.
var (
	errBodyTooLarge = errors.New("request body too large")
	errUnverified   = errors.New("request not verified as coming from Slack")
)

// verifyRequest checks that r was signed by Slack with secret, as described in
// Slack's "Verifying requests from Slack": the timestamp header must be a
// number of seconds within maxClockSkew of now, and the signature header must
// equal "v0=" + hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)),
// compared in constant time.
//
// Everything that can be checked without the body is checked first, so a
// request that cannot be valid costs no read: the headers, their form, the
// timestamp's window and a Content-Length over maxBody (maxBody ≤ 0 means
// defaultMaxBody), which gives errBodyTooLarge. Then the body is read once,
// at most maxBody bytes; a longer one gives errBodyTooLarge too. On success
// it returns the body and leaves r.Body readable again from the start, so
// the caller may parse it as usual. Nothing in the request is parsed before
// it is verified.
func verifyRequest(r *http.Request, secret string, now time.Time, maxBody int64) ([]byte, error) {
	if maxBody <= 0 {
		maxBody = defaultMaxBody
	}
	ts, sig, err := checkHeaders(r, secret, now, maxBody)
	if err != nil {
		return nil, err
	}
	return verifyBody(r, secret, ts, sig, maxBody)
}

// checkHeaders checks what verifyRequest can check before reading the body
// and returns the timestamp and signature headers.
func checkHeaders(r *http.Request, secret string, now time.Time, maxBody int64) (ts, sig string, err error) {
	if secret == "" {
		return "", "", fmt.Errorf("%w: no signing secret is configured", errUnverified)
	}
	ts = r.Header.Get(HeaderTimestamp)
	if ts == "" {
		return "", "", fmt.Errorf("%w: missing %s header", errUnverified, HeaderTimestamp)
	}
	sig = r.Header.Get(HeaderSignature)
	if sig == "" {
		return "", "", fmt.Errorf("%w: missing %s header", errUnverified, HeaderSignature)
	}
	if err := checkTimestamp(ts, now); err != nil {
		return "", "", err
	}
	version, _, ok := strings.Cut(sig, "=")
	if !ok || version != signatureVersion {
		return "", "", fmt.Errorf("%w: unsupported signature version (want %s=…)", errUnverified, signatureVersion)
	}
	if !wellFormedSignature(sig) {
		return "", "", fmt.Errorf("%w: the signature is not %s= and 64 hex digits", errUnverified, signatureVersion)
	}
	if r.ContentLength > maxBody {
		return "", "", fmt.Errorf("%w: %d bytes, limit %d", errBodyTooLarge, r.ContentLength, maxBody)
	}
	return ts, sig, nil
}

// wellFormedSignature reports whether sig is "v0=" and 64 lower-case hex
// digits, the only form Sign produces.
func wellFormedSignature(sig string) bool {
	if len(sig) != signatureLen {
		return false
	}
	for i := len(signatureVersion) + 1; i < len(sig); i++ {
		if c := sig[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// verifyBody reads r's body (at most maxBody bytes) and checks sig over it.
func verifyBody(r *http.Request, secret, ts, sig string, maxBody int64) ([]byte, error) {
	body, err := readRequestBody(r, maxBody)
	if err == nil {
		err = checkSignature(secret, ts, sig, body)
	}
	if err != nil {
		return nil, err
	}
	return body, nil
}

// readRequestBody reads r's body, at most maxBody bytes, and leaves r.Body
// readable again from the start.
func readRequestBody(r *http.Request, maxBody int64) ([]byte, error) {
	var body []byte
	if r.Body != nil {
		var err error
		body, err = readBody(r.Body, r.ContentLength, maxBody)
		r.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
	}
	if int64(len(body)) > maxBody {
		return nil, fmt.Errorf("%w: over %d bytes", errBodyTooLarge, maxBody)
	}
	// Restore the body whatever the outcome, so a caller may still log its size.
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// checkSignature compares sig with the signature of body, in constant time.
func checkSignature(secret, ts, sig string, body []byte) error {
	want := Sign(secret, ts, body)
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return fmt.Errorf("%w: signature mismatch", errUnverified)
	}
	return nil
}

// readBody reads at most maxBody+1 bytes. The buffer grows with what
// arrives: a Content-Length promised but not sent reserves no memory.
func readBody(body io.Reader, contentLength, maxBody int64) ([]byte, error) {
	size := int64(bytes.MinRead)
	if contentLength > 0 {
		size = min(contentLength+bytes.MinRead, 16<<10) // room for the read that sees EOF
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	_, err := buf.ReadFrom(io.LimitReader(body, maxBody+1))
	return buf.Bytes(), err
}

// Sign returns the X-Slack-Signature value Slack would send for body signed
// at timestamp ts (Unix seconds, as sent in X-Slack-Request-Timestamp).
// Tests and the Slack simulator use it to sign their requests.
func Sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signatureVersion + ":" + ts + ":"))
	mac.Write(body)
	return signatureVersion + "=" + hex.EncodeToString(mac.Sum(nil))
}

// checkTimestamp accepts ts when it is a plain decimal number of seconds
// within maxClockSkew of now, before or after.
func checkTimestamp(ts string, now time.Time) error {
	if len(ts) > 18 {
		return fmt.Errorf("%w: %s is not a Unix timestamp", errUnverified, HeaderTimestamp)
	}
	for i := 0; i < len(ts); i++ {
		if ts[i] < '0' || ts[i] > '9' {
			return fmt.Errorf("%w: %s is not a Unix timestamp", errUnverified, HeaderTimestamp)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not a Unix timestamp", errUnverified, HeaderTimestamp)
	}
	skew := now.Unix() - sec
	if skew < 0 {
		skew = -skew
	}
	if skew > int64(maxClockSkew/time.Second) {
		return fmt.Errorf("%w: timestamp is %ds away from now (limit %s); replayed or clock skew", errUnverified, skew, maxClockSkew)
	}
	return nil
}

// verifier lets a request through only when verifyRequest accepts it,
// before anything parses the body, and keeps what unsigned requests cost
// bounded: the headers are checked before the body is read, at most
// cap(slots) bodies are read at once (the rest are answered 503 at once,
// not queued), and a body that takes longer than timeout is cut.
type verifier struct {
	secret  string
	now     func() time.Time
	maxBody int64
	timeout time.Duration
	slots   chan struct{}
	log     *logrus.Entry
	busy    atomic.Int64 // requests refused because every slot was taken
	read    func()       // tests: called with each body read, before its signature is checked
}

func newVerifier(secret string, now func() time.Time, maxBody int64, maxUnverified int, timeout time.Duration, log *logrus.Entry) *verifier {
	return &verifier{secret: secret, now: now, maxBody: maxBody, timeout: timeout,
		slots: make(chan struct{}, maxUnverified), log: log}
}

// wrap returns next behind the verification. A refused request is logged
// and answered JSON {"error": "..."}, on a connection then closed (so the
// server does not read the rest of the body to reuse it): 413 for a body
// over maxBody, 503 when too many bodies are being read, 408 for a body
// that did not arrive in time, 400 for one that could not be read, 401 for
// every other failure, 500 if no secret is configured.
func (v *verifier) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refuse := func(status int, err error) {
			v.log.WithField("path", r.URL.Path).WithError(err).Warn("refused a Slack request")
			// Read nothing more: without this the server reads up to 256 KiB
			// of the refused body, as slowly as the client sends it, to find
			// its end before it closes the connection.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now())
			w.Header().Set("Connection", "close")
			writeJSONError(w, status, err.Error())
		}
		if v.secret == "" {
			w.Header().Set("Connection", "close")
			writeJSONError(w, http.StatusInternalServerError, "Slack signing secret is not configured")
			return
		}
		ts, sig, err := checkHeaders(r, v.secret, v.now(), v.maxBody)
		if err != nil {
			refuse(verifyStatus(err), err)
			return
		}
		select {
		case v.slots <- struct{}{}:
		default:
			v.busy.Add(1)
			w.Header().Set("Retry-After", "1")
			refuse(http.StatusServiceUnavailable, errors.New("too many Slack requests being read; retry"))
			return
		}
		// A deadline on the connection, not the clock of the signature
		// window: a body trickling in is cut, whatever the tests' clock.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(v.timeout))
		body, err := readRequestBody(r, v.maxBody)
		if err == nil {
			if v.read != nil {
				v.read()
			}
			err = checkSignature(v.secret, ts, sig, body)
		}
		<-v.slots
		if err != nil {
			refuse(verifyStatus(err), err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// verifyStatus is the answer to a verifyRequest error.
func verifyStatus(err error) int {
	var ne net.Error
	switch {
	case errors.Is(err, errBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &ne) && ne.Timeout():
		return http.StatusRequestTimeout
	case !errors.Is(err, errUnverified):
		return http.StatusBadRequest // the body could not be read
	}
	return http.StatusUnauthorized
}

// requireSignature returns middleware that lets a request through only when
// verifyRequest accepts it, with the default bounds on unverified bodies.
func requireSignature(secret string, now func() time.Time, maxBody int64, log *logrus.Entry) func(http.Handler) http.Handler {
	return newVerifier(secret, now, maxBody, defaultMaxUnverified, defaultBodyTimeout, log).wrap
}

// writeJSONError answers with the contract's error shape, {"error": msg}.
func writeJSONError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
	}{msg})
}
