package amapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/amapi"
	"github.com/incidentbot/incidentbot/internal/amapi/amapitest"
	"github.com/incidentbot/incidentbot/internal/clocktest"
)

var t0 = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

// refused reports whether err is an Alertmanager refusing the request (a
// bad silence), as opposed to one that is down or failing.
func refused(err error) bool {
	var e *amapi.Error
	return errors.As(err, &e) && e.Refused()
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func double(t *testing.T, clock *clocktest.Clock, token string) (*amapitest.Server, string) {
	am := amapitest.New(clock.Now, token)
	srv := httptest.NewServer(am)
	t.Cleanup(srv.Close)
	return am, srv.URL
}

func client(t *testing.T, o amapi.Options) *amapi.Client {
	t.Helper()
	c, err := amapi.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func checkout(start, end time.Time) amapi.Silence {
	return amapi.Silence{
		Matchers: []amapi.Matcher{{Name: "alertname", Value: "HighLatency", IsEqual: true}, {Name: "instance", Value: "a.*", IsRegex: true, IsEqual: true}},
		StartsAt: start, EndsAt: end, CreatedBy: "Alice Example", Comment: "http://incidentbot.test/incidents/1",
	}
}

func TestCreateReadListExpire(t *testing.T) {
	clock := clocktest.New(t0)
	am, u := double(t, clock, "s3cret")
	c := client(t, amapi.Options{URLs: []string{u + "/"}, BearerToken: "s3cret"})
	id, err := c.Create(ctx(t), checkout(t0, t0.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Silence(ctx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != id || got.State() != amapi.StateActive || !got.EndsAt.Equal(t0.Add(time.Hour)) || got.CreatedBy != "Alice Example" ||
		len(got.Matchers) != 2 || got.Matchers[1].String() != `instance=~"a.*"` {
		t.Errorf("read back %+v", got)
	}
	list, err := c.Silences(ctx(t))
	if err != nil || len(list) != 1 || list[0].ID != id {
		t.Fatalf("Silences = %+v, %v; want the one made", list, err)
	}
	clock.Advance(time.Minute)
	if err := c.Expire(ctx(t), id); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Silence(ctx(t), id); got.State() != amapi.StateExpired {
		t.Errorf("after Expire the state is %q, want expired", got.State())
	}
	if err := c.Expire(ctx(t), id); err != nil {
		t.Errorf("expiring an expired silence again: %v, want nil (Alertmanager is idempotent)", err)
	}
	// The body posted is the API's postableSilence.
	var posted map[string]any
	if err := json.Unmarshal([]byte(am.Calls()[0].Body), &posted); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"matchers", "startsAt", "endsAt", "createdBy", "comment"} {
		if _, ok := posted[k]; !ok {
			t.Errorf("posted silence lacks %q: %s", k, am.Calls()[0].Body)
		}
	}
	if _, ok := posted["id"]; ok {
		t.Errorf("a new silence was posted with an id (an update): %s", am.Calls()[0].Body)
	}
}

func TestFutureSilenceIsPending(t *testing.T) {
	clock := clocktest.New(t0)
	_, u := double(t, clock, "")
	c := client(t, amapi.Options{URLs: []string{u}})
	id, err := c.Create(ctx(t), checkout(t0.Add(2*time.Hour), t0.Add(3*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := c.Silence(ctx(t), id); s.State() != amapi.StatePending {
		t.Errorf("state %q, want pending", s.State())
	}
	clock.Advance(2 * time.Hour)
	if s, _ := c.Silence(ctx(t), id); s.State() != amapi.StateActive {
		t.Errorf("at its start: state %q, want active", s.State())
	}
}

func TestRefusalsAreNotRetriedOnThePeer(t *testing.T) {
	clock := clocktest.New(t0)
	a, ua := double(t, clock, "")
	b, ub := double(t, clock, "")
	c := client(t, amapi.Options{URLs: []string{ua, ub}})
	_, err := c.Create(ctx(t), checkout(t0.Add(-2*time.Hour), t0.Add(-time.Hour)))
	if !refused(err) || !strings.Contains(err.Error(), "end time can't be in the past") {
		t.Fatalf("err = %v, want Alertmanager's refusal with its reason", err)
	}
	if len(a.Calls()) != 1 || len(b.Calls()) != 0 {
		t.Errorf("calls: %d to the first, %d to the peer; a refusal is not retried", len(a.Calls()), len(b.Calls()))
	}
	_, err = c.Create(ctx(t), amapi.Silence{Matchers: []amapi.Matcher{{Name: "x", Value: ".*", IsRegex: true, IsEqual: true}},
		StartsAt: t0, EndsAt: t0.Add(time.Hour), CreatedBy: "a", Comment: "b"})
	if !refused(err) || !strings.Contains(err.Error(), "must not match the empty string") {
		t.Errorf("err = %v, want the empty-matcher refusal", err)
	}
}

func TestHAPairOneDownOneWithoutTheGossip(t *testing.T) {
	clock := clocktest.New(t0)
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close() // connection refused
	failing, uf := double(t, clock, "")
	failing.Fail(http.StatusInternalServerError)
	b, ub := double(t, clock, "")
	c := client(t, amapi.Options{URLs: []string{downURL, uf, ub}})
	id, err := c.Create(ctx(t), checkout(t0, t0.Add(time.Hour)))
	if err != nil {
		t.Fatalf("Create with one peer down and one failing: %v", err)
	}
	if len(b.Silences()) != 1 {
		t.Fatalf("the healthy peer holds %d silences, want the one (posted once, gossip does the rest)", len(b.Silences()))
	}
	// A peer without the silence (no gossip yet) answers 404: the next one is asked.
	failing.Fail(0)
	c2 := client(t, amapi.Options{URLs: []string{uf, ub}})
	if s, err := c2.Silence(ctx(t), id); err != nil || s.ID != id {
		t.Fatalf("Silence from the second peer = %+v, %v", s, err)
	}
	if err := c2.Expire(ctx(t), id); err != nil {
		t.Fatalf("Expire through a peer that lacks it: %v", err)
	}
	if err := c2.Expire(ctx(t), "11111111-2222-4333-8444-555555555555"); !errors.Is(err, amapi.ErrNotFound) {
		t.Errorf("Expire of an unknown silence: %v, want ErrNotFound", err)
	}
}

func TestEveryPeerDownSaysSoWithoutSecrets(t *testing.T) {
	clock := clocktest.New(t0)
	am, u := double(t, clock, "")
	am.Fail(http.StatusInternalServerError)
	c := client(t, amapi.Options{URLs: []string{u}, Username: "bot", Password: "hunter2-password"})
	_, err := c.Create(ctx(t), checkout(t0, t0.Add(time.Hour)))
	var e *amapi.Error
	if !errors.As(err, &e) || e.Status != 500 || refused(err) {
		t.Fatalf("err = %v, want a 500 that is not a refusal", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error holds the password: %v", err)
	}
	if _, err := amapi.New(amapi.Options{URLs: []string{"http://bot:hunter2@am:9093"}}); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("a URL with credentials: err = %v, want a refusal that does not repeat them", err)
	}
}

func TestAuthIsSent(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
		w.Write([]byte(`[]`))
	}))
	defer srv.Close()
	if _, err := client(t, amapi.Options{URLs: []string{srv.URL}, BearerToken: "tok"}).Silences(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := client(t, amapi.Options{URLs: []string{srv.URL}, Username: "u", Password: "p"}).Silences(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "Bearer tok" || got[1] != "Basic dTpw" {
		t.Errorf("Authorization headers = %q", got)
	}
	am, u := double(t, clocktest.New(t0), "right")
	_, err := client(t, amapi.Options{URLs: []string{u}, BearerToken: "wrong"}).Silences(ctx(t))
	if !refused(err) || len(am.Calls()) != 1 {
		t.Errorf("wrong token: %v, want a 401 refusal", err)
	}
}

func TestTimeoutAndBodyLimit(t *testing.T) {
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer slow.Close()
	defer close(block)
	c := client(t, amapi.Options{URLs: []string{slow.URL}, Timeout: 50 * time.Millisecond})
	_, err := c.Silences(ctx(t))
	if err == nil || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Errorf("slow Alertmanager: %v, want a timeout that says so", err)
	}
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`"` + strings.Repeat("x", 2<<20) + `"`))
	}))
	defer big.Close()
	_, err = client(t, amapi.Options{URLs: []string{big.URL}}).Silence(ctx(t), "11111111-2222-4333-8444-555555555555")
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("huge answer: %v, want refused as too large", err)
	}
}

