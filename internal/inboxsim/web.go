package inboxsim

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// The web view: an index of inboxes and topics, an inbox per address (each
// email's text part, its Acknowledge link), a phone-like list of
// notifications per topic with their action buttons, and the HTML part of an
// email on its own, sandboxed. Everything goes through html/template; no
// page needs JavaScript; every link and form is relative, so the view works
// under any prefix.

// WebHandler serves the web view: GET / (index), GET /mail?to=ADDR,
// GET /message?id=ID (an email's HTML part), GET /push?topic=TOPIC and
// POST /press (push=ID, action=ID).
func (s *Sim) WebHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.webIndex)
	mux.HandleFunc("GET /mail", s.webMail)
	mux.HandleFunc("GET /message", s.webMessage)
	mux.HandleFunc("GET /push", s.webPush)
	mux.HandleFunc("POST /press", s.webPress)
	return mux
}

type webPage struct {
	Title string
	Index *indexView
	Mail  *mailView
	Phone *phoneView
	Flash string
}

type indexView struct {
	Inboxes []countView
	Topics  []countView
}

type countView struct {
	Name  string
	Count int
}

type mailView struct {
	To     string
	Emails []Email
}

type phoneView struct {
	Topic  string
	Pushes []Push
}

func (s *Sim) webIndex(w http.ResponseWriter, r *http.Request) {
	inboxes := map[string]int{}
	for _, e := range s.Emails() {
		for _, to := range e.To {
			inboxes[strings.ToLower(to)]++
		}
	}
	topics := map[string]int{}
	for _, p := range s.Pushes() {
		topics[p.Topic]++
	}
	s.render(w, http.StatusOK, webPage{Title: "Inbox simulator", Index: &indexView{Inboxes: counts(inboxes), Topics: counts(topics)}})
}

