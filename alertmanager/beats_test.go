package alertmanager

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/incidentbot/incidentbot/incidents"
)

// groupBeats takes the alerts of groups named "hb…" out as beats.
type groupBeats struct {
	beats []string
	fail  bool
}

func (b *groupBeats) Beats(_ context.Context, ns []incidents.Notification) ([]incidents.Notification, error) {
	if b.fail {
		return nil, errStoreDown
	}
	var out []incidents.Notification
	for _, n := range ns {
		if len(n.GroupKey) > 2 && n.GroupKey[:2] == "hb" {
			b.beats = append(b.beats, n.GroupKey)
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

func TestApplierTakesHeartbeatsOut(t *testing.T) {
	inbox := newMemInbox()
	fill(t, inbox, "g1", "hb1", "g2", "hb2")
	beats := &groupBeats{fail: true}
	svc := &fakeService{}
	a := newTestApplier(t, ApplierOptions{Inbox: inbox, Service: svc, Beats: beats})
	if _, err := a.ApplyPending(t.Context()); !errors.Is(err, errStoreDown) {
		t.Fatalf("beats failing: %v, want the failure", err)
	}
	if left := inbox.ids(); len(left) != 4 {
		t.Fatalf("beats failing removed items: %v", left)
	}
	beats.fail = false
	if _, err := a.ApplyPending(t.Context()); err != nil {
		t.Fatal(err)
	}
	ingested := svc.groupKeys()
	if fmt.Sprint(ingested) != "[g1 g2]" || fmt.Sprint(beats.beats) != "[hb1 hb2]" {
		t.Errorf("ingested %v, beats %v; want [g1 g2] and [hb1 hb2]", ingested, beats.beats)
	}
	if left := inbox.ids(); len(left) != 0 {
		t.Errorf("inbox still holds %v", left)
	}
}
