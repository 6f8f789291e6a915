package twiliosim

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

const apiVersion = "2010-04-01"

// Twilio's documented limits.
const (
	maxBody     = 1600 // Body; error 21617
	maxTwiml    = 4000 // Twiml; error 32018
	maxCallback = 4000 // StatusCallback URL; error 21609
)

var (
	e164Re    = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	serviceRe = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
)

func (s *Server) apiRoutes() {
	s.mux.HandleFunc("/"+apiVersion+"/Accounts/{account}/{resource}", s.serveAPI)
	s.mux.HandleFunc("/"+apiVersion+"/", func(w http.ResponseWriter, r *http.Request) {
		if !s.authenticate(w, r) {
			return
		}
		notFound(w, r)
	})
}

// apiErr is Twilio's error answer.
type apiErr struct {
	status int
	code   int
	msg    string
}

func (e *apiErr) write(w http.ResponseWriter) {
	more := "https://www.twilio.com/docs/errors/" + fmt.Sprint(e.code)
	writeJSON(w, e.status, map[string]any{"code": e.code, "message": e.msg, "more_info": more, "status": e.status})
}

func bad(code int, format string, args ...any) *apiErr {
	return &apiErr{status: http.StatusBadRequest, code: code, msg: fmt.Sprintf(format, args...)}
}

func notFound(w http.ResponseWriter, r *http.Request) {
	(&apiErr{http.StatusNotFound, 20404, "The requested resource " + r.URL.Path + " was not found"}).write(w)
}

// authenticate checks HTTP basic auth as Twilio does before anything else:
// the account SID and auth token, and that the URL's account is the one
// authenticated (a subaccount's credentials do not reach another account:
// 20003 too). It answers 401 itself when they fail.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	valid := ok &&
		subtle.ConstantTimeCompare([]byte(user), []byte(s.o.AccountSID)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.o.AuthToken)) == 1
	if account := r.PathValue("account"); valid && account != "" && account != user {
		valid = false
	}
	if !valid {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		(&apiErr{http.StatusUnauthorized, 20003, "Authenticate"}).write(w)
	}
	return valid
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if !s.authenticate(w, r) {
		return
	}
	kind := map[string]string{"Messages.json": TargetMessages, "Calls.json": TargetCalls}[r.PathValue("resource")]
	if kind == "" {
		notFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		// Listing is real Twilio API but not simulated.
		w.Header().Set("Allow", http.MethodPost)
		(&apiErr{http.StatusMethodNotAllowed, 20004, "Method not allowed"}).write(w)
		return
	}
	form, e := readForm(w, r)
	if e != nil {
		e.write(w)
		return
	}

	s.mu.Lock()
	fault := s.faultFor(kind, form.Get("To"))
	s.mu.Unlock()
	switch fault {
	case FaultServerError:
		(&apiErr{http.StatusInternalServerError, 20500, "An internal server error has occurred"}).write(w)
		return
	case FaultTimeout:
		t := time.NewTimer(s.o.HoldTimeout)
		defer t.Stop()
		select {
		case <-r.Context().Done():
		case <-s.ctx.Done():
		case <-t.C:
		}
		(&apiErr{http.StatusBadGateway, 20500, "twiliosim: the simulated request timed out"}).write(w)
		return
	}

	var (
		resource map[string]any
		sid      string
	)
	if kind == TargetMessages {
		m, e := s.createMessage(form)
		if e != nil {
			e.write(w)
			return
		}
		sid, resource = m.SID, s.messageJSON(m)
	} else {
		c, e := s.createCall(form)
		if e != nil {
			e.write(w)
			return
		}
		sid, resource = c.SID, s.callJSON(c)
	}
	writeJSON(w, http.StatusCreated, resource)
	if s.auto != nil {
		select {
		case s.auto <- sid:
		default: // full: the page waits for Deliver, as in tests
		}
	}
}

