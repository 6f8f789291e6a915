package heartbeathook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/webhookauth"
)

func TestHeartbeatHook(t *testing.T) {
	auth, err := webhookauth.New("tok", false)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	var beats []string
	storeDown := false
	h := New(Options{Auth: auth, Now: func() time.Time { return t0 }, Beat: func(_ context.Context, name string, at time.Time) error {
		switch {
		case name != "backup":
			return ErrUnknown
		case storeDown:
			return errors.New("database is locked")
		}
		beats = append(beats, name+"@"+at.Format(time.RFC3339))
		return nil
	}})
	mux := http.NewServeMux()
	mux.Handle("/heartbeat/{name}", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	post := func(name, auth, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/heartbeat/"+name, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 512)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		return resp.StatusCode, b.String()
	}
	for _, tc := range []struct {
		name, auth, body string
		down             bool
		code             int
		want             string
	}{
		{"backup", "Bearer tok", "ok", false, 200, `{"name":"backup","at":"2026-11-25T03:00:00Z"}`},
		{"backup", "Basic " + "eDp0b2s=", "", false, 200, `"name":"backup"`},
		{"backup", "", "", false, 401, `"error":"missing credentials`},
		{"other", "Bearer tok", "", false, 404, `"error":"there is no heartbeat \"other\"`},
		{"backup", "Bearer tok", strings.Repeat("x", maxBody+1), false, 413, "larger than 64 KiB"},
		{"backup", "Bearer tok", "", true, 503, "could not be stored"},
	} {
		storeDown = tc.down
		if code, body := post(tc.name, tc.auth, tc.body); code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("POST %s (%s): %d %s, want %d %s", tc.name, tc.auth, code, body, tc.code, tc.want)
		}
	}
	if len(beats) != 2 {
		t.Errorf("beats stored = %v, want the two authorized ones", beats)
	}
}
