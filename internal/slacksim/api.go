package slacksim

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/pace"
)

// Handler returns the simulator's HTTP handler: the Web API under /api/, response_url
// endpoints under /response/, file uploads under /upload/, and the web view at /.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) routes() {
	s.methods = methods()
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/api/{method}", s.serveAPI)
	s.mux.HandleFunc("POST /response/{id}", s.serveResponseURL)
	s.mux.HandleFunc("POST /upload/{id}", s.serveUpload)
	s.webRoutes()
}

// methodSpec describes one Web API method.
type methodSpec struct {
	fn func(*Server, *call) (obj, *apiError)
	// json says whether Slack accepts an application/json body for the method. Slack
	// accepts JSON for write methods only; read methods take form or query arguments.
	json bool
}

// obj is a JSON object in an answer.
type obj = map[string]any

// apiError is an ok:false answer.
type apiError struct {
	code  string
	extra obj
}

func fail(code string) *apiError { return &apiError{code: code} }

// failWith is an error with response_metadata messages, as Slack gives for
// invalid_arguments.
func failWith(code string, messages ...string) *apiError {
	return &apiError{code: code, extra: obj{"response_metadata": obj{"messages": messages}}}
}

// call is one Web API request, parsed.
type call struct {
	r    *http.Request
	args map[string]string
	base string // scheme://host the caller used, for URLs the simulator hands out
}

func (c *call) arg(name string) string { return c.args[name] }

// methods is the table of supported Web API methods.
func methods() map[string]methodSpec {
	return map[string]methodSpec{
		"auth.test":                    {fn: (*Server).authTest},
		"conversations.create":         {fn: (*Server).conversationsCreate, json: true},
		"conversations.invite":         {fn: (*Server).conversationsInvite, json: true},
		"conversations.info":           {fn: (*Server).conversationsInfo},
		"conversations.setTopic":       {fn: (*Server).conversationsSetTopic, json: true},
		"conversations.setPurpose":     {fn: (*Server).conversationsSetPurpose, json: true},
		"conversations.archive":        {fn: (*Server).conversationsArchive, json: true},
		"conversations.unarchive":      {fn: (*Server).conversationsUnarchive, json: true},
		"conversations.history":        {fn: (*Server).conversationsHistory},
		"conversations.replies":        {fn: (*Server).conversationsReplies},
		"conversations.members":        {fn: (*Server).conversationsMembers},
		"conversations.join":           {fn: (*Server).conversationsJoin, json: true},
		"conversations.list":           {fn: (*Server).conversationsList},
		"conversations.open":           {fn: (*Server).conversationsOpen, json: true},
		"chat.postMessage":             {fn: (*Server).chatPostMessage, json: true},
		"chat.postEphemeral":           {fn: (*Server).chatPostEphemeral, json: true},
		"chat.update":                  {fn: (*Server).chatUpdate, json: true},
		"chat.getPermalink":            {fn: (*Server).chatGetPermalink},
		"pins.add":                     {fn: (*Server).pinsAdd, json: true},
		"reactions.add":                {fn: (*Server).reactionsAdd, json: true},
		"users.info":                   {fn: (*Server).usersInfo},
		"users.lookupByEmail":          {fn: (*Server).usersLookupByEmail},
		"views.open":                   {fn: (*Server).viewsOpen, json: true},
		"views.update":                 {fn: (*Server).viewsUpdate, json: true},
		"usergroups.list":              {fn: (*Server).usergroupsList},
		"usergroups.create":            {fn: (*Server).usergroupsCreate, json: true},
		"usergroups.update":            {fn: (*Server).usergroupsUpdate, json: true},
		"usergroups.disable":           {fn: (*Server).usergroupsDisable, json: true},
		"usergroups.enable":            {fn: (*Server).usergroupsEnable, json: true},
		"usergroups.users.list":        {fn: (*Server).usergroupsUsersList},
		"usergroups.users.update":      {fn: (*Server).usergroupsUsersUpdate, json: true},
		"files.getUploadURLExternal":   {fn: (*Server).filesGetUploadURLExternal},
		"files.completeUploadExternal": {fn: (*Server).filesCompleteUploadExternal, json: true},
	}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	s.noteSelf(r)
	name := r.PathValue("method")
	spec, known := s.methods[name]
	if !known {
		writeJSON(w, http.StatusOK, obj{"ok": false, "error": "unknown_method"})
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	s.mu.Lock()
	s.calls[name]++
	s.mu.Unlock()

	// Read the arguments first: the server notices a caller that gave up only once the
	// body has been read, and injected latency must end when the caller gives up.
	c, bearer, perr := parseCall(w, r, spec.json)
	if perr != nil {
		writeError(w, perr)
		return
	}
	f := s.decide(name)
	if err := sleep(r.Context(), f.latency); err != nil {
		return // the caller has gone
	}
	if f.rateLimit {
		s.writeRateLimited(w, name, f.retryAfter)
		s.logf("slacksim: %s: 429 ratelimited (injected)", name)
		return
	}
	if f.status != 0 {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, "<html><body><h1>"+http.StatusText(f.status)+"</h1></body></html>")
		s.logf("slacksim: %s: HTTP %d (injected)", name, f.status)
		return
	}

	token := bearer
	if token == "" {
		token = c.args["token"]
	}
	switch {
	case token == "":
		writeError(w, fail("not_authed"))
		return
	case s.opts.Token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(s.opts.Token)) != 1:
		writeError(w, fail("invalid_auth"))
		return
	}

	s.mu.Lock()
	if wait, ok := s.admitLocked(name, c); !ok {
		s.mu.Unlock()
		s.writeRateLimited(w, name, wait)
		s.logf("slacksim: %s: 429 ratelimited (%s), Retry-After %s", name, tierName(name), retryAfterHeader(wait))
		return
	}
	res, aerr := spec.fn(s, c)
	if aerr == nil {
		s.okCalls[name]++
	}
	s.mu.Unlock()
	if aerr != nil {
		s.logf("slacksim: %s: %s", name, aerr.code)
		writeError(w, aerr)
		return
	}
	if f, ok := s.decideAfter(name); ok {
		s.failAfter(w, r, name, f)
		return
	}
	if res == nil {
		res = obj{}
	}
	res["ok"] = true
	writeJSON(w, http.StatusOK, res)
}

