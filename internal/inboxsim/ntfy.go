package inboxsim

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The ntfy publish subset (docs.ntfy.sh "Publishing"): POST or PUT
// /<topic> with the message as body and parameters in headers (or the query),
// and POST or PUT / with a JSON message. Limits as ntfy's defaults: a message
// of at most 4,096 bytes (a longer one would be an attachment, which this
// server, like one without an attachment cache, refuses), a JSON body of at
// most 8,192 bytes, at most three actions.

const (
	maxMessage  = 4096
	maxJSONBody = 2 * maxMessage
	maxActions  = 3
	// pushTTL is how long ntfy caches a message by default (12h).
	pushTTL = 12 * time.Hour
)

var topicRe = regexp.MustCompile(`^[-_A-Za-z0-9]{1,64}$`)

// Push is a published notification.
type Push struct {
	// ID is the message ID the publish was answered with.
	ID    string
	Time  time.Time
	Topic string
	Title string
	// Message is the body; "triggered" when none was given (as ntfy).
	Message string
	// Priority is 1 to 5, or 0 when not given (ntfy's default, 3).
	Priority int
	Tags     []string
	Click    string
	Actions  []Action
	// Cleared is set when an action with clear=true succeeded: the app
	// would dismiss the notification.
	Cleared bool
}

// Action is an action button.
type Action struct {
	ID      string            `json:"id"`
	Action  string            `json:"action"` // view, broadcast or http
	Label   string            `json:"label"`
	Clear   bool              `json:"clear"`
	URL     string            `json:"url,omitempty"`
	Method  string            `json:"method,omitempty"` // http: default POST
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
	Intent  string            `json:"intent,omitempty"`
	Extras  map[string]string `json:"extras,omitempty"`
	// Result is what the last press gave ("" before any).
	Result *PressResult `json:"-"`
}

// PressResult is what pressing an action did.
type PressResult struct {
	At     time.Time
	Status int    // the HTTP status; 0 when there was no answer
	Err    string // why it failed, "" when it succeeded (a 2xx)
}

// OK reports whether the press succeeded, as the app judges: a 2xx.
func (r PressResult) OK() bool { return r.Err == "" }

func (p Push) clone() Push {
	p.Tags = append([]string(nil), p.Tags...)
	acts := make([]Action, len(p.Actions))
	for i, a := range p.Actions {
		a.Headers = cloneMap(a.Headers)
		a.Extras = cloneMap(a.Extras)
		if a.Result != nil {
			r := *a.Result
			a.Result = &r
		}
		acts[i] = a
	}
	p.Actions = acts
	return p
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// ntfyError is ntfy's error answer.
type ntfyError struct {
	Code     int    `json:"code"`
	HTTPCode int    `json:"http"`
	Message  string `json:"error"`
	Link     string `json:"link,omitempty"`
}

var (
	errNotFound        = ntfyError{40401, 404, "page not found", ""}
	errTopicInvalid    = ntfyError{40009, 400, "invalid request: topic invalid", ""}
	errPriorityInvalid = ntfyError{40007, 400, "invalid priority parameter", "https://ntfy.sh/docs/publish/#message-priority"}
	errJSONInvalid     = ntfyError{40024, 400, "invalid request: request body must be valid JSON", ""}
	errActionsInvalid  = ntfyError{40018, 400, "invalid request: actions invalid", "https://ntfy.sh/docs/publish/#action-buttons"}
	errNoAttachments   = ntfyError{40014, 400, "invalid request: attachments not allowed", "https://ntfy.sh/docs/config/#attachments"}
	errJSONTooLarge    = ntfyError{41303, 413, "JSON body too large", ""}
	errUnauthorized    = ntfyError{40101, 401, "unauthorized", "https://ntfy.sh/docs/publish/#authentication"}
	errForbidden       = ntfyError{40301, 403, "forbidden", "https://ntfy.sh/docs/publish/#authentication"}
)

func (e ntfyError) wrap(format string, a ...any) ntfyError {
	e.Message += "; " + fmt.Sprintf(format, a...)
	return e
}

func writeNtfyError(w http.ResponseWriter, e ntfyError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.HTTPCode)
	_ = json.NewEncoder(w).Encode(e)
}

