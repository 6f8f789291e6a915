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
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
)

// Slack request-signing constants.
const (
	// HeaderSignature carries "v0=" + hex(HMAC-SHA256(secret, "v0:"+ts+":"+body)).
	HeaderSignature = "X-Slack-Signature"
	// HeaderTimestamp carries the Unix time, in seconds, at which Slack signed the request.
	HeaderTimestamp = "X-Slack-Request-Timestamp"
	// MaxClockSkew is how far the request timestamp may be from now, either way.
	MaxClockSkew = 5 * time.Minute
	// DefaultMaxBody bounds the body of a Slack request. Slash commands are a
	// few hundred bytes; interaction payloads with a modal's state a few KB.
	DefaultMaxBody int64 = 1 << 20

	signatureVersion = "v0"
)

// Errors of VerifyRequest. ErrBodyTooLarge maps to 413; every other error
// wraps ErrUnverified and maps to 401.
var (
	ErrBodyTooLarge = errors.New("request body too large")
	ErrUnverified   = errors.New("request not verified as coming from Slack")
)

// VerifyRequest checks that r was signed by Slack with secret, as described in
// Slack's "Verifying requests from Slack": the timestamp header must be a
// number of seconds within MaxClockSkew of now, and the signature header must
// equal "v0=" + hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)),
// compared in constant time.
//
// The body is read once, at most maxBody bytes (maxBody ≤ 0 means
// DefaultMaxBody); a longer body gives ErrBodyTooLarge. On success it returns
// the body and leaves r.Body readable again from the start, so the caller may
// parse it as usual. Nothing in the request is parsed before it is verified.
func VerifyRequest(r *http.Request, secret string, now time.Time, maxBody int64) ([]byte, error) {
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	if secret == "" {
		return nil, fmt.Errorf("%w: no signing secret is configured", ErrUnverified)
	}
	ts := r.Header.Get(HeaderTimestamp)
	if ts == "" {
		return nil, fmt.Errorf("%w: missing %s header", ErrUnverified, HeaderTimestamp)
	}
	sig := r.Header.Get(HeaderSignature)
	if sig == "" {
		return nil, fmt.Errorf("%w: missing %s header", ErrUnverified, HeaderSignature)
	}
	if err := checkTimestamp(ts, now); err != nil {
		return nil, err
	}
	version, _, ok := strings.Cut(sig, "=")
	if !ok || version != signatureVersion {
		return nil, fmt.Errorf("%w: unsupported signature version (want %s=…)", ErrUnverified, signatureVersion)
	}

	if r.ContentLength > maxBody {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBodyTooLarge, r.ContentLength, maxBody)
	}
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		r.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
	}
	if int64(len(body)) > maxBody {
		return nil, fmt.Errorf("%w: over %d bytes", ErrBodyTooLarge, maxBody)
	}
	// Restore the body whatever the outcome, so a caller may still log its size.
	r.Body = io.NopCloser(bytes.NewReader(body))

	want := Sign(secret, ts, body)
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return nil, fmt.Errorf("%w: signature mismatch", ErrUnverified)
	}
	return body, nil
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
// within MaxClockSkew of now, before or after.
func checkTimestamp(ts string, now time.Time) error {
	if len(ts) > 18 {
		return fmt.Errorf("%w: %s is not a Unix timestamp", ErrUnverified, HeaderTimestamp)
	}
	for i := 0; i < len(ts); i++ {
		if ts[i] < '0' || ts[i] > '9' {
			return fmt.Errorf("%w: %s is not a Unix timestamp", ErrUnverified, HeaderTimestamp)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not a Unix timestamp", ErrUnverified, HeaderTimestamp)
	}
	skew := now.Unix() - sec
	if skew < 0 {
		skew = -skew
	}
	if skew > int64(MaxClockSkew/time.Second) {
		return fmt.Errorf("%w: timestamp is %ds away from now (limit %s); replayed or clock skew", ErrUnverified, skew, MaxClockSkew)
	}
	return nil
}

// requireSignature returns middleware that lets a request through only when
// VerifyRequest accepts it, before anything parses the body. A rejected
// request is logged and answered JSON {"error": "..."}: 413 for a body over
// maxBody, 400 for one that could not be read, 401 for every other failure,
// 500 if no secret is configured.
func requireSignature(secret string, now func() time.Time, maxBody int64, log *logrus.Entry) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if secret == "" {
				writeJSONError(w, http.StatusInternalServerError, "Slack signing secret is not configured")
				return
			}
			if _, err := VerifyRequest(r, secret, now(), maxBody); err != nil {
				status := http.StatusUnauthorized
				switch {
				case errors.Is(err, ErrBodyTooLarge):
					status = http.StatusRequestEntityTooLarge
				case !errors.Is(err, ErrUnverified):
					status = http.StatusBadRequest // the body could not be read
				}
				log.WithField("path", r.URL.Path).WithError(err).Warn("refused a Slack request")
				writeJSONError(w, status, err.Error())
				return
			}
			next.ServeHTTP(w, r)
		})
	}
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
