package web

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/incidentbot/incidentbot/internal/clocktest"
)

func basic(user, pass string) map[string]string {
	return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}
}

func TestAuth(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret:with:colons"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for name, setting := range map[string]string{"plain": "ops:s3cret:with:colons", "bcrypt": "ops:" + string(hash)} {
		t.Run(name, func(t *testing.T) {
			auth, err := ParseAuth(setting)
			if err != nil || !auth.Enabled() {
				t.Fatalf("ParseAuth = %v, enabled %v", err, auth.Enabled())
			}
			o := testOptions()
			o.Auth = auth
			// Each wrong attempt a second after the last: within the
			// failed-login limit, so each is answered 401.
			clock := clocktest.New(fixNow)
			o.Now = clock.Now
			srv := serve(t, o)
			guarded := []string{"/", "/incidents/1", "/postmortems", "/postmortems/1", "/postmortems/1.md", "/oncall", "/stats",
				"/style.css", "/api/v1/incidents", "/api/v1/incidents/1", "/api/v1/stats", "/api/v1/oncall", "/api/v1/openapi.yaml", "/api/v1/nope"}
			for _, path := range guarded {
				for cred, hdr := range map[string]map[string]string{
					"none":       nil,
					"wrong pass": basic("ops", "s3cret"),
					"wrong user": basic("admin", "s3cret:with:colons"),
					"the hash":   basic("ops", string(hash)),
					"not basic":  {"Authorization": "Bearer s3cret:with:colons"},
				} {
					clock.Advance(loginEvery)
					a := do(t, "GET", srv.URL+path, hdr)
					if a.code != http.StatusUnauthorized || a.header.Get("WWW-Authenticate") != `Basic realm="incidentbot"` ||
						!strings.Contains(a.body, `"error"`) {
						t.Errorf("GET %s with %s = %d %q %s, want 401 with the realm and a JSON error",
							path, cred, a.code, a.header.Get("WWW-Authenticate"), a.body)
					}
				}
				if a := do(t, "GET", srv.URL+path, basic("ops", "s3cret:with:colons")); a.code == http.StatusUnauthorized {
					t.Errorf("GET %s with the right credentials = 401", path)
				}
			}
			// The probes and /metrics stay open for load balancers and Prometheus.
			for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
				if a := do(t, "GET", srv.URL+path, nil); a.code != http.StatusOK {
					t.Errorf("GET %s without credentials = %d, want 200", path, a.code)
				}
			}
			// Twice with bcrypt: the second answer comes from the verified cache.
			for range 2 {
				if a := do(t, "GET", srv.URL+"/", basic("ops", "s3cret:with:colons")); a.code != http.StatusOK {
					t.Errorf("GET / with the right credentials = %d", a.code)
				}
			}
			clock.Advance(loginEvery)
			if a := do(t, "GET", srv.URL+"/", basic("ops", "other")); a.code != http.StatusUnauthorized {
				t.Errorf("a wrong password after a right one = %d, want 401", a.code)
			}
		})
	}
}

func TestParseAuth(t *testing.T) {
	if a, err := ParseAuth(""); err != nil || a.Enabled() {
		t.Errorf(`ParseAuth("") = %v, enabled %v; want open`, err, a.Enabled())
	}
	for _, bad := range []string{"nocolon", ":pass", "user:", "ops:$2a$10$short"} {
		if _, err := ParseAuth(bad); err == nil || !strings.Contains(err.Error(), "INCIDENTBOT_WEB_AUTH") {
			t.Errorf("ParseAuth(%q) = %v, want an error naming INCIDENTBOT_WEB_AUTH", bad, err)
		}
	}
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
		h := prefix + string(hash[4:])
		a, err := ParseAuth("u:" + h)
		if err != nil {
			t.Fatalf("ParseAuth(%s hash) = %v", prefix, err)
		}
		if !a.check("u", "pw") || a.check("u", "pw2") || a.check("v", "pw") {
			t.Errorf("%s hash: check answers wrongly", prefix)
		}
	}
}