// NtfyHandler serves the publish endpoint: POST|PUT / (JSON) and
// POST|PUT /<topic>.
func (s *Sim) NtfyHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost && r.Method != http.MethodPut {
			writeNtfyError(w, errNotFound)
			return
		}
		if e, ok := s.authorize(r); !ok {
			writeNtfyError(w, e)
			return
		}
		var (
			p   Push
			err *ntfyError
		)
		if r.URL.Path == "/" {
			p, err = publishJSON(r)
		} else {
			topic := strings.TrimPrefix(r.URL.Path, "/")
			if !topicRe.MatchString(topic) {
				writeNtfyError(w, errNotFound)
				return
			}
			p, err = publishHeaders(r, topic, nil)
		}
		if err != nil {
			writeNtfyError(w, *err)
			return
		}
		p.ID = randomID(12)
		p.Time = s.o.Now().Truncate(time.Second)
		for i := range p.Actions {
			p.Actions[i].ID = randomID(10)
		}
		s.mu.Lock()
		s.pushes = append(s.pushes, p)
		if len(s.pushes) > s.o.Keep {
			s.pushes = append([]Push(nil), s.pushes[len(s.pushes)-s.o.Keep:]...)
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(answer(p))
	})
}

// answer is the published message as ntfy answers it.
func answer(p Push) any {
	return struct {
		ID       string   `json:"id"`
		Time     int64    `json:"time"`
		Expires  int64    `json:"expires"`
		Event    string   `json:"event"`
		Topic    string   `json:"topic"`
		Title    string   `json:"title,omitempty"`
		Message  string   `json:"message"`
		Priority int      `json:"priority,omitempty"`
		Tags     []string `json:"tags,omitempty"`
		Click    string   `json:"click,omitempty"`
		Actions  []Action `json:"actions,omitempty"`
	}{p.ID, p.Time.Unix(), p.Time.Add(pushTTL).Unix(), "message", p.Topic, p.Title, p.Message, p.Priority, p.Tags, p.Click, p.Actions}
}

// authorize checks the bearer token when one is required: none is
// forbidden (as an anonymous write to a protected topic), a wrong one
// unauthorized.
func (s *Sim) authorize(r *http.Request) (ntfyError, bool) {
	if s.o.NtfyToken == "" {
		return ntfyError{}, true
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return errForbidden, false
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(s.o.NtfyToken)) != 1 {
		return errUnauthorized, false
	}
	return ntfyError{}, true
}

