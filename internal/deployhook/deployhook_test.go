package deployhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/deploys/deploystest"
	"github.com/incidentbot/incidentbot/internal/webhookauth"
)

type downStore struct{ deploys.Store }

func (downStore) AddDeployment(context.Context, deploys.Deployment) (bool, error) {
	return false, errors.New("connection refused")
}

func TestDeployWebhook(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	auth, err := webhookauth.New("tok", false)
	if err != nil {
		t.Fatal(err)
	}
	store := deploystest.NewMem()
	reg := prometheus.NewRegistry()
	var recorded []string
	h := New(store, Options{Auth: auth, Now: func() time.Time { return now }, Registerer: reg,
		Recorded: func(_ context.Context, d deploys.Deployment) { recorded = append(recorded, d.ID) }})
	down := New(downStore{store}, Options{Auth: auth})

	good := `{"service":"checkout","version":"v1.2.3","status":"success","commit_at":"2026-11-30T08:00:00Z"}`
	tests := []struct {
		name    string
		h       http.Handler
		method  string
		token   string
		body    string
		want    int
		wantErr string
		wantAdd bool
	}{
		{"no token", h, "POST", "", good, 401, "missing credentials", false},
		{"wrong token", h, "POST", "nope", good, 401, "invalid credentials", false},
		{"GET", h, "GET", "tok", "", 405, "use POST", false},
		{"not JSON", h, "POST", "tok", "service=checkout", 400, "invalid deployment", false},
		{"unknown field", h, "POST", "tok", `{"service":"checkout","version":"1","status":"success","colour":"red"}`, 400, "colour", false},
		{"missing service", h, "POST", "tok", `{"version":"1","status":"success"}`, 400, "service", false},
		{"too large", h, "POST", "tok", `{"service":"` + strings.Repeat("x", deploys.MaxBodyBytes) + `"}`, 413, "larger than 1 MiB", false},
		{"recorded", h, "POST", "tok", good, 200, "", true},
		{"retried: kept once", h, "POST", "tok", good, 200, "", false},
		{"store down", down, "POST", "tok", `{"service":"api","version":"2","status":"failure"}`, 503, "retry", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/webhooks/deploy", strings.NewReader(tt.body))
			if tt.token != "" {
				r.Header.Set("Authorization", "Bearer "+tt.token)
			}
			w := httptest.NewRecorder()
			tt.h.ServeHTTP(w, r)
			body, _ := io.ReadAll(w.Body)
			if w.Code != tt.want {
				t.Fatalf("status = %d (%s), want %d", w.Code, body, tt.want)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if tt.wantErr != "" {
				var e struct{ Error string }
				if json.Unmarshal(body, &e) != nil || !strings.Contains(e.Error, tt.wantErr) {
					t.Errorf("body = %s, want {\"error\": …%q…}", body, tt.wantErr)
				}
				return
			}
			var a answer
			if err := json.Unmarshal(body, &a); err != nil || a.ID == "" || a.Added != tt.wantAdd {
				t.Errorf("answer = %s, want an ID and added %v", body, tt.wantAdd)
			}
		})
	}
	got, err := store.Deployments(context.Background(), now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil || len(got) != 1 {
		t.Fatalf("stored %d deployments (%v), want 1", len(got), err)
	}
	if d := got[0]; !d.At.Equal(now) || d.Environment != deploys.DefaultEnvironment || !d.CommitAt.Equal(now.Add(-time.Hour)) {
		t.Errorf("stored %+v, want at now in production with its commit time", d)
	}
	if len(recorded) != 1 || recorded[0] != got[0].ID {
		t.Errorf("Recorded called with %v, want once with %s", recorded, got[0].ID)
	}
	if n := testutil.ToFloat64(h.count.WithLabelValues("checkout", "success")); n != 1 {
		t.Errorf("incidentbot_deployments_total{checkout,success} = %v, want 1", n)
	}
}

// Every new service was a new series: the 101st distinct service is
// counted as "other", and a service seen before keeps its own.
func TestDeployServicesAreBounded(t *testing.T) {
	auth, err := webhookauth.New("tok", false)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	h := New(deploystest.NewMem(), Options{Auth: auth, Registerer: reg,
		Now: func() time.Time { return time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC) }})
	post := func(service, version string) {
		t.Helper()
		r := httptest.NewRequest("POST", "/webhooks/deploy", strings.NewReader(
			fmt.Sprintf(`{"service":%q,"version":%q,"status":"success"}`, service, version)))
		r.Header.Set("Authorization", "Bearer tok")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("deploy %s: %d %s", service, w.Code, w.Body)
		}
	}
	for i := range 101 {
		post(fmt.Sprintf("svc-%03d", i), "v1")
	}
	post("svc-000", "v2")
	post("svc-101", "v1")
	if got := testutil.CollectAndCount(h.count); got != 101 {
		t.Errorf("series = %d, want 100 services and other", got)
	}
	if n := testutil.ToFloat64(h.count.WithLabelValues("other", "success")); n != 2 {
		t.Errorf(`deployments of service "other" = %v, want 2 (the 101st and 102nd services)`, n)
	}
	if n := testutil.ToFloat64(h.count.WithLabelValues("svc-000", "success")); n != 2 {
		t.Errorf("deployments of svc-000 = %v, want 2", n)
	}
}
