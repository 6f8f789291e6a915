package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sirupsen/logrus"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/slackstate"
	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/stats"
)

// Service is what the Slack handlers need from the incident domain;
// *incidents.Service satisfies it.
type Service interface {
	Declare(ctx context.Context, req incidents.DeclareRequest) (*incidents.Incident, error)
	SetStatus(ctx context.Context, number int64, to incidents.Status, actor string) (*incidents.Incident, error)
	SetSeverity(ctx context.Context, number int64, severity, actor string) (*incidents.Incident, error)
	AssignRole(ctx context.Context, number int64, role, user, actor string) (*incidents.Incident, error)
	AddNote(ctx context.Context, number int64, text, actor string) (*incidents.Incident, error)
	AddAction(ctx context.Context, number int64, text, owner, actor string) (*incidents.Incident, error)
	AddActionDue(ctx context.Context, number int64, text, owner string, due time.Time, actor string) (*incidents.Incident, error)
	SetActionDone(ctx context.Context, number int64, id int, done bool, actor string) (*incidents.Incident, error)
	Acknowledge(ctx context.Context, number int64, actor string) (*incidents.Incident, error)
	Resolve(ctx context.Context, number int64, summary, actor string) (*incidents.Incident, error)
	Reopen(ctx context.Context, number int64, actor string) (*incidents.Incident, error)
	MayClose(inc *incidents.Incident, actor, verb string) error
	Get(ctx context.Context, number int64) (*incidents.Incident, error)
	List(ctx context.Context, opts incidents.ListOptions) ([]*incidents.Incident, error)
	Timeline(ctx context.Context, number int64) ([]incidents.Event, error)
	Record(ctx context.Context, number int64, ev incidents.Event) error
	Severities() []incidents.Severity
}

var _ Service = (*incidents.Service)(nil)

// Defaults of HandlerOptions.
const (
	// defaultAckBudget is how long a command or interaction may work before
	// Slack is answered anyway; Slack gives up after 3 seconds.
	defaultAckBudget = 2 * time.Second
	// defaultWorkTimeout bounds work that goes on after Slack was answered.
	defaultWorkTimeout = 30 * time.Second
	// defaultMaxInFlight bounds the commands and interactions being worked on at once.
	defaultMaxInFlight = 64
)

// HandlerOptions configure a Handler. The zero value works except that every
// HTTP request is refused without a SigningSecret and events need EnqueueEvent.
type HandlerOptions struct {
	// SigningSecret verifies every HTTP request from Slack.
	SigningSecret string
	// PublicURL is the bot's base URL, for links to the web view.
	PublicURL string
	// Location is the zone times are shown in; nil means UTC.
	Location *time.Location
	// Lang is the language of every answer; the zero Lang is English.
	Lang Lang
	// Now is the clock (signature windows); nil means time.Now.
	Now func() time.Time
	// Logger receives the handlers' logs; nil discards them.
	Logger *logrus.Entry
	// EnqueueEvent stores an event as a durable job (idempotent by key)
	// before it is acknowledged; the job runs HandleEvent with the event.
	EnqueueEvent func(ctx context.Context, key string, event map[string]string) error
	// Deployments, when set, lets people link an incident to the deployment
	// that caused it; nil answers that deployments are not recorded.
	Deployments deploys.Store
	// Stats computes the figures of /incident stats for the period ending now;
	// nil answers that figures are not available.
	Stats func(ctx context.Context, period time.Duration, service string) (stats.Report, error)
	// Postmortems writes drafts and moves them through review; nil answers
	// that postmortems are not available.
	Postmortems Postmortems
	// Paging, when set, handles a page's Decline button and /incident page;
	// nil answers that paging is not configured.
	Paging Paging
	// Oncall, when set, answers /oncall and the cover requests' Take it
	// button; nil answers that no schedules are configured.
	Oncall Oncall
	// Reporting, when set, answers /incident classify and /incident report;
	// nil answers that regulatory reporting is not configured.
	Reporting Reporting
	// Silences, when set, answers /incident silence and unsilence and the
	// summary's silence buttons; nil answers that no Alertmanager is configured.
	Silences Silences
	// Maintenance, when set, answers /oncall maintenance; nil answers that
	// maintenance windows are not available.
	Maintenance Maintenance
	// MaxBody bounds request bodies; 0 means defaultMaxBody.
	MaxBody int64
	// MaxUnverified bounds the request bodies read at once before their
	// signature is checked; more are answered 503. 0 means defaultMaxUnverified.
	MaxUnverified int
	// BodyTimeout bounds the time a request body may take to arrive; 0 means
	// defaultBodyTimeout.
	BodyTimeout time.Duration

	// AckBudget is how long a request may work before Slack is answered with
	// "Working on it…" (the result then goes to response_url); 0 means defaultAckBudget.
	AckBudget time.Duration
	// WorkTimeout bounds the work that continues after the answer; 0 means defaultWorkTimeout.
	WorkTimeout time.Duration
	// MaxInFlight bounds concurrent commands and interactions; 0 means defaultMaxInFlight.
	MaxInFlight int
	// BotUserID is the bot's own user ID; empty means ask auth.test once.
	BotUserID string
	// HTTPClient posts to response_url; nil means a client with a 10 s
	// timeout. Redirects are never followed, whatever the client says.
	HTTPClient *http.Client
	// SlackAPIURL is the Web API base URL (SLACK_API_URL). Besides Slack's
	// own hooks hosts, response_urls may point at its scheme and host: the
	// simulator and tests serve Slack on loopback.
	SlackAPIURL string
}

