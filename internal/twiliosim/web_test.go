package twiliosim_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/oncall"
)

// browser is an HTTP client that shows redirects instead of following them.
var browser = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return string(b)
}

// submit posts a form as a browser would and returns the redirect's Location.
func submit(t *testing.T, u string, form url.Values) string {
	t.Helper()
	resp, err := browser.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s: %d, want 303", u, resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

func TestWebView(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	sms := e.page("w-1", oncall.MethodSMS)
	sms.Subject = `#42 <script>alert("x")</script> & co`
	if _, err := e.client.Send(ctx, sms); err != nil {
		t.Fatal(err)
	}
	call := e.page("w-2", oncall.MethodVoice)
	call.Spoken = `Incident 42 <b>bold</b>`
	rec, err := e.client.Send(ctx, call)
	if err != nil {
		t.Fatal(err)
	}

	page := get(t, e.simURL+"/")
	for _, want := range []string{
		`id="phone-77011234567"`,
		`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co`,
		`Deliver pending pages (2)`,
		`<span class="status">queued</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	for _, bad := range []string{"<script>", "<b>bold</b>"} {
		if strings.Contains(page, bad) {
			t.Errorf("page holds unescaped %s", bad)
		}
	}
	if strings.Contains(page, `name="digits"`) {
		t.Error("keypad shown before the call rings")
	}

	// Deliver from the page: the call rings and the keypad appears.
	if loc := submit(t, e.simURL+"/deliver", nil); !strings.HasPrefix(loc, "./?flash=") {
		t.Errorf("Location %q, want a relative ./?flash=…", loc)
	}
	page = get(t, e.simURL+"/")
	for _, want := range []string{`<span class="status">ringing</span>`, `name="digits" value="1"`, `name="digits" value="2"`, `action="answer"`, "“Incident 42 &lt;b&gt;bold&lt;/b&gt;”"} {
		if !strings.Contains(page, want) {
			t.Errorf("ringing page lacks %s", want)
		}
	}

	// Pressing 1 on a ringing phone answers it first.
	loc := submit(t, e.simURL+"/press", url.Values{"sid": {rec.ID}, "digits": {"1"}})
	if !strings.HasSuffix(loc, "#phone-77011234567") {
		t.Errorf("Location %q does not return to the phone", loc)
	}
	if st, presses, _ := e.eng.got(); !slices.Equal(presses, []string{"w-2 1"}) || !slices.Contains(st, "w-2 in-progress") {
		t.Errorf("engine presses %q statuses %q", presses, st)
	}
	next, _ := url.Parse(e.simURL + "/press")
	page = get(t, next.ResolveReference(mustParse(t, loc)).String())
	if !strings.Contains(page, "Pressed 1. The call said: Acknowledged. Goodbye.") {
		t.Errorf("flash missing:\n%s", page)
	}
	if !strings.Contains(page, `<span class="status">completed</span>`) || strings.Contains(page, `name="digits"`) {
		t.Error("the completed call still shows its keypad")
	}

	// Reply from the phone's box.
	submit(t, e.simURL+"/reply", url.Values{"from": {phone}, "to": {e.sim.Number()}, "body": {"ack 42"}})
	if _, _, texts := e.eng.got(); !slices.Equal(texts, []string{phone + " ack 42"}) {
		t.Errorf("engine texts %q", texts)
	}
	page = get(t, e.simURL+"/")
	if !strings.Contains(page, "Acknowledged #42.") {
		t.Error("the bot's reply is not in the thread")
	}

	t.Run("errors are shown, escaped", func(t *testing.T) {
		loc := submit(t, e.simURL+"/press", url.Values{"sid": {"CA<nope>"}, "digits": {"1"}})
		page := get(t, e.simURL+"/"+strings.TrimPrefix(loc, "./"))
		if !strings.Contains(page, "Error: twiliosim: no call CA&lt;nope&gt;") {
			t.Errorf("error flash missing or unescaped")
		}
	})
	t.Run("cross-site posts are refused", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.simURL+"/press", strings.NewReader("sid="+rec.ID+"&digits=2"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("HTTP %d, want 403", resp.StatusCode)
		}
	})
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestWebViewUnderPrefix: `incidentbot dev` mounts the simulator under a
// prefix; the forms and redirects are relative, so they stay under it.
func TestWebViewUnderPrefix(t *testing.T) {
	e := newEnv(t, envOptions{})
	mux := http.NewServeMux()
	mux.Handle("/twilio/", http.StripPrefix("/twilio", e.sim.Handler()))
	srv := newLocalServer(t, mux)

	page := get(t, srv.URL+"/twilio/")
	if !strings.Contains(page, `action="deliver"`) || strings.Contains(page, `action="/`) {
		t.Error("form actions are not relative")
	}
	loc := submit(t, srv.URL+"/twilio/deliver", nil)
	base := mustParse(t, srv.URL+"/twilio/deliver")
	if got := base.ResolveReference(mustParse(t, loc)).Path; got != "/twilio/" {
		t.Errorf("redirect resolves to %q, want /twilio/", got)
	}
}
