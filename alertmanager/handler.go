package alertmanager

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/internal/webhookauth"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"
)

// DefaultMaxBody is the default limit on a webhook body: 1 MiB.
const DefaultMaxBody = 1 << 20

// HandlerOptions configure the webhook Handler.
type HandlerOptions struct {
	// Token is the shared secret: "Authorization: Bearer <Token>", or basic
	// auth with any username and <Token> as password. Required unless AuthNone.
	Token string
	// AuthNone accepts requests without credentials (explicit opt-out).
	AuthNone bool
	// MaxBody limits the body in bytes (default DefaultMaxBody).
	MaxBody int64
	// Logger receives one line per rejected or failed request; nil discards.
	Logger *logrus.Entry
	// Now is the clock for receive times and inbox IDs (default time.Now).
	Now func() time.Time
	// Registerer receives the request and latency metrics; nil registers nothing.
	Registerer prometheus.Registerer
}

// Handler receives Alertmanager webhook notifications (POST
// /webhooks/alertmanager): it authenticates, size-limits and validates the
// body, stores it in the inbox through a Batcher and only then answers 200.
// Every error answer is JSON {"error": "..."}.
type Handler struct {
	batcher *Batcher
	auth    webhookauth.Checker
	maxBody int64
	log     *logrus.Entry
	now     func() time.Time
	ids     *idGen

	requests *prometheus.CounterVec
	latency  prometheus.Histogram
}

// NewHandler returns a Handler that stores through b. It fails when no
// token is set and AuthNone is false, so a missing secret never means an
// open endpoint.
func NewHandler(b *Batcher, o HandlerOptions) (*Handler, error) {
	if b == nil {
		return nil, errors.New("alertmanager: NewHandler needs a Batcher")
	}
	auth, err := webhookauth.New(o.Token, o.AuthNone)
	if err != nil {
		return nil, fmt.Errorf("alertmanager: %w", err)
	}
	h := &Handler{batcher: b, auth: auth, maxBody: o.MaxBody, log: o.Logger, now: o.Now}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBody
	}
	h.log = discard.IfNil(h.log)
	if h.now == nil {
		h.now = time.Now
	}
	ids, err := newIDGen()
	if err != nil {
		return nil, err
	}
	h.ids = ids
	if h.requests, err = register(o.Registerer, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "incidentbot_webhook_requests_total",
		Help: "Alertmanager webhook requests by HTTP status code.",
	}, []string{"code"})); err != nil {
		return nil, err
	}
	if h.latency, err = register(o.Registerer, prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "incidentbot_webhook_ingest_duration_seconds",
		Help:    "Time from receiving a webhook request to its notification being stored.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5ms … ~4s
	})); err != nil {
		return nil, err
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	code, msg := h.serve(w, r, start)
	h.requests.WithLabelValues(strconv.Itoa(code)).Inc()
	if code == http.StatusOK {
		h.latency.Observe(h.now().Sub(start).Seconds())
		writeJSON(w, code, map[string]string{"status": "ok"})
		return
	}
	writeJSON(w, code, map[string]string{"error": msg})
}

// serve does the work and returns the status and, for errors, the message.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, start time.Time) (int, string) {
	log := h.log.WithField("remote", r.RemoteAddr)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return http.StatusMethodNotAllowed, "method " + r.Method + " not allowed; use POST"
	}
	if reason, ok := h.auth.Check(r); !ok {
		log.WithField("reason", reason).Warn("webhook request rejected: unauthorized")
		webhookauth.Challenge(w)
		return http.StatusUnauthorized, reason
	}

	tooLarge := fmt.Sprintf("body larger than %d bytes", h.maxBody)
	if r.ContentLength > h.maxBody {
		log.WithField("content_length", r.ContentLength).Warn("webhook request rejected: body too large")
		return http.StatusRequestEntityTooLarge, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var tl *http.MaxBytesError
		if errors.As(err, &tl) {
			log.Warn("webhook request rejected: body too large")
			return http.StatusRequestEntityTooLarge, tooLarge
		}
		log.WithError(err).Warn("webhook request rejected: reading the body failed")
		return http.StatusBadRequest, "reading the body failed: " + err.Error()
	}

	msg, err := Decode(body)
	if err != nil {
		log.WithError(err).Warn("webhook request rejected: bad payload")
		return http.StatusBadRequest, err.Error()
	}

	item := InboxItem{ID: h.ids.next(start), ReceivedAt: start.UTC(), Body: body}
	log = log.WithFields(logrus.Fields{"group_key": msg.GroupKey, "inbox_id": item.ID, "alerts": len(msg.Alerts)})
	if err := h.batcher.Submit(r.Context(), item); err != nil {
		switch {
		case errors.Is(err, ErrClosed):
			log.Warn("webhook notification not stored: shutting down")
			return http.StatusServiceUnavailable, "the server is shutting down; retry"
		case r.Context().Err() != nil:
			log.WithError(err).Info("webhook notification abandoned: the client went away")
		default:
			log.WithError(err).Error("webhook notification not stored")
		}
		return http.StatusServiceUnavailable, "the notification could not be stored; retry"
	}
	log.Debug("webhook notification stored")
	return http.StatusOK, ""
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do then
}

// idGen makes inbox IDs that sort in receive order: zero-padded Unix
// nanoseconds, kept strictly increasing within the process (a clock that
// steps back or repeats cannot reorder or collide), and a random tag per
// process so two replicas never produce the same ID.
type idGen struct {
	mu   sync.Mutex
	last int64
	tag  uint32
}

func newIDGen() (*idGen, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("alertmanager: seeding inbox IDs: %w", err)
	}
	return &idGen{tag: binary.BigEndian.Uint32(b[:])}, nil
}

func (g *idGen) next(now time.Time) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	ns := max(now.UnixNano(), 0)
	if ns <= g.last {
		ns = g.last + 1
	}
	g.last = ns
	return fmt.Sprintf("%019d-%08x", ns, g.tag)
}
