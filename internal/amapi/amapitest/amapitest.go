// Package amapitest is a stand-in for Alertmanager's silence API (v2) in
// tests: the four silence endpoints, as strict as Alertmanager v0.28's
// (api/v2/openapi.yaml and its handlers): required fields and the silence ID's
// UUID format are checked (422 with {"code", "message"}), a silence must end
// after it starts and not in the past, need a matcher that does not match the
// empty string, and a post naming an unknown ID is 404; errors are JSON
// strings. It records every call and can be told to fail.
package amapitest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Call is one request the double answered.
type Call struct {
	Method, Path string
	Body         string
	Status       int
}

// Silence is a stored silence.
type Silence struct {
	ID        string    `json:"id"`
	Matchers  []Matcher `json:"matchers"`
	StartsAt  time.Time `json:"startsAt"`
	EndsAt    time.Time `json:"endsAt"`
	CreatedBy string    `json:"createdBy"`
	Comment   string    `json:"comment"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Matcher is a stored matcher.
type Matcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	IsEqual bool   `json:"isEqual"`
}

// Server is the double. Its zero value is not usable: build it with New.
type Server struct {
	now   func() time.Time
	token string

	mu       sync.Mutex
	silences map[string]*Silence
	order    []string
	calls    []Call
	fail     int // status to answer every request with; 0: none
}

// New returns a double on the clock now; token, when set, is the bearer
// token every request must carry (401 otherwise).
func New(now func() time.Time, token string) *Server {
	if now == nil {
		now = time.Now
	}
	return &Server{now: now, token: token, silences: map[string]*Silence{}}
}

// Fail makes every request answer status (500: Alertmanager failing); 0
// answers normally again.
func (s *Server) Fail(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = status
}

// Calls returns the requests answered so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Silences returns the stored silences in the order they were made.
func (s *Server) Silences() []Silence {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Silence, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, *s.silences[id])
	}
	return out
}

// State is a silence's state at the double's now.
func (s *Server) State(sil Silence) string {
	now := s.now()
	switch {
	case !sil.EndsAt.After(now):
		return "expired"
	case sil.StartsAt.After(now):
		return "pending"
	}
	return "active"
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := readAll(r)
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	s.serve(rec, r, body)
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Body: string(body), Status: rec.status})
	s.mu.Unlock()
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func readAll(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	defer r.Body.Close()
	return io.ReadAll(io.LimitReader(r.Body, 1<<20))
}

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request, body []byte) {
	s.mu.Lock()
	fail := s.fail
	s.mu.Unlock()
	if fail != 0 {
		jsonString(w, fail, "internal error")
		return
	}
	if s.token != "" && r.Header.Get("Authorization") != "Bearer "+s.token {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch {
	case r.URL.Path == "/api/v2/silences" && r.Method == http.MethodPost:
		s.post(w, body)
	case r.URL.Path == "/api/v2/silences" && r.Method == http.MethodGet:
		s.list(w)
	case strings.HasPrefix(r.URL.Path, "/api/v2/silence/"):
		id := strings.TrimPrefix(r.URL.Path, "/api/v2/silence/")
		if !uuidRe.MatchString(id) {
			validation(w, 605, fmt.Sprintf("silenceID in path must be of type uuid: %q", id))
			return
		}
		switch r.Method {
		case http.MethodGet:
			s.get(w, id)
		case http.MethodDelete:
			s.expire(w, id)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// post is POST /api/v2/silences: postableSilence in, {"silenceID"} out.
func (s *Server) post(w http.ResponseWriter, body []byte) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		validation(w, 400, "parsing silence body from \"\" failed, because "+err.Error())
		return
	}
	for _, k := range []string{"matchers", "startsAt", "endsAt", "createdBy", "comment"} {
		if _, ok := raw[k]; !ok {
			validation(w, 602, k+" in body is required")
			return
		}
	}
	var in struct {
		ID        string            `json:"id"`
		Matchers  []json.RawMessage `json:"matchers"`
		StartsAt  time.Time         `json:"startsAt"`
		EndsAt    time.Time         `json:"endsAt"`
		CreatedBy string            `json:"createdBy"`
		Comment   string            `json:"comment"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		validation(w, 400, "parsing silence body failed: "+err.Error())
		return
	}
	if len(in.Matchers) == 0 {
		validation(w, 612, "matchers in body should have at least 1 items")
		return
	}
	var ms []Matcher
	for i, m := range in.Matchers {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(m, &fields); err != nil {
			validation(w, 400, fmt.Sprintf("matchers.%d: %v", i, err))
			return
		}
		for _, k := range []string{"name", "value", "isRegex"} {
			if _, ok := fields[k]; !ok {
				validation(w, 602, fmt.Sprintf("matchers.%d.%s in body is required", i, k))
				return
			}
		}
		mm := Matcher{IsEqual: true}
		if err := json.Unmarshal(m, &mm); err != nil {
			validation(w, 400, fmt.Sprintf("matchers.%d: %v", i, err))
			return
		}
		ms = append(ms, mm)
	}
	now := s.now()
	if !in.StartsAt.Before(in.EndsAt) {
		jsonString(w, http.StatusBadRequest, "Failed to create silence: start time must be before end time")
		return
	}
	if in.EndsAt.Before(now) {
		jsonString(w, http.StatusBadRequest, "Failed to create silence: end time can't be in the past")
		return
	}
	allEmpty := true
	for i, m := range ms {
		if m.Name == "" {
			jsonString(w, http.StatusBadRequest, fmt.Sprintf("invalid silence: invalid label matcher %d: invalid label name %q", i, m.Name))
			return
		}
		re := "^(?:" + regexp.QuoteMeta(m.Value) + ")$"
		if m.IsRegex {
			re = "^(?:" + m.Value + ")$"
		}
		rx, err := regexp.Compile(re)
		if err != nil {
			jsonString(w, http.StatusBadRequest, fmt.Sprintf("invalid silence: invalid label matcher %d: %v", i, err))
			return
		}
		if rx.MatchString("") == m.IsEqual {
			continue
		}
		allEmpty = false
	}
	if allEmpty {
		jsonString(w, http.StatusBadRequest, "invalid silence: at least one matcher must not match the empty string")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.ID != "" {
		if _, ok := s.silences[in.ID]; !ok {
			jsonString(w, http.StatusNotFound, "silence not found")
			return
		}
	}
	start := in.StartsAt.UTC()
	if start.Before(now) {
		start = now.UTC()
	}
	sil := &Silence{ID: newUUID(), Matchers: ms, StartsAt: start, EndsAt: in.EndsAt.UTC(), CreatedBy: in.CreatedBy,
		Comment: in.Comment, UpdatedAt: now.UTC()}
	s.silences[sil.ID] = sil
	s.order = append(s.order, sil.ID)
	writeJSON(w, http.StatusOK, map[string]string{"silenceID": sil.ID})
}

