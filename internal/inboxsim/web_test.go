package inboxsim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/oncall"
)

func TestWebViewShowsAndEscapes(t *testing.T) {
	w := newWorld(t)
	m := w.message(oncall.MethodEmail, alice, t0.Add(time.Hour))
	w.sendEmail(t, m)
	m.Method, m.To, m.Token = oncall.MethodPush, w.srv.URL+"/ntfy/alice-pager", ntfyToken
	m.IncidentURL = "javascript:alert(1)"
	w.sendPush(t, m)
	base := w.srv.URL + "/inbox/"

	code, hdr, index := get(t, base)
	if code != 200 {
		t.Fatalf("index: %d", code)
	}
	checkPolicy(t, hdr)
	for _, want := range []string{`href="mail?to=alice.pager%40example.com"`, `href="push?topic=alice-pager"`, "(1)"} {
		if !strings.Contains(index, want) {
			t.Errorf("the index lacks %s:\n%s", want, index)
		}
	}

	code, hdr, mail := get(t, base+"mail?to="+url.QueryEscape(alice))
	if code != 200 {
		t.Fatalf("inbox: %d", code)
	}
	checkPolicy(t, hdr)
	for _, want := range []string{
		"#42 sev1: Checkout &lt;b&gt;down&lt;/b&gt;",
		"Checkout answers 503 &lt;script&gt;alert(1)&lt;/script&gt;",
		`<a class="ack" href="` + m.AckURL + `">Acknowledge</a>`,
		`href="message?id=m1"`,
		"AUTH as bot",
	} {
		if !strings.Contains(mail, want) {
			t.Errorf("the inbox lacks %s:\n%s", want, mail)
		}
	}
	if strings.Contains(mail, "<script>") || strings.Contains(mail, "<b>down") {
		t.Errorf("the inbox shows mail text unescaped:\n%s", mail)
	}

	code, hdr, part := get(t, base+"message?id=m1")
	if code != 200 || !strings.Contains(part, ">Acknowledge</a>") {
		t.Errorf("the HTML part: %d\n%s", code, part)
	}
	if p := hdr.Get("Content-Security-Policy"); !strings.HasPrefix(p, "sandbox") || !strings.Contains(p, "default-src 'none'") {
		t.Errorf("the HTML part is served without a sandbox: %q", p)
	}
	if code, _, _ := get(t, base+"message?id=m9"); code != http.StatusNotFound {
		t.Errorf("an unknown email: %d, want 404", code)
	}

	code, hdr, phone := get(t, base+"push?topic=alice-pager")
	if code != 200 {
		t.Fatalf("phone: %d", code)
	}
	checkPolicy(t, hdr)
	for _, want := range []string{
		"<h3>#42 sev1: Checkout &lt;b&gt;down&lt;/b&gt;</h3>",
		"priority 5 · rotating_light · sev1",
		`<a href="#ZgotmplZ">Open</a>`, // the javascript: click URL, neutralised
		`<button type="submit">Acknowledge</button>`,
	} {
		if !strings.Contains(phone, want) {
			t.Errorf("the phone view lacks %s:\n%s", want, phone)
		}
	}
	if strings.Contains(phone, "javascript:") || strings.Contains(phone, "<script") {
		t.Errorf("the phone view carries script:\n%s", phone)
	}

	code, _, empty := get(t, base+"push?topic=nobody")
	if code != 200 || !strings.Contains(empty, "No notification on this topic.") {
		t.Errorf("an empty topic: %d\n%s", code, empty)
	}
}

func checkPolicy(t *testing.T, hdr http.Header) {
	t.Helper()
	p := hdr.Get("Content-Security-Policy")
	if !strings.Contains(p, "default-src 'none'") || strings.Contains(p, "script-src") {
		t.Errorf("Content-Security-Policy %q: want no script at all", p)
	}
	if ct := hdr.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestPressRefusesOtherSites(t *testing.T) {
	w := newWorld(t)
	rc := w.sendPush(t, withToken(w.message(oncall.MethodPush, w.srv.URL+"/ntfy/alice-pager", t0.Add(time.Hour))))
	act := w.sim.Topic("alice-pager")[0].Actions[0].ID
	code, _, _ := postForm(t, w.srv.URL+"/inbox/press", url.Values{"push": {rc.ID}, "action": {act}}, map[string]string{"Origin": "https://evil.example"})
	if code != http.StatusForbidden {
		t.Errorf("a cross-site press: %d, want 403", code)
	}
	if w.acks.count() != 0 {
		t.Error("a cross-site press acknowledged")
	}
	code, _, _ = postForm(t, w.srv.URL+"/inbox/press", url.Values{"push": {rc.ID}, "action": {"nope"}}, nil)
	if code != http.StatusNotFound {
		t.Errorf("pressing an unknown action: %d, want 404", code)
	}
	code, _, _ = postForm(t, w.srv.URL+"/inbox/press", url.Values{"push": {rc.ID}, "action": {act}}, map[string]string{"Origin": w.srv.URL})
	if code != http.StatusSeeOther || w.acks.count() != 1 {
		t.Errorf("a same-site press: %d and %d acknowledgements; want 303 and 1", code, w.acks.count())
	}
}
