package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/internal/discard"
)

// The webhook paths, all POST, under PathPrefix:
//
//	/webhooks/twilio/sms               inbound SMS to the Twilio number (configure it on the number)
//	/webhooks/twilio/n/{id}/status     status callbacks of notification id's message or call
//	/webhooks/twilio/n/{id}/gather     key presses during notification id's call
//
// The engine puts CallbackURL(publicURL, id) in paging.Message.CallbackURL;
// the client derives the status and gather URLs from it.
const (
	// PathPrefix is where the Handler is mounted.
	PathPrefix = "/webhooks/twilio/"
	// defaultMaxBody bounds a webhook's body. Twilio's webhooks are form
	// posts of a few dozen parameters; an inbound SMS is at most 1600
	// characters of Body. 64 KiB is generous and still cheap.
	defaultMaxBody int64 = 64 << 10
	// maxID bounds a notification ID in a path.
	maxID = 128
)

// CallbackURL is the paging.Message.CallbackURL for notification id:
// publicURL + "/webhooks/twilio/n/" + id (path-escaped).
func CallbackURL(publicURL, id string) string {
	return strings.TrimRight(publicURL, "/") + PathPrefix + "n/" + url.PathEscape(id)
}

// InboundSMSURL is the URL to configure as the Twilio number's "A message
// comes in" webhook (HTTP POST).
func InboundSMSURL(publicURL string) string {
	return strings.TrimRight(publicURL, "/") + PathPrefix + "sms"
}

// StatusURL is the StatusCallback of a page with callback URL cb.
func StatusURL(cb string) string { return suffix(cb, "/status") }

// GatherURL is the <Gather action> of a call with callback URL cb.
func GatherURL(cb string) string { return suffix(cb, "/gather") }

// suffix appends p to the path of u, before any query.
func suffix(u, p string) string {
	base, query, hasQuery := strings.Cut(u, "?")
	base = strings.TrimRight(base, "/") + p
	if hasQuery {
		return base + "?" + query
	}
	return base
}

// Inbound is what the Handler calls once a webhook is verified; the paging
// engine implements it.
type Inbound interface {
	// InboundSMS handles a text from a phone number; reply is sent back as
	// TwiML <Message> (empty: no reply).
	InboundSMS(ctx context.Context, from, body string) (reply string, err error)
	// Pressed handles a key press during the call of notification id; say
	// is read back, then the call ends.
	Pressed(ctx context.Context, id, digits string) (say string, err error)
	// Status records a delivery status ("queued", "sent", "delivered",
	// "failed", "undelivered", "ringing", "in-progress", "completed",
	// "busy", "no-answer", "canceled"; calls also report "initiated") of
	// notification id, with Twilio's error code if any.
	Status(ctx context.Context, id, status, errorCode string) error
}

// HandlerOptions configure a Handler.
type HandlerOptions struct {
	// AuthToken verifies the signatures. Without one every request is
	// refused: an empty HMAC key would let anyone sign.
	AuthToken string
	// PublicURL is the scheme and host (and any path prefix a proxy strips)
	// Twilio calls, e.g. "https://bot.example.com"; the URL a request was
	// signed for is PublicURL + the request's path and query. It must be the
	// same base the engine builds CallbackURLs from.
	PublicURL string
	// MaxBody bounds a request's body; defaultMaxBody when ≤ 0.
	MaxBody int64
	// Logger; never given a phone number or a message body.
	Logger *logrus.Entry
}

// Handler serves Twilio's webhooks (see PathPrefix). It verifies the
// X-Twilio-Signature of every request before it parses anything for the
// engine and answers TwiML (text/xml). Errors answer JSON {"error": "..."}:
// 403 unsigned or badly signed, 405 not POST, 413 too large, 400 malformed,
// 404 unknown path, 500 when Inbound fails.
//
// On a 500 Twilio does not take the answer: an inbound text gets no reply,
// a caller who pressed a key hears Twilio's "an application error has
// occurred", and a status callback is lost. Twilio logs error 11200 in its
// debugger; its default retry policy covers failed connections, not a
// request that got an answer, and the URLs here ask for no more (no
// "#rc=…&rp=…" connection overrides). So the engine should make Status
// idempotent and cheap, answer key presses from state it already has, and
// not rely on a status arriving: a page with no final status is a page to
// move on from when its step's time is up.
type Handler struct {
	in   Inbound
	o    HandlerOptions
	log  *logrus.Entry
	mux  *http.ServeMux
	base string
}

