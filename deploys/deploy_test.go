package deploys

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/clocktest"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func valid() Deployment {
	return Deployment{ID: "run-1", Service: "checkout", Version: "v1.2.3", Environment: "production",
		Status: StatusSuccess, At: t0, Commit: "9fceb02", CommitAt: t0.Add(-time.Hour)}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Deployment)
		fields []string // the fields the error must name, in order; nil = valid
	}{
		{"valid", func(*Deployment) {}, nil},
		{"no optional fields", func(d *Deployment) { d.ID, d.Commit, d.CommitAt = "", "", time.Time{} }, nil},
		{"failure status", func(d *Deployment) { d.Status = StatusFailure }, nil},
		{"commit at equals at", func(d *Deployment) { d.CommitAt = d.At }, nil},
		{"everything missing", func(d *Deployment) { *d = Deployment{} }, []string{"service", "version", "environment", "status", "at"}},
		{"bad status", func(d *Deployment) { d.Status = "ok" }, []string{"status"}},
		{"commit after deploy", func(d *Deployment) { d.CommitAt = d.At.Add(time.Second) }, []string{"commit_at"}},
		{"long service", func(d *Deployment) { d.Service = strings.Repeat("s", maxNameLen+1) }, []string{"service"}},
		{"long id", func(d *Deployment) { d.ID = strings.Repeat("é", MaxIDLen+1) }, []string{"id"}},
		{"max length in runes is fine", func(d *Deployment) { d.Service = strings.Repeat("é", maxNameLen) }, nil},
		{"control character", func(d *Deployment) { d.Version = "v1\n" }, []string{"version"}},
		{"spaces", func(d *Deployment) { d.Environment = " prod" }, []string{"environment"}},
		{"bad utf8", func(d *Deployment) { d.Commit = "\xff" }, []string{"commit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := valid()
			tt.mutate(&d)
			err := d.Validate()
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate() = %v, want ErrInvalid", err)
			}
			var ve validationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %T, want ValidationError", err)
			}
			var got []string
			for _, fe := range ve {
				got = append(got, fe.Field)
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Errorf("fields got %v, want %v (%v)", got, tt.fields, err)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	clock := clocktest.New(t0.Add(5 * time.Minute))
	tests := []struct {
		name    string
		body    string
		want    Deployment
		wantErr string // a substring of the error; "" = success
	}{
		{
			name: "full",
			body: `{"id":"run-1","service":"checkout","version":"v1.2.3","environment":"production","status":"success","at":"2026-12-01T10:00:00Z","commit":"9fceb02","commit_at":"2026-12-01T09:00:00Z"}`,
			want: valid(),
		},
		{
			name: "defaults: at is now, environment production; zone becomes UTC; status case",
			body: `{"service":" checkout ","version":"v2","status":"FAILURE","commit_at":"2026-12-01T14:00:00+05:00"}`,
			want: Deployment{Service: "checkout", Version: "v2", Environment: "production", Status: StatusFailure,
				At: t0.Add(5 * time.Minute), CommitAt: t0.Add(-time.Hour)},
		},
		{
			name: "null is absent",
			body: `{"id":null,"service":"a","version":"1","environment":null,"status":"success","at":"2026-12-01T10:00:00Z","commit":null}`,
			want: Deployment{Service: "a", Version: "1", Environment: "production", Status: StatusSuccess, At: t0},
		},
		{
			name: "fractional seconds",
			body: `{"service":"a","version":"1","environment":"staging","status":"success","at":"2026-12-01T10:00:00.5Z"}`,
			want: Deployment{Service: "a", Version: "1", Environment: "staging", Status: StatusSuccess, At: t0.Add(500 * time.Millisecond)},
		},
		{name: "miscased field", body: `{"Service":"a","version":"1","status":"success"}`,
			wantErr: `unknown field "Service" (known fields: id, service, version, environment, status, at, commit, commit_at; names are lowercase)`},
		{name: "repeated field", body: `{"service":"a","version":"1","status":"failure","status":"success"}`,
			wantErr: `field "status" appears twice`},
		{name: "nested value", body: `{"service":{"name":"a"},"version":"1","status":"success"}`, wantErr: `field "service" must be a string`},
		{name: "truncated after a key", body: `{"service":`, wantErr: "ends too early"},
		{name: "unknown field", body: `{"service":"a","version":"1","status":"success","sha":"x"}`,
			wantErr: `unknown field "sha" (known fields: id, service`},
		{name: "not RFC 3339", body: `{"service":"a","version":"1","status":"success","at":"2026-12-01 10:00"}`,
			wantErr: `at: "2026-12-01 10:00" is not an RFC 3339 time`},
		{name: "bad commit_at", body: `{"service":"a","version":"1","status":"success","commit_at":"yesterday"}`,
			wantErr: `commit_at: "yesterday" is not an RFC 3339 time`},
		{name: "commit after deploy", body: `{"service":"a","version":"1","status":"success","at":"2026-12-01T10:00:00Z","commit_at":"2026-12-01T11:00:00Z"}`,
			wantErr: "commit_at: is after at"},
		{name: "missing fields", body: `{}`, wantErr: "service: is required; version: is required; status: is required"},
		{name: "bad status", body: `{"service":"a","version":"1","status":"done"}`, wantErr: `status: must be success or failure, not "done"`},
		{name: "wrong type", body: `{"service":"a","version":1,"status":"success"}`, wantErr: `field "version" must be a string`},
		{name: "array", body: `[]`, wantErr: "must be a JSON object"},
		{name: "empty", body: ``, wantErr: "the body is empty"},
		{name: "truncated", body: `{"service":"a"`, wantErr: "ends too early"},
		{name: "syntax", body: `{"service":}`, wantErr: "malformed JSON at byte"},
		{name: "two objects", body: `{"service":"a","version":"1","status":"success"}{}`, wantErr: "one JSON object with nothing after it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(strings.NewReader(tt.body), clock.Now())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Decode() error = %v, want it to contain %q", err, tt.wantErr)
				}
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("Decode() error %v does not wrap ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode() error = %v", err)
			}
			if got != tt.want {
				t.Errorf("Decode() got %+v, want %+v", got, tt.want)
			}
			if got.At.Location() != time.UTC {
				t.Errorf("At location got %v, want UTC", got.At.Location())
			}
		})
	}
}