// publishJSON reads the JSON publish and hands it on as the header form,
// as ntfy does.
func publishJSON(r *http.Request) (Push, *ntfyError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
	if err != nil {
		return Push{}, &errJSONInvalid
	}
	if len(body) > maxJSONBody {
		return Push{}, &errJSONTooLarge
	}
	var m struct {
		Topic    string   `json:"topic"`
		Title    string   `json:"title"`
		Message  string   `json:"message"`
		Priority int      `json:"priority"`
		Tags     []string `json:"tags"`
		Click    string   `json:"click"`
		Actions  []Action `json:"actions"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return Push{}, &errJSONInvalid
	}
	if !topicRe.MatchString(m.Topic) {
		return Push{}, &errTopicInvalid
	}
	params := map[string]string{"title": m.Title, "click": m.Click, "tags": strings.Join(m.Tags, ",")}
	if m.Priority != 0 {
		params["priority"] = strconv.Itoa(m.Priority)
	}
	if len(m.Actions) > 0 {
		a, _ := json.Marshal(m.Actions)
		params["actions"] = string(a)
	}
	if m.Message == "" {
		m.Message = "triggered"
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(strings.NewReader(m.Message))
	r2.Header = http.Header{}
	r2.URL.RawQuery = ""
	return publishHeaders(r2, m.Topic, params)
}

// publishHeaders reads the header form; params, when set, are the
// parameters of a JSON publish instead of headers.
func publishHeaders(r *http.Request, topic string, params map[string]string) (Push, *ntfyError) {
	param := func(names ...string) string {
		if params != nil {
			return strings.TrimSpace(params[names[0]])
		}
		return readParam(r, names...)
	}
	p := Push{Topic: topic}
	p.Title = param("title", "x-title", "t")
	p.Click = param("click", "x-click")
	for _, t := range strings.Split(param("tags", "x-tags", "tag", "ta"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			p.Tags = append(p.Tags, t)
		}
	}
	prio, ok := parsePriority(param("priority", "x-priority", "prio", "p"))
	if !ok {
		return Push{}, &errPriorityInvalid
	}
	p.Priority = prio
	if a := param("actions", "x-actions", "action"); a != "" {
		acts, err := parseActions(a)
		if err != nil {
			e := errActionsInvalid.wrap("%v", err)
			return Push{}, &e
		}
		p.Actions = acts
	}
	if params == nil {
		p.Message = strings.ReplaceAll(readParam(r, "message", "x-message", "m"), `\n`, "\n")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxMessage+1))
	if err != nil {
		return Push{}, &errJSONInvalid
	}
	if len(body) > maxMessage || !utf8.Valid(body) {
		// ntfy would store it as an attachment; there is no attachment
		// cache here (as on a server without one).
		return Push{}, &errNoAttachments
	}
	if m := strings.TrimSpace(string(body)); m != "" {
		p.Message = m
	}
	if p.Message == "" {
		p.Message = "triggered"
	}
	return p, nil
}

var wordDecoder = mime.WordDecoder{}

// readParam reads the first of names from the headers (RFC 2047-decoded, as
// ntfy allows) or else the query. The first name is canonical.
func readParam(r *http.Request, names ...string) string {
	for _, n := range names {
		v := r.Header.Get(n)
		if d, err := wordDecoder.DecodeHeader(v); err == nil {
			v = d
		}
		v = strings.TrimSpace(v)
		// The HTTP Priority header of RFC 9218 ("u=3, i"), which proxies
		// add, is not ntfy's.
		if strings.EqualFold(n, "priority") && rfc9218.MatchString(v) {
			v = ""
		}
		if v != "" {
			return v
		}
	}
	for _, n := range names {
		if v := strings.TrimSpace(r.URL.Query().Get(n)); v != "" {
			return v
		}
	}
	return ""
}

var rfc9218 = regexp.MustCompile(`^u=\d,\s*(i|\(i\))$|^u=\d$`)

func parsePriority(s string) (int, bool) {
	switch strings.ToLower(s) {
	case "":
		return 0, true
	case "1", "min":
		return 1, true
	case "2", "low":
		return 2, true
	case "3", "default":
		return 3, true
	case "4", "high":
		return 4, true
	case "5", "max", "urgent":
		return 5, true
	}
	return 0, false
}

// parseActions reads actions in the JSON array or the simple format and
// checks them as documented ("Action buttons").
func parseActions(s string) ([]Action, error) {
	var acts []Action
	if strings.HasPrefix(strings.TrimSpace(s), "[") {
		if err := json.Unmarshal([]byte(s), &acts); err != nil {
			return nil, fmt.Errorf("JSON error: %v", err)
		}
	} else {
		var err error
		if acts, err = parseSimpleActions(s); err != nil {
			return nil, err
		}
	}
	if len(acts) > maxActions {
		return nil, fmt.Errorf("only %d actions allowed", maxActions)
	}
	for i := range acts {
		a := &acts[i]
		a.Action = strings.ToLower(a.Action)
		a.Method = strings.ToUpper(a.Method)
		switch {
		case a.Action != "view" && a.Action != "broadcast" && a.Action != "http":
			return nil, fmt.Errorf("parameter 'action' cannot be '%s', valid values are 'view', 'broadcast' and 'http'", a.Action)
		case a.Label == "":
			return nil, errors.New("parameter 'label' is required")
		case a.Action != "broadcast" && a.URL == "":
			return nil, fmt.Errorf("parameter 'url' is required for action '%s'", a.Action)
		case a.Action == "http" && (a.Method == "GET" || a.Method == "HEAD") && a.Body != "":
			return nil, fmt.Errorf("parameter 'body' cannot be set if method is %s", a.Method)
		}
	}
	return acts, nil
}

var keyRe = regexp.MustCompile(`^([-.\w]+)\s*=\s*`)

// parseSimpleActions reads "action, label, url, key=value, …; …": sections
// separated by commas, actions by semicolons, values optionally quoted with
// " or ' (a backslash escapes the quote). The first three sections may omit
// their keys (action, label, and url for view and http).
func parseSimpleActions(s string) ([]Action, error) {
	if !utf8.ValidString(s) {
		return nil, errors.New("invalid utf-8 string")
	}
	var acts []Action
	a := Action{}
	section := 0
	for pos := 0; ; {
		for pos < len(s) && isSpace(s[pos]) {
			pos++
		}
		key := ""
		if m := keyRe.FindStringSubmatch(s[pos:]); m != nil {
			key = m[1]
			pos += len(m[0])
		}
		var value string
		var end byte // ',', ';' or 0 at the end
		if pos < len(s) && (s[pos] == '"' || s[pos] == '\'') {
			q := s[pos]
			i := pos + 1
			for ; i < len(s) && !(s[i] == q && s[i-1] != '\\'); i++ {
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unexpected end of input, quote started at position %d", pos+1)
			}
			value = strings.ReplaceAll(s[pos+1:i], `\`+string(q), string(q))
			pos = i + 1
			for pos < len(s) && isSpace(s[pos]) {
				pos++
			}
			if pos < len(s) {
				if s[pos] != ',' && s[pos] != ';' {
					return nil, fmt.Errorf("unexpected character '%c' at position %d", s[pos], pos)
				}
				end = s[pos]
				pos++
			}
		} else {
			i := strings.IndexAny(s[pos:], ",;")
			if i < 0 {
				value, pos = strings.TrimSpace(s[pos:]), len(s)
			} else {
				value, end, pos = strings.TrimSpace(s[pos:pos+i]), s[pos+i], pos+i+1
			}
		}
		if err := setActionField(&a, section, key, value); err != nil {
			return nil, err
		}
		section++
		if end != ',' {
			acts = append(acts, a)
			a, section = Action{}, 0
			if end == 0 || pos >= len(s) {
				return acts, nil
			}
		}
	}
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

func setActionField(a *Action, section int, key, value string) error {
	if key == "" {
		switch {
		case section == 0:
			key = "action"
		case section == 1:
			key = "label"
		case section == 2 && (strings.EqualFold(a.Action, "view") || strings.EqualFold(a.Action, "http")):
			key = "url"
		default:
			return fmt.Errorf("term '%s' unknown", value)
		}
	}
	if h, ok := strings.CutPrefix(key, "headers."); ok {
		if a.Headers == nil {
			a.Headers = map[string]string{}
		}
		a.Headers[h] = value
		return nil
	}
	if x, ok := strings.CutPrefix(key, "extras."); ok {
		if a.Extras == nil {
			a.Extras = map[string]string{}
		}
		a.Extras[x] = value
		return nil
	}
	switch strings.ToLower(key) {
	case "action":
		a.Action = value
	case "label":
		a.Label = value
	case "url":
		a.URL = value
	case "method":
		a.Method = value
	case "body":
		a.Body = value
	case "intent":
		a.Intent = value
	case "clear":
		switch strings.ToLower(value) {
		case "true", "yes", "1":
			a.Clear = true
		case "false", "no", "0":
			a.Clear = false
		default:
			return fmt.Errorf("parameter 'clear' cannot be '%s', only boolean values are allowed (true/yes/1/false/no/0)", value)
		}
	default:
		return fmt.Errorf("key '%s' unknown", key)
	}
	return nil
}

// Press performs action actionID of push pushID as the ntfy app does: an
// http action sends its method (POST by default) with its headers and body
// (empty for POST) and succeeds on a 2xx, which with clear=true dismisses
// the notification; redirects are followed, as the app's HTTP client does.
// A view action just opens its URL, so pressing it only records that it was
// opened. The result is kept on the action.
func (s *Sim) Press(ctx context.Context, pushID, actionID string) (PressResult, error) {
	a, err := s.action(pushID, actionID)
	if err != nil {
		return PressResult{}, err
	}
	res := PressResult{}
	switch a.Action {
	case "http":
		res = s.doHTTPAction(ctx, a)
	case "view":
		res = PressResult{}
	default:
		return PressResult{}, fmt.Errorf("inboxsim: a %s action cannot be pressed here", a.Action)
	}
	res.At = s.o.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.pushes {
		if s.pushes[i].ID != pushID {
			continue
		}
		for j := range s.pushes[i].Actions {
			if s.pushes[i].Actions[j].ID == actionID {
				r := res
				s.pushes[i].Actions[j].Result = &r
				if res.OK() && a.Clear {
					s.pushes[i].Cleared = true
				}
			}
		}
	}
	return res, nil
}

func (s *Sim) action(pushID, actionID string) (Action, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.pushes {
		if p.ID != pushID {
			continue
		}
		for _, a := range p.Actions {
			if a.ID == actionID {
				return a, nil
			}
		}
		return Action{}, fmt.Errorf("inboxsim: push %s has no action %s", pushID, actionID)
	}
	return Action{}, fmt.Errorf("inboxsim: no push %s", pushID)
}

func (s *Sim) doHTTPAction(ctx context.Context, a Action) PressResult {
	method := a.Method
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader
	if method != http.MethodGet && method != http.MethodHead {
		body = strings.NewReader(a.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.URL, body)
	if err != nil {
		return PressResult{Err: err.Error()}
	}
	req.Header.Set("User-Agent", "ntfy/inboxsim")
	for k, v := range a.Headers {
		req.Header.Set(k, v)
	}
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return PressResult{Err: err.Error()}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return PressResult{Status: resp.StatusCode, Err: fmt.Sprintf("HTTP %d", resp.StatusCode)}
	}
	return PressResult{Status: resp.StatusCode}
}

const idChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = idChars[int(b[i])%len(idChars)]
	}
	return string(b)
}
