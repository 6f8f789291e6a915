package postmortem

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/templates"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./postmortem -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./postmortem -update and review the diff.\ngot:\n%s", name, got)
	}
}

func TestDraftGolden(t *testing.T) {
	now := t0.Add(72 * time.Hour)
	tests := []struct {
		name string
		in   Input
	}{
		{"short-sev4.md", shortSev4()},
		{"multiday-sev1.md", multiDaySev1(templates.EN)},
		{"multiday-sev1.ru.md", multiDaySev1(templates.RU)},
		{"alert-storm.md", stormIncident()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := newDrafter(t, now).Draft(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, d.Markdown)
		})
	}
}