type gettable struct {
	Silence
	Status struct {
		State string `json:"state"`
	} `json:"status"`
}

func (s *Server) gettable(sil *Silence) gettable {
	g := gettable{Silence: *sil}
	g.Status.State = s.State(*sil)
	return g
}

func (s *Server) list(w http.ResponseWriter) {
	s.mu.Lock()
	out := make([]gettable, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.gettable(s.silences[id]))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) get(w http.ResponseWriter, id string) {
	s.mu.Lock()
	sil, ok := s.silences[id]
	var g gettable
	if ok {
		g = s.gettable(sil)
	}
	s.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

// expire is DELETE: active → ends now; pending → starts and ends now;
// expired → nothing.
func (s *Server) expire(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sil, ok := s.silences[id]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	now := s.now().UTC()
	switch s.State(*sil) {
	case "active":
		sil.EndsAt, sil.UpdatedAt = now, now
	case "pending":
		sil.StartsAt, sil.EndsAt, sil.UpdatedAt = now, now, now
	}
	w.WriteHeader(http.StatusOK)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// jsonString is how Alertmanager's handlers answer errors: a JSON string.
func jsonString(w http.ResponseWriter, code int, msg string) { writeJSON(w, code, msg) }

// validation is go-swagger's answer to a request its spec refuses.
func validation(w http.ResponseWriter, code int, msg string) {
	status := http.StatusUnprocessableEntity
	if code == 400 {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, map[string]any{"code": code, "message": msg})
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