// readForm reads a bounded application/x-www-form-urlencoded body. Twilio
// reads parameters only from a form body; anything else has no parameters.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *apiErr) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, &apiErr{http.StatusRequestEntityTooLarge, 20001, "twiliosim: request body too large"}
		}
		return nil, bad(20001, "twiliosim: could not read the request body")
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return url.Values{}, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, bad(20001, "twiliosim: the body is not a valid form")
	}
	return form, nil
}

// createMessage validates a Messages create as Twilio does and stores it.
func (s *Server) createMessage(f url.Values) (*Message, *apiErr) {
	to, from, service, body := f.Get("To"), f.Get("From"), f.Get("MessagingServiceSid"), f.Get("Body")
	switch {
	case to == "":
		return nil, bad(21604, "A 'To' phone number is required.")
	case from == "" && service == "":
		return nil, bad(21603, "A 'From' phone number is required.")
	case !e164Re.MatchString(to):
		return nil, bad(21211, "The 'To' number %s is not a valid phone number.", to)
	case service != "" && !serviceRe.MatchString(service):
		return nil, bad(21705, "The Messaging Service Sid %s is invalid.", service)
	case service != "" && service != s.o.MessagingServiceSID:
		return nil, bad(21701, "The Messaging Service Sid %s does not exist or does not belong to this account.", service)
	case from != "" && !e164Re.MatchString(from):
		return nil, bad(21212, "The 'From' number %s is not a valid phone number, shortcode, or alphanumeric sender ID.", from)
	case from != "" && !slices.Contains(s.o.Numbers, from):
		return nil, bad(21606, "The 'From' phone number provided (%s) is not a valid message-capable Twilio phone number for this destination/account.", from)
	case from == to:
		return nil, bad(21266, "'To' and 'From' number cannot be the same: %s", to)
	case body == "" && f.Get("MediaUrl") == "":
		return nil, bad(21602, "Message body is required.")
	case utf8.RuneCountInString(body) > maxBody:
		return nil, bad(21617, "The concatenated message body exceeds the 1600 character limit.")
	}
	cb := f.Get("StatusCallback")
	if e := checkCallback(cb); e != nil {
		return nil, e
	}
	m := &Message{
		SID: newSID("SM"), Direction: "outbound-api", From: from, To: to, Body: body,
		MessagingServiceSID: service, Status: "queued", StatusCallback: cb, Created: s.o.Now(),
	}
	if service != "" {
		// A Messaging Service accepts first and picks the sender itself.
		m.Status, m.From = "accepted", s.o.Numbers[0]
	}
	s.mu.Lock()
	s.addMessage(m)
	s.mu.Unlock()
	return m, nil
}

// checkCallback is Twilio's check of a StatusCallback URL (error 21609): an
// absolute http(s) URL with a hostname without underscores, at most 4000
// characters. Empty is fine: no callbacks.
func checkCallback(cb string) *apiErr {
	if cb == "" {
		return nil
	}
	u, err := url.Parse(cb)
	if err != nil || len(cb) > maxCallback || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || strings.Contains(u.Hostname(), "_") {
		return bad(21609, "The StatusCallback URL %s is not a valid URL.", cb)
	}
	return nil
}

var callEvents = []string{"initiated", "ringing", "answered", "completed"}

