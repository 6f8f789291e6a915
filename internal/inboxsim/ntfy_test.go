package inboxsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

type ntfyAnswer struct {
	code int
	body map[string]any
}

func publish(t *testing.T, srv *httptest.Server, path string, hdr map[string]string, body string) ntfyAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer %d is not JSON: %q", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	return ntfyAnswer{resp.StatusCode, m}
}

func ntfyServer(t *testing.T, o Options) (*Sim, *httptest.Server) {
	t.Helper()
	s := start(t, o)
	srv := httptest.NewServer(s.NtfyHandler())
	t.Cleanup(srv.Close)
	return s, srv
}

func TestPublishWithHeaders(t *testing.T) {
	s, srv := ntfyServer(t, Options{})
	a := publish(t, srv, "/alice-pager", map[string]string{
		"Title":    "=?UTF-8?B?0JrQsNGB0YHQsCDQvdC1INGA0LDQsdC+0YLQsNC10YI=?=", // RFC 2047, as ntfy allows
		"Priority": "urgent",
		"Tags":     "rotating_light, sev1",
		"Click":    "https://bot.example/incidents/42",
		"Actions":  `http, Acknowledge, https://bot.example/ack/T, clear=true; view, "Open, now", https://bot.example/incidents/42`,
	}, "  Checkout answers 503.  \n")
	if a.code != 200 {
		t.Fatalf("answer %d %v", a.code, a.body)
	}
	if a.body["event"] != "message" || a.body["topic"] != "alice-pager" || a.body["id"] == "" || a.body["priority"] != float64(5) {
		t.Errorf("answer %v", a.body)
	}
	if exp, tm := a.body["expires"].(float64), a.body["time"].(float64); exp-tm != 12*3600 || tm != float64(t0.Unix()) {
		t.Errorf("time %v expires %v; want now and 12h later", tm, exp)
	}
	got := s.Topic("alice-pager")
	if len(got) != 1 {
		t.Fatalf("%d pushes", len(got))
	}
	p := got[0]
	if p.ID != a.body["id"] || p.Title != "Касса не работает" || p.Message != "Checkout answers 503." || p.Priority != 5 ||
		!reflect.DeepEqual(p.Tags, []string{"rotating_light", "sev1"}) || p.Click != "https://bot.example/incidents/42" {
		t.Errorf("push %+v", p)
	}
	if len(p.Actions) != 2 {
		t.Fatalf("actions %+v", p.Actions)
	}
	a0, a1 := p.Actions[0], p.Actions[1]
	if a0.Action != "http" || a0.Label != "Acknowledge" || a0.URL != "https://bot.example/ack/T" || !a0.Clear || a0.ID == "" {
		t.Errorf("first action %+v", a0)
	}
	if a1.Action != "view" || a1.Label != "Open, now" || a1.URL != "https://bot.example/incidents/42" || a1.Clear {
		t.Errorf("second action %+v", a1)
	}
}

func TestPublishAsJSON(t *testing.T) {
	s, srv := ntfyServer(t, Options{})
	a := publish(t, srv, "/", nil, `{"topic":"alice-pager","title":"Касса","message":"Оплата","priority":4,
		"tags":["warning"],"click":"https://b/i/1",
		"actions":[{"action":"http","label":"Acknowledge","url":"https://b/ack/T","method":"post","clear":true,
		            "headers":{"X-A":"1"},"body":"{}"}]}`)
	if a.code != 200 {
		t.Fatalf("answer %d %v", a.code, a.body)
	}
	acts, _ := a.body["actions"].([]any)
	if len(acts) != 1 || acts[0].(map[string]any)["id"] == "" {
		t.Errorf("the answer's actions %v lack their IDs", a.body["actions"])
	}
	p := s.Pushes()[0]
	want := Action{ID: p.Actions[0].ID, Action: "http", Label: "Acknowledge", URL: "https://b/ack/T", Method: "POST", Clear: true, Headers: map[string]string{"X-A": "1"}, Body: "{}"}
	if p.Topic != "alice-pager" || p.Title != "Касса" || p.Message != "Оплата" || p.Priority != 4 || !reflect.DeepEqual(p.Actions, []Action{want}) {
		t.Errorf("push %+v", p)
	}
	if a := publish(t, srv, "/", nil, `{"topic":"t"}`); a.code != 200 || a.body["message"] != "triggered" {
		t.Errorf("an empty message: %d %v, want ntfy's \"triggered\"", a.code, a.body)
	}
}