// NewHandler returns the handler that passes verified webhooks to in.
func NewHandler(in Inbound, o HandlerOptions) *Handler {
	h := &Handler{in: in, o: o, log: o.Logger, base: strings.TrimRight(o.PublicURL, "/")}
	if h.o.MaxBody <= 0 {
		h.o.MaxBody = defaultMaxBody
	}
	h.log = discard.IfNil(h.log)
	h.mux = http.NewServeMux()
	// No method in the patterns: the handler answers 405 itself, in JSON.
	h.mux.HandleFunc(PathPrefix+"sms", h.verified(h.sms))
	h.mux.HandleFunc(PathPrefix+"n/{id}/status", h.verified(h.status))
	h.mux.HandleFunc(PathPrefix+"n/{id}/gather", h.verified(h.gather))
	h.mux.HandleFunc(PathPrefix, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such Twilio webhook")
	})
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// verified wraps next: POST only, a signature header, a bounded form body
// whose signature verifies. next gets the parsed POST parameters.
func (h *Handler) verified(next func(http.ResponseWriter, *http.Request, url.Values)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, "Twilio webhooks are POST")
			return
		}
		if h.o.AuthToken == "" || h.base == "" {
			// Without both nothing can verify: refuse, and say why in the log
			// rather than as a puzzling signature mismatch.
			h.log.Error("twilio webhook refused: the auth token or the public URL is not configured")
			writeError(w, http.StatusForbidden, "twilio webhooks are not configured")
			return
		}
		sig := r.Header.Get(HeaderSignature)
		if sig == "" {
			writeError(w, http.StatusForbidden, "missing "+HeaderSignature)
			return
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
			writeError(w, http.StatusUnsupportedMediaType, "want an application/x-www-form-urlencoded body")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.o.MaxBody))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeError(w, http.StatusRequestEntityTooLarge, "body too large")
				return
			}
			writeError(w, http.StatusBadRequest, "could not read the body")
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			writeError(w, http.StatusBadRequest, "the body is not a form")
			return
		}
		if !Verify(h.o.AuthToken, h.base+r.URL.RequestURI(), form, sig) {
			h.log.WithField("path", r.URL.Path).Warn("twilio webhook refused: bad signature")
			writeError(w, http.StatusForbidden, "bad "+HeaderSignature)
			return
		}
		next(w, r, form)
	}
}

func (h *Handler) sms(w http.ResponseWriter, r *http.Request, form url.Values) {
	from, body := form.Get("From"), form.Get("Body")
	if from == "" {
		writeError(w, http.StatusBadRequest, "no From")
		return
	}
	reply, err := h.in.InboundSMS(r.Context(), from, body)
	if err != nil {
		// MessageSid identifies the text in Twilio's console without
		// exposing who sent it or what it said.
		h.log.WithField("message_sid", form.Get("MessageSid")).WithError(err).Error("inbound sms failed")
		writeError(w, http.StatusInternalServerError, "could not handle the message")
		return
	}
	writeTwiML(w, twimlMessage(reply))
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request, form url.Values) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	status := form.Get("MessageStatus")
	if status == "" {
		status = form.Get("CallStatus")
	}
	if status == "" || len(status) > 32 {
		writeError(w, http.StatusBadRequest, "no MessageStatus or CallStatus")
		return
	}
	code := form.Get("ErrorCode")
	if len(code) > 16 {
		writeError(w, http.StatusBadRequest, "bad ErrorCode")
		return
	}
	if err := h.in.Status(r.Context(), id, status, code); err != nil {
		h.log.WithFields(logrus.Fields{"notification": id, "status": status}).WithError(err).Error("twilio status callback failed")
		writeError(w, http.StatusInternalServerError, "could not record the status")
		return
	}
	// Twilio ignores a status callback's answer; an empty Response is what
	// its docs recommend (error 11750 otherwise notes non-TwiML bodies).
	writeTwiML(w, twimlSay(""))
}

func (h *Handler) gather(w http.ResponseWriter, r *http.Request, form url.Values) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	digits := form.Get("Digits")
	if len(digits) > 32 || strings.Trim(digits, "0123456789*#") != "" {
		writeError(w, http.StatusBadRequest, "bad Digits")
		return
	}
	if digits == "" {
		// Gather posts without digits only with actionOnEmptyResult, which
		// the page's TwiML does not set: nothing was pressed.
		writeTwiML(w, twimlSay(""))
		return
	}
	say, err := h.in.Pressed(r.Context(), id, digits)
	if err != nil {
		h.log.WithField("notification", id).WithError(err).Error("twilio key press failed")
		writeError(w, http.StatusInternalServerError, "could not handle the key press")
		return
	}
	writeTwiML(w, twimlSay(say))
}

// pathID is the notification ID of the request's path, or a 404 answered.
func pathID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if id == "" || len(id) > maxID || !utf8.ValidString(id) || strings.ContainsFunc(id, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		writeError(w, http.StatusNotFound, "no such notification")
		return "", false
	}
	return id, true
}

func writeTwiML(w http.ResponseWriter, twiml string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, twiml)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