func counts(m map[string]int) []countView {
	out := make([]countView, 0, len(m))
	for k, v := range m {
		out = append(out, countView{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (s *Sim) webMail(w http.ResponseWriter, r *http.Request) {
	to := r.URL.Query().Get("to")
	emails := s.Inbox(to)
	slices.Reverse(emails)
	s.render(w, http.StatusOK, webPage{Title: "Inbox of " + to, Mail: &mailView{To: to, Emails: emails}})
}

// htmlPartPolicy renders an email's own HTML with no script, no loads and
// no forms: a sandbox, as a mail client shows mail.
const htmlPartPolicy = "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

func (s *Sim) webMessage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	for _, e := range s.Emails() {
		if e.ID == id && e.HTML != "" {
			h := w.Header()
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Security-Policy", htmlPartPolicy)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			_, _ = w.Write([]byte(e.HTML))
			return
		}
	}
	http.Error(w, "no such email, or it has no HTML part", http.StatusNotFound)
}

func (s *Sim) webPush(w http.ResponseWriter, r *http.Request) {
	topic := r.URL.Query().Get("topic")
	pushes := s.Topic(topic)
	slices.Reverse(pushes)
	s.render(w, http.StatusOK, webPage{Title: "Phone: " + topic, Phone: &phoneView{Topic: topic, Pushes: pushes}, Flash: r.URL.Query().Get("flash")})
}

// webPress presses an action, as tapping its button in the app would, and
// goes back to the topic.
func (s *Sim) webPress(w http.ResponseWriter, r *http.Request) {
	// The form comes from this view; refuse other sites' forms.
	if o := r.Header.Get("Origin"); o != "" {
		if u, err := url.Parse(o); err != nil || u.Host != r.Host {
			http.Error(w, "cross-site form refused", http.StatusForbidden)
			return
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	pushID, actionID := r.PostFormValue("push"), r.PostFormValue("action")
	var topic string
	for _, p := range s.Pushes() {
		if p.ID == pushID {
			topic = p.Topic
		}
	}
	res, err := s.Press(r.Context(), pushID, actionID)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	flash := "Done"
	if !res.OK() {
		flash = "Failed: " + res.Err
	}
	// A relative Location, so the view works under any prefix.
	w.Header().Set("Location", "push?"+url.Values{"topic": {topic}, "flash": {flash}}.Encode())
	w.WriteHeader(http.StatusSeeOther)
}

func (s *Sim) render(w http.ResponseWriter, code int, p webPage) {
	var buf bytes.Buffer
	if err := webTmpl.Execute(&buf, p); err != nil {
		s.o.Logger.WithError(err).Error("inboxsim: render")
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

var webTmpl = template.Must(template.New("web").Funcs(template.FuncMap{
	"decode": func(s string) string {
		if d, err := wordDecoder.DecodeHeader(s); err == nil {
			return d
		}
		return s
	},
	"prio": func(p int) int {
		if p == 0 {
			return 3
		}
		return p
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f5;color:#1d1c1d}
header{background:#1d1c1d;color:#fff;padding:.6rem 1rem}header a{color:#fff}
main{padding:1rem;max-width:60rem}
.mail{background:#fff;border:1px solid #ddd;border-radius:6px;margin:0 0 1rem;padding:.8rem 1rem}
.mail pre{white-space:pre-wrap;font-family:inherit;background:#fafafa;padding:.6rem;border-radius:4px}
.meta{color:#616061;font-size:.85rem}
.phone{max-width:24rem;background:#222;border-radius:1.5rem;padding:1rem .8rem;min-height:20rem}
.note{background:#fff;border-radius:.8rem;padding:.7rem .8rem;margin:0 0 .7rem}
.note.cleared{opacity:.5}
.note h3{margin:0 0 .3rem;font-size:1rem}.note p{margin:.2rem 0;white-space:pre-wrap}
.p5{border-left:6px solid #c0392b}.p4{border-left:6px solid #e67e22}
.actions{display:flex;gap:.5rem;flex-wrap:wrap;margin-top:.5rem}
.actions button,.actions a{font-size:.9rem;padding:.35rem .8rem;border:1px solid #1264a3;border-radius:.4rem;background:#fff;color:#1264a3;text-decoration:none;cursor:pointer}
.ack{font-size:1.05rem;font-weight:bold}
.flash{background:#fff4ce;padding:.5rem 1rem;border-radius:4px}
</style></head><body>
<header><a href="./">Inbox simulator</a> — {{.Title}}</header>
<main>
{{with .Flash}}<p class="flash">{{.}}</p>{{end}}
{{with .Index}}
<h2>Email inboxes</h2>
{{range .Inboxes}}<p><a href="mail?to={{.Name}}">{{.Name}}</a> ({{.Count}})</p>{{else}}<p>No email yet.</p>{{end}}
<h2>Push topics</h2>
{{range .Topics}}<p><a href="push?topic={{.Name}}">{{.Name}}</a> ({{.Count}})</p>{{else}}<p>No push yet.</p>{{end}}
{{end}}
{{with .Mail}}
<h2>{{.To}}</h2>
{{range .Emails}}<article class="mail" id="{{.ID}}">
<h3>{{.Subject}}</h3>
<p class="meta">From {{decode (.Header.Get "From")}} · {{.Received.Format "2006-01-02 15:04:05 MST"}}{{if .TLS}} · TLS{{end}}{{with .User}} · AUTH as {{.}}{{end}}</p>
{{with .AckURL}}<p><a class="ack" href="{{.}}">Acknowledge</a></p>{{end}}
<pre>{{.Text}}</pre>
{{if .HTML}}<p><a href="message?id={{.ID}}">Show the HTML part</a></p>{{end}}
</article>{{else}}<p>No email to this address.</p>{{end}}
{{end}}
{{with .Phone}}
<h2>{{.Topic}}</h2>
<div class="phone">
{{range $p := .Pushes}}<div class="note p{{prio .Priority}}{{if .Cleared}} cleared{{end}}" id="{{.ID}}">
<h3>{{with .Title}}{{.}}{{else}}{{$p.Topic}}{{end}}</h3>
<p>{{.Message}}</p>
<p class="meta">priority {{prio .Priority}}{{range .Tags}} · {{.}}{{end}} · {{.Time.Format "15:04:05"}}{{if .Cleared}} · cleared{{end}}</p>
{{with .Click}}<p><a href="{{.}}">Open</a></p>{{end}}
<div class="actions">
{{range .Actions}}{{if eq .Action "http"}}<form method="post" action="press"><input type="hidden" name="push" value="{{$p.ID}}"><input type="hidden" name="action" value="{{.ID}}"><button type="submit">{{.Label}}</button></form>{{else if eq .Action "view"}}<a href="{{.URL}}">{{.Label}}</a>{{else}}<span class="meta">{{.Label}} ({{.Action}})</span>{{end}}{{with .Result}} <span class="meta">{{if .OK}}✓ {{.Status}}{{else}}✗ {{.Err}}{{end}}</span>{{end}}
{{end}}</div>
</div>
{{else}}<p style="color:#fff">No notification on this topic.</p>{{end}}
</div>
{{end}}
</main></body></html>
`))