func TestPublishRefusals(t *testing.T) {
	tests := []struct {
		name, path string
		hdr        map[string]string
		body       string
		code, want int
	}{
		{"JSON with a bad topic", "/", nil, `{"topic":"a/b","message":"x"}`, 400, 40009},
		{"JSON without topic", "/", nil, `{"message":"x"}`, 400, 40009},
		{"JSON priority as string", "/", nil, `{"topic":"t","priority":"5"}`, 400, 40024},
		{"not JSON", "/", nil, `topic=t`, 400, 40024},
		{"JSON priority 6", "/", nil, `{"topic":"t","priority":6}`, 400, 40007},
		{"JSON too large", "/", nil, `{"topic":"t","message":"` + strings.Repeat("x", 8200) + `"}`, 413, 41303},
		{"JSON message too long", "/", nil, `{"topic":"t","message":"` + strings.Repeat("x", 4097) + `"}`, 400, 40014},
		{"four actions", "/", nil, `{"topic":"t","actions":[` + strings.Repeat(`{"action":"view","label":"a","url":"https://x/"},`, 3) + `{"action":"view","label":"a","url":"https://x/"}]}`, 400, 40018},
		{"action without url", "/", nil, `{"topic":"t","actions":[{"action":"http","label":"Ack"}]}`, 400, 40018},
		{"action clear as string", "/", nil, `{"topic":"t","actions":[{"action":"http","label":"Ack","url":"https://x/","clear":"true"}]}`, 400, 40024},
		{"unknown action", "/", nil, `{"topic":"t","actions":[{"action":"call","label":"Ack","url":"https://x/"}]}`, 400, 40018},
		{"GET with body", "/", nil, `{"topic":"t","actions":[{"action":"http","label":"A","url":"https://x/","method":"GET","body":"b"}]}`, 400, 40018},
		{"priority word", "/t", map[string]string{"Priority": "critical"}, "x", 400, 40007},
		{"header actions unknown key", "/t", map[string]string{"Actions": "http, Ack, https://x/, colour=red"}, "x", 400, 40018},
		{"header actions open quote", "/t", map[string]string{"Actions": `http, "Ack, https://x/`}, "x", 400, 40018},
		{"header message too long", "/t", nil, strings.Repeat("ж", 2049), 400, 40014},
		{"header message not UTF-8", "/t", nil, "\xff\xfe", 400, 40014},
		{"topic too long", "/" + strings.Repeat("a", 65), nil, "x", 404, 40401},
		{"nested path", "/a/b", nil, "x", 404, 40401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, srv := ntfyServer(t, Options{})
			a := publish(t, srv, tt.path, tt.hdr, tt.body)
			if a.code != tt.code || a.body["code"] != float64(tt.want) || a.body["http"] != float64(tt.code) || a.body["error"] == "" {
				t.Errorf("answer %d %v, want %d with code %d", a.code, a.body, tt.code, tt.want)
			}
			if n := len(s.Pushes()); n != 0 {
				t.Errorf("kept %d pushes", n)
			}
		})
	}
}

func TestPublishMethods(t *testing.T) {
	_, srv := ntfyServer(t, Options{})
	for _, m := range []string{http.MethodGet, http.MethodDelete, http.MethodPatch} {
		req, _ := http.NewRequest(m, srv.URL+"/t", nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", m, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/t", strings.NewReader("x"))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("PUT: %d, want 200 (ntfy takes PUT as POST)", resp.StatusCode)
	}
}