// createCall validates a Calls create as Twilio does and stores it.
func (s *Server) createCall(f url.Values) (*Call, *apiErr) {
	to, from, twiml := f.Get("To"), f.Get("From"), f.Get("Twiml")
	switch {
	case to == "":
		return nil, bad(21201, "No 'To' number is specified")
	case from == "":
		return nil, bad(21213, "No 'From' number is specified")
	case !e164Re.MatchString(to):
		return nil, bad(21211, "The phone number you are attempting to call, %s, is not valid.", to)
	case !e164Re.MatchString(from):
		return nil, bad(21212, "The source %s is not a valid phone number.", from)
	case !slices.Contains(s.o.Numbers, from):
		return nil, bad(21210, "The source phone number provided, %s, is not yet verified for your account. You may only make calls from phone numbers that you've verified or purchased from Twilio.", from)
	case twiml == "" && f.Get("Url") == "" && f.Get("ApplicationSid") == "":
		return nil, bad(21205, "Url parameter is required.")
	case twiml == "":
		return nil, bad(21205, "twiliosim: only inline Twiml is simulated, not Url or ApplicationSid")
	case utf8.RuneCountInString(twiml) > maxTwiml:
		return nil, bad(32018, "Twiml size exceeded maximum allowed value of 4000 characters")
	}
	doc, err := parseTwiML(twiml)
	if err != nil {
		// Twilio reports unparsable TwiML as 12100 when the call runs; the
		// simulator refuses it at once, so a test sees it where it was made.
		return nil, bad(12100, "Document parse failure: %v", err)
	}
	cb := f.Get("StatusCallback")
	if e := checkCallback(cb); e != nil {
		return nil, e
	}
	if m := f.Get("StatusCallbackMethod"); m != "" && m != http.MethodPost {
		return nil, bad(21200, "twiliosim: only POST status callbacks are simulated, not %q", m)
	}
	var events []string
	for _, v := range f["StatusCallbackEvent"] {
		for _, ev := range strings.Fields(v) {
			if !slices.Contains(callEvents, ev) {
				return nil, bad(21626, "Invalid 'StatusCallbackEvent': %q", ev)
			}
			if !slices.Contains(events, ev) {
				events = append(events, ev)
			}
		}
	}
	if cb != "" && len(events) == 0 {
		events = []string{"completed"} // Twilio's default
	}
	c := &Call{
		SID: newSID("CA"), From: from, To: to, Status: "queued", Twiml: twiml,
		Spoken: doc.says, GatherAction: doc.gatherAction, GatherDigits: doc.gatherDigits,
		StatusCallback: cb, Events: events, Created: s.o.Now(),
	}
	s.mu.Lock()
	s.addCall(c)
	s.mu.Unlock()
	return c, nil
}

// messageJSON is the Message resource as Twilio answers it.
func (s *Server) messageJSON(m *Message) map[string]any {
	uri := "/" + apiVersion + "/Accounts/" + s.o.AccountSID + "/Messages/" + m.SID
	segments := "1"
	if n := utf8.RuneCountInString(m.Body); n > 160 {
		segments = fmt.Sprint((n + 152) / 153) // 153 characters per part once split
	}
	return map[string]any{
		"account_sid": s.o.AccountSID, "api_version": apiVersion, "body": m.Body,
		"date_created": rfc2822(m.Created), "date_updated": rfc2822(m.Created), "date_sent": nil,
		"direction": m.Direction, "error_code": nil, "error_message": nil,
		"from": nullable(m.From), "messaging_service_sid": nullable(m.MessagingServiceSID),
		"num_media": "0", "num_segments": segments, "price": nil, "price_unit": "USD",
		"sid": m.SID, "status": m.Status, "to": m.To, "uri": uri + ".json",
		"subresource_uris": map[string]string{"media": uri + "/Media.json"},
	}
}

// callJSON is the Call resource as Twilio answers it.
func (s *Server) callJSON(c *Call) map[string]any {
	uri := "/" + apiVersion + "/Accounts/" + s.o.AccountSID + "/Calls/" + c.SID
	return map[string]any{
		"account_sid": s.o.AccountSID, "annotation": nil, "answered_by": nil, "api_version": apiVersion,
		"caller_name": nil, "date_created": rfc2822(c.Created), "date_updated": rfc2822(c.Created),
		"direction": "outbound-api", "duration": nil, "end_time": nil, "forwarded_from": nil,
		"from": c.From, "from_formatted": c.From, "group_sid": nil, "parent_call_sid": nil,
		"phone_number_sid": nil, "price": nil, "price_unit": "USD", "queue_time": "0",
		"sid": c.SID, "start_time": nil, "status": c.Status, "to": c.To, "to_formatted": c.To,
		"trunk_sid": nil, "uri": uri + ".json",
		"subresource_uris": map[string]string{
			"notifications": uri + "/Notifications.json", "recordings": uri + "/Recordings.json",
		},
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
