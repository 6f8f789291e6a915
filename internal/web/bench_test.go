package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/incidents"
)

// GET /stats?window=90d over 10,000 incidents and 5,000 deployments, from
// in-memory sources: the cost of the web layer (figures, charts, template).
func BenchmarkStatsPage(b *testing.B) {
	o := testOptions()
	f := &fakeIncidents{incs: map[int64]*incidents.Incident{}}
	for n := int64(1); n <= 10000; n++ {
		det := fixNow.Add(-time.Duration(n) * 13 * time.Minute)
		ack, res := det.Add(4*time.Minute), det.Add(70*time.Minute)
		f.incs[n] = &incidents.Incident{Number: n, Title: fmt.Sprint("incident ", n), Severity: fmt.Sprint("sev", 1+n%4),
			Service: fmt.Sprint("svc", n%20), Status: incidents.StatusResolved, DetectedAt: det, DeclaredAt: det,
			AcknowledgedAt: &ack, ResolvedAt: &res,
			Alerts: map[string]incidents.Alert{"a": {Fingerprint: "a", Labels: map[string]string{"alertname": fmt.Sprint("A", n%50)}}}}
	}
	o.Incidents = f
	d := fakeDeploys{causes: map[int64]string{}}
	for i := range 5000 {
		d.ds = append(d.ds, deploys.Deployment{ID: fmt.Sprint("d", i), Service: fmt.Sprint("svc", i%20), Version: "v",
			Environment: "production", Status: deploys.StatusSuccess, At: fixNow.Add(-time.Duration(i) * 26 * time.Minute)})
		if i%10 == 0 {
			d.causes[int64(i+1)] = fmt.Sprint("d", i)
		}
	}
	o.Deployments = d
	mux := http.NewServeMux()
	New(o).Register(mux)
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "/stats?window=90d", nil))
		if rec.Code != 200 {
			b.Fatalf("GET /stats = %d", rec.Code)
		}
	}
}