func TestPublishToken(t *testing.T) {
	s, srv := ntfyServer(t, Options{NtfyToken: "tk_right"})
	for _, tt := range []struct {
		auth       string
		code, want int
	}{
		{"", 403, 40301},
		{"Bearer tk_wrong", 401, 40101},
		{"Basic dTpw", 401, 40101},
	} {
		a := publish(t, srv, "/t", map[string]string{"Authorization": tt.auth}, "x")
		if a.code != tt.code || a.body["code"] != float64(tt.want) {
			t.Errorf("Authorization %q: %d %v, want %d/%d", tt.auth, a.code, a.body, tt.code, tt.want)
		}
	}
	if a := publish(t, srv, "/t", map[string]string{"Authorization": "Bearer tk_right"}, "x"); a.code != 200 {
		t.Errorf("the right token: %d %v", a.code, a.body)
	}
	if n := len(s.Pushes()); n != 1 {
		t.Errorf("kept %d pushes, want 1", n)
	}
}

func TestHeaderAliasesAndQuery(t *testing.T) {
	s, srv := ntfyServer(t, Options{})
	publish(t, srv, "/t?title=From+query&p=2", map[string]string{"X-Tags": "a,b", "Priority": "u=3, i"}, "")
	p := s.Pushes()[0]
	if p.Title != "From query" || p.Priority != 2 || !reflect.DeepEqual(p.Tags, []string{"a", "b"}) || p.Message != "triggered" {
		t.Errorf("push %+v; want the query title, priority 2 (RFC 9218's Priority header ignored), tags a b", p)
	}
}

func TestParseSimpleActions(t *testing.T) {
	tests := []struct {
		in   string
		want []Action
	}{
		{"http, Acknowledge, https://b/ack/T, method=POST, clear=true",
			[]Action{{Action: "http", Label: "Acknowledge", URL: "https://b/ack/T", Method: "POST", Clear: true}}},
		{"action=view, label=Open, url=https://b/", []Action{{Action: "view", Label: "Open", URL: "https://b/"}}},
		{`http, 'Turn down', https://api/, body='{"temperature": 65}'`,
			[]Action{{Action: "http", Label: "Turn down", URL: "https://api/", Body: `{"temperature": 65}`}}},
		{`view, "Look ma, commas and \"quotes\" too", url=https://x/; broadcast, B, extras.cmd=pic, clear=no`,
			[]Action{{Action: "view", Label: `Look ma, commas and "quotes" too`, URL: "https://x/"}, {Action: "broadcast", Label: "B", Extras: map[string]string{"cmd": "pic"}}}},
		// The documentation's example, verbatim.
		{"http, Close door, https://api.mygarage.lan/, method=PUT, headers.Authorization=Bearer zAzsx1sk.., body={\"action\": \"close\"}",
			[]Action{{Action: "http", Label: "Close door", URL: "https://api.mygarage.lan/", Method: "PUT",
				Headers: map[string]string{"Authorization": "Bearer zAzsx1sk.."}, Body: `{"action": "close"}`}}},
		{"http, Ack, https://x/;", []Action{{Action: "http", Label: "Ack", URL: "https://x/"}}},
	}
	for _, tt := range tests {
		got, err := parseActions(tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		for i := range got {
			got[i].ID = ""
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{
		"http, Ack", // no url
		"view, Open, https://x/, clear=maybe",
		"view, Open, https://x/, size=2",
		`view, "Open, https://x/`,
		`view, "Open" x, https://x/`,
		"sms, Text, https://x/",
		"http, , https://x/",
		"view, a, https://x/; view, b, https://x/; view, c, https://x/; view, d, https://x/",
		"http, Ack, https://x/, extra",
	} {
		if got, err := parseActions(bad); err == nil {
			t.Errorf("%q parsed: %+v", bad, got)
		}
	}
}