// Handler answers Slack: slash commands, interactions and events, over HTTP
// (Register) or Socket Mode (RunSocketMode). It answers every request within
// the ack budget and keeps slow work in bounded background goroutines.
type Handler struct {
	api   *slack.Client
	svc   Service
	state slackstate.Store
	o     HandlerOptions
	log   *logrus.Entry
	http  *http.Client

	sem       chan struct{} // one slot per command or interaction being worked on
	verify    *verifier
	responses responseTargets // where response_urls may point
	wg        sync.WaitGroup

	botMu  sync.Mutex
	botUID string
}

// NewHandler returns a Handler that calls Slack with api, applies commands to
// svc and finds incidents by channel in state.
func NewHandler(api *slack.Client, svc Service, state slackstate.Store, o HandlerOptions) *Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.MaxBody <= 0 {
		o.MaxBody = defaultMaxBody
	}
	if o.MaxUnverified <= 0 {
		o.MaxUnverified = defaultMaxUnverified
	}
	if o.BodyTimeout <= 0 {
		o.BodyTimeout = defaultBodyTimeout
	}
	if o.AckBudget <= 0 {
		o.AckBudget = defaultAckBudget
	}
	if o.WorkTimeout <= 0 {
		o.WorkTimeout = defaultWorkTimeout
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = defaultMaxInFlight
	}
	log := discard.IfNil(o.Logger)
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	hc = noRedirects(hc)
	return &Handler{
		api: api, svc: svc, state: state, o: o, log: log, http: hc,
		sem:       make(chan struct{}, o.MaxInFlight),
		responses: newResponseTargets(o.SlackAPIURL),
		verify:    newVerifier(o.SigningSecret, o.Now, o.MaxBody, o.MaxUnverified, o.BodyTimeout, log),
		botUID:    o.BotUserID,
	}
}

// Register mounts POST /slack/commands, /slack/interactions and /slack/events
// on mux, each behind signature verification (401 JSON before any parsing).
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("POST /slack/commands", h.verified(http.HandlerFunc(h.serveCommand)))
	mux.Handle("POST /slack/interactions", h.verified(http.HandlerFunc(h.serveInteraction)))
	mux.Handle("POST /slack/events", h.verified(http.HandlerFunc(h.serveEvent)))
}

// Shutdown waits for the work that outlived its request (results still on
// their way to response_url), or until ctx ends.
func (h *Handler) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("slack handler shutdown: %w", ctx.Err())
	}
}

// t renders the message name in the handler's language.
func (h *Handler) t(name string, data any) string { return h.o.Lang.Text(name, data) }

// verified lets a request through only when Slack signed it.
func (h *Handler) verified(next http.Handler) http.Handler { return h.verify.wrap(next) }

