package slacksim

import (
	"io"
	"net/http"
)

// Failure is how a call fails after Slack did what it asked (the channel
// exists, the message is posted): what the caller sees, not what happened.
// Slack documents fatal_error and internal_error as meaning "part of the
// operation may have succeeded"; a 5xx from its edge or a connection that
// drops or times out leave the caller as unsure.
type Failure struct {
	// Error answers HTTP 200 {"ok":false,"error":Error}, e.g. "fatal_error".
	Error string
	// Status answers this HTTP status (500–599) with an HTML body.
	Status int
	// Drop closes the connection without an answer.
	Drop bool
	// Hang sends no answer until the caller gives up (its timeout).
	Hang bool
}

// Failure kinds, for tables of tests.
var (
	FatalError    = Failure{Error: "fatal_error"}
	InternalError = Failure{Error: "internal_error"}
	BadGateway    = Failure{Status: http.StatusBadGateway}
	DroppedAnswer = Failure{Drop: true}
	NoAnswer      = Failure{Hang: true}
)

func (f Failure) String() string {
	switch {
	case f.Error != "":
		return f.Error
	case f.Status != 0:
		return http.StatusText(f.Status)
	case f.Drop:
		return "dropped connection"
	case f.Hang:
		return "no answer"
	}
	return "none"
}

// SetFailAfter makes calls of method (or AllMethods) chosen by when take
// effect and then fail as f says: the side effect happened, the caller is
// told otherwise. A zero When clears it.
func (s *Server) SetFailAfter(method string, when When, f Failure) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	m := s.faultsLocked(method)
	if !when.active() {
		m.after = nil
		return
	}
	if f.Status != 0 && (f.Status < 500 || f.Status > 599) {
		f.Status = http.StatusInternalServerError
	}
	m.after = &rule{when: when, failure: f}
}

// decideAfter returns the failure, if any, for a call of method that took
// effect.
func (s *Server) decideAfter(method string) (Failure, bool) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	r := (*rule)(nil)
	if own := s.faults[method]; own != nil && own.after != nil {
		r = own.after
	} else if all := s.faults[AllMethods]; all != nil {
		r = all.after
	}
	if r == nil || !s.hitLocked(r) {
		return Failure{}, false
	}
	return r.failure, true
}

// failAfter answers a call that took effect as f says.
func (s *Server) failAfter(w http.ResponseWriter, r *http.Request, method string, f Failure) {
	s.logf("slacksim: %s: took effect, then %s (injected)", method, f)
	switch {
	case f.Error != "":
		writeJSON(w, http.StatusOK, obj{"ok": false, "error": f.Error})
	case f.Status != 0:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(f.Status)
		_, _ = io.WriteString(w, "<html><body><h1>"+http.StatusText(f.Status)+"</h1></body></html>")
	case f.Drop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // closes the connection without an answer
	case f.Hang:
		<-r.Context().Done()
	}
}