func TestDoubleIsStrict(t *testing.T) {
	clock := clocktest.New(t0)
	am, u := double(t, clock, "")
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"no createdBy", `{"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2026-11-25T03:00:00Z","endsAt":"2026-11-25T04:00:00Z","comment":"c"}`, 422, "createdBy in body is required"},
		{"matcher without isRegex", `{"matchers":[{"name":"a","value":"b"}],"startsAt":"2026-11-25T03:00:00Z","endsAt":"2026-11-25T04:00:00Z","createdBy":"x","comment":"c"}`, 422, "isRegex in body is required"},
		{"no matchers", `{"matchers":[],"startsAt":"2026-11-25T03:00:00Z","endsAt":"2026-11-25T04:00:00Z","createdBy":"x","comment":"c"}`, 422, "at least 1"},
		{"unknown id", `{"id":"11111111-2222-4333-8444-555555555555","matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2026-11-25T03:00:00Z","endsAt":"2026-11-25T04:00:00Z","createdBy":"x","comment":"c"}`, 404, "silence not found"},
		{"ends before start", `{"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2026-11-25T05:00:00Z","endsAt":"2026-11-25T04:00:00Z","createdBy":"x","comment":"c"}`, 400, "start time must be before end time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(u+"/api/v2/silences", "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b strings.Builder
			buf := make([]byte, 1024)
			n, _ := resp.Body.Read(buf)
			b.Write(buf[:n])
			if resp.StatusCode != tc.status || !strings.Contains(b.String(), tc.want) {
				t.Errorf("status %d %s, want %d with %q", resp.StatusCode, b.String(), tc.status, tc.want)
			}
		})
	}
	resp, err := http.Get(u + "/api/v2/silence/not-a-uuid")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 422 {
		t.Errorf("GET a silence by a non-UUID: %d, want 422", resp.StatusCode)
	}
	if len(am.Silences()) != 0 {
		t.Errorf("refused posts stored %d silences", len(am.Silences()))
	}
}
