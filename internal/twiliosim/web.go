package twiliosim

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The web view: one phone per number the bot texted or called, with its SMS
// thread and a reply box, and its calls with what they said and a keypad.
// Plain HTML forms, no JavaScript; everything is rendered by html/template,
// so text from the bot is escaped. Links and form actions are relative, so
// the view works mounted under a prefix (http.StripPrefix("/twilio", …),
// opened as /twilio/).

func (s *Server) webRoutes() {
	s.tmpl = template.Must(template.New("page").Parse(pageTemplate))
	s.mux.HandleFunc("GET /{$}", s.webIndex)
	s.mux.HandleFunc("POST /deliver", s.webAction)
	s.mux.HandleFunc("POST /answer", s.webAction)
	s.mux.HandleFunc("POST /press", s.webAction)
	s.mux.HandleFunc("POST /hangup", s.webAction)
	s.mux.HandleFunc("POST /reply", s.webAction)
}

type pageData struct {
	Account    string
	Numbers    []string
	InboundURL string
	Flash      string
	Pending    int
	Phones     []phoneView
	Callbacks  []Callback
}

type phoneView struct {
	Number, Anchor string
	// ReplyTo is the Twilio number the phone last heard from.
	ReplyTo string
	Thread  []Message
	Calls   []Call
}

func (s *Server) webIndex(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	d := pageData{Account: s.o.AccountSID, Numbers: s.o.Numbers, InboundURL: s.o.InboundURL, Flash: r.URL.Query().Get("flash")}
	phones := map[string]*phoneView{}
	phone := func(number string) *phoneView {
		p := phones[number]
		if p == nil {
			p = &phoneView{Number: number, Anchor: anchor(number), ReplyTo: s.o.Numbers[0]}
			phones[number] = p
		}
		return p
	}
	for _, m := range s.messages {
		if m.Status == "queued" || m.Status == "accepted" {
			d.Pending++
		}
		if m.Direction == "inbound" {
			phone(m.From).Thread = append(phone(m.From).Thread, *m)
		} else {
			p := phone(m.To)
			p.Thread = append(p.Thread, *m)
			p.ReplyTo = m.From
		}
	}
	for _, c := range s.calls {
		if c.Status == "queued" {
			d.Pending++
		}
		phone(c.To).Calls = append(phone(c.To).Calls, copyCall(c))
	}
	from := max(0, len(s.callbacks)-20)
	for _, cb := range slices.Backward(s.callbacks[from:]) {
		d.Callbacks = append(d.Callbacks, cb)
	}
	s.mu.Unlock()

	for _, p := range phones {
		slices.Reverse(p.Calls) // the latest call first
		d.Phones = append(d.Phones, *p)
	}
	slices.SortFunc(d.Phones, func(a, b phoneView) int { return strings.Compare(a.Number, b.Number) })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	if err := s.tmpl.Execute(w, d); err != nil {
		http.Error(w, "rendering failed", http.StatusInternalServerError)
	}
}

// anchor is the HTML id of a phone's section.
func anchor(number string) string {
	return "phone-" + strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, number)
}

// webAction runs a form's action and goes back to the page with what happened.
func (s *Server) webAction(w http.ResponseWriter, r *http.Request) {
	// A page elsewhere must not press keys on a simulated phone.
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" {
		http.Error(w, "cross-site form posts are refused", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	sid, back := r.PostForm.Get("sid"), ""
	if c, ok := s.Call(sid); ok {
		back = anchor(c.To)
	}
	var (
		flash string
		err   error
	)
	switch strings.TrimPrefix(r.URL.Path, "/") {
	case "deliver":
		err, flash = s.Deliver(ctx), "Delivered the pending pages."
	case "answer":
		err, flash = s.Answer(ctx, sid), "Answered."
	case "hangup":
		err, flash = s.Hangup(ctx, sid), "Hung up."
	case "press":
		if c, ok := s.Call(sid); ok && c.Status == "ringing" {
			err = s.Answer(ctx, sid)
		}
		if err == nil {
			var said []string
			said, err = s.Press(ctx, sid, r.PostForm.Get("digits"))
			flash = "Pressed " + r.PostForm.Get("digits") + ". The call said: " + strings.Join(said, " ")
		}
	case "reply":
		from := r.PostForm.Get("from")
		back = anchor(from)
		var reply string
		reply, err = s.Reply(ctx, from, r.PostForm.Get("to"), r.PostForm.Get("body"))
		flash = "Sent. The bot replied: " + reply
		if reply == "" {
			flash = "Sent. The bot did not reply."
		}
	}
	if err != nil {
		flash = "Error: " + err.Error()
	}
	loc := "./?flash=" + url.QueryEscape(flash)
	if back != "" {
		loc += "#" + back
	}
	// Not http.Redirect: it would make the location absolute and lose a
	// mount prefix; the browser resolves "./" against the form's URL.
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusSeeOther)
}

