package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParse: no input makes Parse panic, and its result is either a config
// that holds the package's invariants or a non-empty list of located errors.
// Seeds are every YAML file under testdata and the example file.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yaml", "testdata/errors/*.yaml", "testdata/fuzz/*.yaml", "../../incidentbot.example.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %v (%T) is not a non-empty Errors", err, err)
			}
			if c != nil {
				t.Fatalf("config returned with errors")
			}
			for _, e := range errs {
				if e.Msg == "" || e.File != "fuzz.yaml" {
					t.Fatalf("bad error %+v", e)
				}
			}
			_ = err.Error()
			return
		}
		if c == nil || c.Timezone == nil || len(c.Severities) == 0 || c.DefaultSeverity == "" ||
			c.Storm.MaxNew < 1 || c.Storm.Window <= 0 || c.AutoResolve.After < 0 || c.Slack.ChannelPrefix == "" {
			t.Fatalf("invalid config accepted: %+v", c)
		}
		for _, r := range c.Routes {
			if _, ok := c.Severity(r.Severity); !ok {
				t.Fatalf("route to unknown severity %q accepted", r.Severity)
			}
			if r.EscalationPolicy != "" {
				if _, ok := c.EscalationPolicy(r.EscalationPolicy); !ok {
					t.Fatalf("route to unknown policy %q accepted", r.EscalationPolicy)
				}
			}
		}
		for _, s := range c.Schedules {
			if err := s.Validate(); err != nil || s.Timezone == nil || len(s.Rotations) == 0 {
				t.Fatalf("schedule %+v accepted: %v", s, err)
			}
			for _, r := range s.Rotations {
				if len(r.Members) == 0 || (r.Type == RotationCustom && r.ShiftLength < time.Minute) || r.Start.IsZero() {
					t.Fatalf("rotation %+v accepted", r)
				}
			}
		}
		for _, p := range c.EscalationPolicies {
			if err := p.Validate(); err != nil || len(p.Levels) == 0 || p.Repeat < 0 {
				t.Fatalf("policy %+v accepted: %v", p, err)
			}
			for _, l := range p.Levels {
				if len(l.Targets) == 0 || l.Delay < 0 {
					t.Fatalf("level %+v accepted", l)
				}
				for _, tg := range l.Targets {
					if tg.Kind == TargetSchedule {
						if _, ok := c.Schedule(tg.Name); !ok {
							t.Fatalf("target %v accepted", tg)
						}
					}
				}
			}
		}
	})
}