// reply is an answer shown to the user: a slash command's response body, or
// a message posted to a response_url.
type reply struct {
	ResponseType    string       `json:"response_type,omitempty"`
	Text            string       `json:"text"`
	Blocks          slack.Blocks `json:"blocks,omitzero"`
	ReplaceOriginal bool         `json:"replace_original"` // explicit: a response_url post adds a message unless told to replace
}

// Response types of a reply.
const (
	ephemeral = "ephemeral"
	inChannel = "in_channel"
)

func ephemeralf(format string, args ...any) reply {
	return reply{ResponseType: ephemeral, Text: fmt.Sprintf(format, args...)}
}

func inChannelf(format string, args ...any) reply {
	return reply{ResponseType: inChannel, Text: fmt.Sprintf(format, args...)}
}

// workingReply is the answer when the work outlasts the ack budget.
func (h *Handler) workingReply() reply {
	return reply{ResponseType: ephemeral, Text: h.t("handler.working", nil)}
}

// busyReply is the answer when too much work is in flight.
func (h *Handler) busyReply() reply {
	return reply{ResponseType: ephemeral, Text: h.t("handler.busy", nil)}
}

// deliverTimeout bounds the delivery of a late result to response_url.
const deliverTimeout = 10 * time.Second

// errBusy says no slot was free to run the work.
var errBusy = errors.New("too many Slack requests in flight")

// runBudgeted runs work in a bounded goroutine with a context detached from
// the request (bounded by WorkTimeout). If the work finishes within the ack
// budget its result is returned with late=false. Otherwise late=true is
// returned at once and, when the work finishes, its result goes to deliver
// (if not nil) in the same goroutine.
func runBudgeted[T any](ctx context.Context, h *Handler, work func(ctx context.Context) T, deliver func(ctx context.Context, v T)) (v T, late bool, err error) {
	select {
	case h.sem <- struct{}{}:
	default:
		return v, false, errBusy
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.o.WorkTimeout)
	result := make(chan T)
	lateCh := make(chan struct{})
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer func() { <-h.sem }()
		defer cancel()
		v := work(wctx)
		select {
		case result <- v:
		case <-lateCh:
			if deliver != nil {
				// Its own time: work that used up WorkTimeout (the store
				// down, say) still tells the person what became of it.
				dctx, cancel := context.WithTimeout(context.WithoutCancel(wctx), deliverTimeout)
				deliver(dctx, v)
				cancel()
			}
		}
	}()
	timer := time.NewTimer(h.o.AckBudget)
	defer timer.Stop()
	select {
	case v := <-result:
		return v, false, nil
	case <-timer.C:
		close(lateCh)
		return v, true, nil
	case <-ctx.Done():
		close(lateCh)
		return v, true, nil
	}
}

// answerCommand runs a slash command's work within the ack budget: its reply
// when it is quick, else "Working on it…" now and the reply to response_url
// later, or "busy" when too much is in flight.
func (h *Handler) answerCommand(ctx context.Context, sc slack.SlashCommand, work func(ctx context.Context) reply) reply {
	r, late, err := runBudgeted(ctx, h, work, func(ctx context.Context, r reply) { h.deliverLate(ctx, sc.ResponseURL, r) })
	switch {
	case errors.Is(err, errBusy):
		return h.busyReply()
	case late:
		return h.workingReply()
	}
	return r
}

// postResponse posts r to a response_url, only when it points at Slack
// (see responseTargets) and without following redirects. Errors name the
// URL's host, never its path or query, which are the URL's secret.
func (h *Handler) postResponse(ctx context.Context, responseURL string, r reply) error {
	if responseURL == "" {
		return errors.New("no response_url to answer on")
	}
	u, err := h.responses.check(responseURL)
	if err != nil {
		return err
	}
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("response_url request to %s: %w", u.Host, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := h.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message holds the whole URL
		}
		return fmt.Errorf("post to response_url on %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode/100 == 3:
		return fmt.Errorf("post to response_url on %s: HTTP %d, a redirect, not followed", u.Host, resp.StatusCode)
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("post to response_url on %s: HTTP %d", u.Host, resp.StatusCode)
	}
	return nil
}