const pageTemplate = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Twilio simulator</title>
<style>
body{font-family:system-ui,sans-serif;margin:1rem 2rem;background:#f4f4f6;color:#222}
.flash{background:#fff7d6;border:1px solid #e0c060;padding:.5rem 1rem;margin:1rem 0}
.phones{display:flex;flex-wrap:wrap;gap:1.5rem}
.phone{background:#fff;border:2px solid #333;border-radius:1.5rem;padding:1rem;width:22rem}
.msg{margin:.4rem 0;padding:.4rem .7rem;border-radius:1rem;white-space:pre-wrap;max-width:85%}
.in{background:#e4e4ea}.out{background:#2b7cff;color:#fff;margin-left:auto}
.meta{font-size:.75rem;color:#666}.out .meta{color:#dde}
.call{border-top:1px solid #ccc;margin-top:.6rem;padding-top:.6rem}
.keypad button{width:3rem;height:3rem;font-size:1.3rem;border-radius:50%}
textarea{width:100%}
</style></head><body>
<h1>Twilio simulator</h1>
<p>Account <code>{{.Account}}</code> · numbers {{range .Numbers}}<code>{{.}}</code> {{end}}·
inbound texts go to <code>{{if .InboundURL}}{{.InboundURL}}{{else}}(not set){{end}}</code></p>
{{if .Flash}}<p class="flash" role="status">{{.Flash}}</p>{{end}}
<form method="post" action="deliver"><button>Deliver pending pages ({{.Pending}})</button></form>
<div class="phones">
{{range .Phones}}
<section class="phone" id="{{.Anchor}}">
<h2>📱 {{.Number}}</h2>
{{range .Calls}}
<div class="call">
<strong>Call from {{.From}}</strong> — <span class="status">{{.Status}}</span>
{{if or (eq .Status "ringing") (eq .Status "in-progress")}}<ul>{{range .Spoken}}<li>“{{.}}”</li>{{end}}</ul>{{end}}
{{range .Presses}}<p class="meta">pressed {{.Digits}} → {{range .Said}}“{{.}}” {{end}}{{if .Err}}(error: {{.Err}}){{end}}</p>{{end}}
{{if and .GatherAction (or (eq .Status "ringing") (eq .Status "in-progress"))}}
<form method="post" action="press" class="keypad"><input type="hidden" name="sid" value="{{.SID}}">
<button name="digits" value="1">1</button> <button name="digits" value="2">2</button></form>
{{end}}
{{if eq .Status "ringing"}}<form method="post" action="answer"><input type="hidden" name="sid" value="{{.SID}}"><button>Answer</button></form>{{end}}
{{if or (eq .Status "ringing") (eq .Status "in-progress")}}<form method="post" action="hangup"><input type="hidden" name="sid" value="{{.SID}}"><button>Hang up</button></form>{{end}}
</div>
{{end}}
<div class="thread">
{{range .Thread}}
<div class="msg {{if eq .Direction "inbound"}}out{{else}}in{{end}}">{{.Body}}
<div class="meta">{{.Status}}{{if .ErrorCode}} (error {{.ErrorCode}}){{end}}</div></div>
{{end}}
</div>
<form method="post" action="reply"><input type="hidden" name="from" value="{{.Number}}"><input type="hidden" name="to" value="{{.ReplyTo}}">
<textarea name="body" rows="2" maxlength="1600" required placeholder="Text {{.ReplyTo}}"></textarea><button>Send</button></form>
</section>
{{else}}
<p>No texts or calls yet.</p>
{{end}}
</div>
<h2>Latest webhooks</h2>
<table><tr><th>URL</th><th>status</th><th>HTTP</th></tr>
{{range .Callbacks}}<tr><td><code>{{.URL}}</code></td><td>{{.Params.Get "MessageStatus"}}{{.Params.Get "CallStatus"}}{{.Params.Get "Digits"}}</td><td>{{if .HTTPStatus}}{{.HTTPStatus}}{{else}}{{.Err}}{{end}}</td></tr>{{end}}
</table>
</body></html>
`