// writeRateLimited answers as Slack does over a rate limit: HTTP 429 with
// Retry-After in whole seconds and {"ok":false,"error":"ratelimited"}.
func (s *Server) writeRateLimited(w http.ResponseWriter, method string, retryAfter time.Duration) {
	s.mu.Lock()
	s.limited[method]++
	s.mu.Unlock()
	w.Header().Set("Retry-After", retryAfterHeader(retryAfter))
	writeJSON(w, http.StatusTooManyRequests, obj{"ok": false, "error": "ratelimited"})
}

func tierName(method string) string {
	l := pace.MethodLimit(method)
	if _, perChannel := pace.ChannelLimit(method); perChannel {
		return "special: per channel and per workspace"
	}
	if l.Tier == pace.Special {
		return "special"
	}
	return fmt.Sprintf("tier %d", l.Tier)
}

// parseCall reads a request's arguments the way Slack does: query string, then a
// form-encoded or multipart body, or a JSON body for methods that accept JSON. The
// token of a JSON call must come in the Authorization header.
func parseCall(w http.ResponseWriter, r *http.Request, jsonOK bool) (*call, string, *apiError) {
	c := &call{r: r, args: map[string]string{}, base: baseURL(r)}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			c.args[k] = v[0]
		}
	}
	bearer := ""
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			bearer = strings.TrimSpace(t)
		} else {
			return nil, "", fail("invalid_auth")
		}
	}
	if r.Method != http.MethodPost {
		return c, bearer, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAPIBody))
	if err != nil {
		return nil, "", fail("request_timeout")
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		if len(bytes.TrimSpace(body)) > 0 {
			return nil, "", fail("missing_post_type")
		}
		return c, bearer, nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, "", fail("invalid_post_type")
	}
	if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "iso-8859-1" {
		return nil, "", fail("invalid_charset")
	}
	switch mt {
	case "application/x-www-form-urlencoded", "text/plain":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, "", fail("invalid_form_data")
		}
		for k, v := range vals {
			if len(v) > 0 {
				c.args[k] = v[0]
			}
		}
	case "multipart/form-data":
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := r.ParseMultipartForm(maxAPIBody); err != nil {
			return nil, "", fail("invalid_form_data")
		}
		for k, v := range r.MultipartForm.Value {
			if len(v) > 0 {
				c.args[k] = v[0]
			}
		}
		_ = r.MultipartForm.RemoveAll()
	case "application/json":
		if !jsonOK {
			// Slack reads only form arguments for this method; the JSON body is ignored.
			break
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(body, &fields); err != nil {
			if bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) || len(bytes.TrimSpace(body)) == 0 {
				return nil, "", fail("invalid_json")
			}
			return nil, "", fail("json_not_object")
		}
		for k, raw := range fields {
			if k == "token" {
				continue // JSON calls must authenticate with the header
			}
			var str string
			switch {
			case json.Unmarshal(raw, &str) == nil:
				c.args[k] = str
			case string(raw) == "null":
			default:
				c.args[k] = string(raw)
			}
		}
	default:
		return nil, "", fail("invalid_post_type")
	}
	return c, bearer, nil
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func writeError(w http.ResponseWriter, e *apiError) {
	out := obj{"ok": false, "error": e.code}
	for k, v := range e.extra {
		out[k] = v
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"ok":false,"error":"fatal_error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