func TestDecodeTooLarge(t *testing.T) {
	pad := strings.Repeat(" ", MaxBodyBytes)
	body := `{"service":"a","version":"1","status":"success"}`
	if _, err := Decode(strings.NewReader(body+pad[:MaxBodyBytes-len(body)]), t0); err != nil {
		t.Fatalf("a body of exactly MaxBodyBytes: got %v, want nil", err)
	}
	_, err := Decode(strings.NewReader(body+pad), t0)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Decode(1 MiB + %d) error = %v, want ErrTooLarge", len(body), err)
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	d := valid()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(bytes.NewReader(b), t0.Add(time.Hour))
	if err != nil {
		t.Fatalf("Decode(Marshal(d)) error = %v (body %s)", err, b)
	}
	if got != d {
		t.Errorf("round trip got %+v, want %+v", got, d)
	}
	// Optional fields are left out of the JSON, not sent empty.
	b, _ = json.Marshal(Deployment{Service: "a", Version: "1", Environment: "p", Status: StatusSuccess, At: t0})
	if want := `{"service":"a","version":"1","environment":"p","status":"success","at":"2026-12-01T10:00:00Z"}`; string(b) != want {
		t.Errorf("Marshal got %s, want %s", b, want)
	}
}

func TestLikelyCauses(t *testing.T) {
	detected := t0
	ds := []Deployment{
		{ID: "old", Service: "checkout", At: detected.Add(-2*time.Hour - time.Second)},
		{ID: "edge", Service: "checkout", At: detected.Add(-2 * time.Hour)},
		{ID: "mid", Service: "checkout", At: detected.Add(-30 * time.Minute), Status: StatusFailure, Environment: "production"},
		{ID: "stg", Service: "checkout", At: detected.Add(-20 * time.Minute), Environment: "staging"},
		{ID: "other", Service: "search", At: detected.Add(-10 * time.Minute)},
		{ID: "new", Service: "checkout", At: detected},
		{ID: "after", Service: "checkout", At: detected.Add(time.Second)},
		{ID: "b-same", Service: "checkout", At: detected.Add(-time.Hour)},
		{ID: "a-same", Service: "checkout", At: detected.Add(-time.Hour)},
	}
	tests := []struct {
		name         string
		service, env string
		window       time.Duration
		want         string
	}{
		{"default window is 2h, inclusive at both ends, newest first", "checkout", "", 0, "new,stg,mid,a-same,b-same,edge"},
		{"narrow window", "checkout", "", 45 * time.Minute, "new,stg,mid"},
		{"one environment", "checkout", "production", 45 * time.Minute, "mid"},
		{"other service", "search", "", time.Hour, "other"},
		{"unknown service", "payments", "", time.Hour, ""},
		{"no service", "", "", time.Hour, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ids []string
			for _, d := range LikelyCauses(ds, tt.service, tt.env, detected, tt.window) {
				ids = append(ids, d.ID)
			}
			if got := strings.Join(ids, ","); got != tt.want {
				t.Errorf("LikelyCauses got %q, want %q", got, tt.want)
			}
		})
	}
	if ds[0].ID != "old" || ds[8].ID != "a-same" {
		t.Errorf("LikelyCauses reordered its input")
	}
}

func TestWithIDIsStableAndKeepsAGivenID(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	d := Deployment{Service: "checkout", Environment: "production", Version: "v1", Status: StatusSuccess, At: at}
	a, b := d.WithID(), d.WithID()
	if a.ID == "" || a.ID != b.ID {
		t.Errorf("WithID = %q then %q, want one stable ID", a.ID, b.ID)
	}
	d.Version = "v2"
	if d.WithID().ID == a.ID {
		t.Error("another version got the same ID")
	}
	d.ID = "gh-123"
	if got := d.WithID().ID; got != "gh-123" {
		t.Errorf("WithID of a deployment with an ID = %q, want it kept", got)
	}
}
