package acklink

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"path"
	"strings"

	"github.com/sirupsen/logrus"
)

// Acknowledger acknowledges the incident a verified link names. The message
// is shown to the person ("Incident #42 acknowledged."); an error means it
// could not be done now (the store is down) and is logged, not shown.
type Acknowledger interface {
	AckByLink(ctx context.Context, c Claims) (message string, err error)
}

// Handler serves an acknowledge link; mount it at "GET /ack/{token}" and
// "POST /ack/{token}" (the token is the path's last segment).
//
// GET only shows a confirmation page with a button, because mail scanners and
// link previews open links: opening one must not acknowledge. The button
// POSTs to the same URL. A POST verifies the token and calls AckByLink. The
// answer is an HTML page to a browser (Accept: text/html), JSON to a client
// that asks for it, and plain text otherwise: ntfy's http action POSTs with
// an empty body and no Accept header, and counts any 2xx as done. A bad token
// answers 403, an expired one 410.
type Handler struct {
	signer *Signer
	ack    Acknowledger
	log    *logrus.Entry
}

// NewHandler returns the handler for links signed by s.
func NewHandler(s *Signer, a Acknowledger, log *logrus.Entry) *Handler {
	return &Handler{signer: s, ack: a, log: log}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, HEAD, POST")
		h.answer(w, r, http.StatusMethodNotAllowed, page{Heading: "Not allowed", Text: "Open the link in a browser."})
		return
	}
	token := path.Base(r.URL.Path)
	c, err := h.signer.Verify(token)
	switch {
	case errors.Is(err, ErrExpired):
		h.answer(w, r, http.StatusGone, page{
			Heading: "This link has expired",
			Text:    "Acknowledge links work for a limited time. Acknowledge the incident in Slack instead.",
			Claims:  &c,
		})
		return
	case err != nil:
		h.answer(w, r, http.StatusForbidden, page{
			Heading: "This link is not valid",
			Text:    "It may have been cut short or changed. Acknowledge the incident in Slack instead.",
		})
		return
	}
	if r.Method != http.MethodPost {
		h.answer(w, r, http.StatusOK, page{Heading: "Acknowledge the incident?", Claims: &c, Confirm: true})
		return
	}
	log := h.log.WithFields(logrus.Fields{"incident": c.Incident, "notification": c.Notification})
	msg, err := h.ack.AckByLink(r.Context(), c)
	if err != nil {
		log.WithError(err).Error("acklink: acknowledge failed")
		h.answer(w, r, http.StatusInternalServerError, page{
			Heading: "Could not acknowledge",
			Text:    "Something went wrong on our side. Try again, or acknowledge in Slack.",
			Claims:  &c,
		})
		return
	}
	log.Info("acklink: acknowledged by link")
	h.answer(w, r, http.StatusOK, page{Heading: "Acknowledged", Text: msg, Claims: &c})
}

// page is what the one template shows.
type page struct {
	Heading, Text string
	Claims        *Claims
	Confirm       bool
	Style         template.CSS
}

// style is the page's only CSS; the Content-Security-Policy allows it by hash.
const style = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1d1c1d}` +
	`button{font-size:1.25rem;padding:.75rem 2rem;border:0;border-radius:.4rem;background:#c0392b;color:#fff;cursor:pointer}` +
	`p.small{color:#616061;font-size:.9rem}`

var csp = func() string {
	sum := sha256.Sum256([]byte(style))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}()

var pageTmpl = template.Must(template.New("ack").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Heading}}</title>
<style>{{.Style}}</style>
</head><body>
<h1>{{.Heading}}</h1>
{{with .Claims}}<p>Incident #{{.Incident}}</p>{{end}}
{{with .Text}}<p>{{.}}</p>{{end}}
{{if .Confirm}}<form method="post">
<button type="submit">Acknowledge</button>
</form>
<p class="small">The link expires at {{.Claims.Expires.Format "2006-01-02 15:04 MST"}}.</p>{{end}}
</body></html>
`))

// answer writes p as HTML, JSON or plain text, as the client asked.
func (h *Handler) answer(w http.ResponseWriter, r *http.Request, code int, p page) {
	hdr := w.Header()
	// The token is in the URL: never send it on as a Referer, never cache it.
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	text := p.Heading
	if p.Text != "" {
		text += ". " + p.Text
	}
	switch wants(r) {
	case "json":
		hdr.Set("Content-Type", "application/json")
		w.WriteHeader(code)
		body := map[string]any{"message": text}
		if code >= 400 {
			body = map[string]any{"error": text}
		}
		if p.Claims != nil {
			body["incident"] = p.Claims.Incident
		}
		_ = json.NewEncoder(w).Encode(body)
	case "text":
		hdr.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(text + "\n"))
	default:
		p.Style = template.CSS(style)
		var buf bytes.Buffer
		if err := pageTmpl.Execute(&buf, p); err != nil {
			h.log.WithError(err).Error("acklink: render")
			http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
			return
		}
		hdr.Set("Content-Type", "text/html; charset=utf-8")
		hdr.Set("Content-Security-Policy", csp)
		hdr.Set("X-Frame-Options", "DENY")
		w.WriteHeader(code)
		_, _ = w.Write(buf.Bytes())
	}
}

// wants says how to answer r: "html" for browsers (and for every GET, which
// only a browser or a scanner sends), "json" for a client that asks for it,
// else "text" (ntfy's action sends no Accept).
func wants(r *http.Request) string {
	accept := strings.ToLower(r.Header.Get("Accept"))
	switch {
	case r.Method != http.MethodPost || strings.Contains(accept, "text/html"):
		return "html"
	case strings.Contains(accept, "application/json"):
		return "json"
	}
	return "text"
}