// deliverLate posts a result that missed the ack budget to response_url and logs failures.
func (h *Handler) deliverLate(ctx context.Context, responseURL string, r reply) {
	if r.Text == "" {
		return
	}
	if err := h.postResponse(ctx, responseURL, r); err != nil {
		h.log.WithError(err).Warn("could not deliver a late result to Slack")
	}
}

// writeJSON answers 200 with v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}

// friendly turns an error of the incident service into a sentence for the
// user; unexpected errors are logged and reported without their details.
func (h *Handler) friendly(log *logrus.Entry, number int64, err error) string {
	if msg, ok := refusalText(h.o.Lang, err); ok {
		return sentence(h.o.Lang, msg)
	}
	switch {
	case errors.Is(err, incidents.ErrNotFound):
		return h.t("handler.not_found", M{"Number": number})
	case errors.Is(err, incidents.ErrConflict):
		return h.t("handler.conflict", nil)
	case errors.Is(err, incidents.ErrUnavailable):
		log.WithError(err).Warn("Slack request not applied: the store is unavailable")
		return h.t("handler.unavailable", nil)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return h.t("handler.timeout", nil)
	}
	log.WithError(err).Error("Slack request failed")
	return h.t("handler.internal", nil)
}

// sentence turns a service's message into an escaped sentence ("incident
// #3 is resolved" → "Incident #3 is resolved."), keeping the user mentions
// the service itself wrote.
func sentence(l Lang, msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return l.Text("handler.impossible", nil)
	}
	r, size := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[size:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return escapeKeepMentions(msg)
}

// escapeKeepMentions escapes s for mrkdwn but keeps well-formed user
// mentions (<@U123>) that our own service put into its messages.
func escapeKeepMentions(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "<@")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 || !slacktext.IsID(s[i+2:i+j], "UW") {
			b.WriteString(slacktext.Escape(s[:i+2]))
			s = s[i+2:]
			continue
		}
		b.WriteString(slacktext.Escape(s[:i]))
		b.WriteString(s[i : i+j+1])
		s = s[i+j+1:]
	}
	b.WriteString(slacktext.Escape(s))
	return b.String()
}

// refuseClose returns the answer to a user who may not resolve or reopen
// inc (verb), or "" when they may.
func (h *Handler) refuseClose(inc *incidents.Incident, user, verb string) string {
	err := h.svc.MayClose(inc, user, verb)
	if err == nil {
		return ""
	}
	return h.friendly(h.log, inc.Number, err) + " " + h.t("handler.take_command", nil)
}

// incidentOfChannel returns the incident whose channel is channelID;
// incidents.ErrNotFound when it is not an incident channel.
func (h *Handler) incidentOfChannel(ctx context.Context, channelID string) (*incidents.Incident, error) {
	st, err := h.state.SlackStateByChannel(ctx, channelID)
	if err != nil {
		return nil, err
	}
	return h.svc.Get(ctx, st.Number)
}

// channelOf returns the Slack channel of incident number, "" while it has none.
func (h *Handler) channelOf(ctx context.Context, number int64) (string, error) {
	st, err := h.state.SlackState(ctx, number)
	if err != nil {
		return "", fmt.Errorf("read the Slack state of incident #%d: %w", number, err)
	}
	return st.ChannelID, nil
}

// severityNames returns the configured severity names, most severe first.
func (h *Handler) severityNames() []string {
	sevs := h.svc.Severities()
	names := make([]string, len(sevs))
	for i, s := range sevs {
		names[i] = s.Name
	}
	return names
}

// botUserID returns the bot's own user ID, asking auth.test once.
func (h *Handler) botUserID(ctx context.Context) (string, error) {
	h.botMu.Lock()
	defer h.botMu.Unlock()
	if h.botUID != "" {
		return h.botUID, nil
	}
	res, err := h.api.AuthTestContext(ctx)
	if err != nil {
		return "", fmt.Errorf("auth.test: %w", err)
	}
	h.botUID = res.UserID
	return h.botUID, nil
}
