package alertmanager

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/routing"
)

// groupBody returns a valid notification body for group g.
func groupBody(g, status string) []byte {
	return fmt.Appendf(nil, `{"version":"4","groupKey":%q,"status":%q,"receiver":"bot",
		"alerts":[{"status":%q,"labels":{"alertname":"A","group":%q},"startsAt":"2026-11-30T05:00:00Z"}]}`, g, status, status, g)
}

// put stores one item directly.
func put(inbox *memInbox, it InboxItem) {
	inbox.mu.Lock()
	defer inbox.mu.Unlock()
	inbox.items[it.ID] = it
}

// fill appends items with bodies for groups g1…gn in that order.
func fill(t *testing.T, inbox *memInbox, groups ...string) {
	t.Helper()
	var items []InboxItem
	for i, g := range groups {
		items = append(items, InboxItem{
			ID:         fmt.Sprintf("%019d-00000000", 1_000+i),
			ReceivedAt: time.Date(2026, 11, 30, 5, 0, i, 0, time.UTC),
			Body:       groupBody(g, "firing"),
		})
	}
	if err := inbox.AppendInbox(t.Context(), items); err != nil {
		t.Fatal(err)
	}
}

func newTestApplier(t *testing.T, o ApplierOptions) *Applier {
	t.Helper()
	if o.Logger == nil {
		o.Logger, _ = newTestLogger(t)
	}
	a, err := NewApplier(o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestApplierAppliesInOrder(t *testing.T) {
	inbox, svc := newMemInbox(), &fakeService{}
	fill(t, inbox, "g1", "g2", "g1", "g3", "g2")
	a := newTestApplier(t, ApplierOptions{Inbox: inbox, Service: svc, BatchSize: 2,
		Routes: routing.Table{DefaultSeverity: "sev2"}})

	n, err := a.ApplyPending(t.Context())
	if err != nil || n != 5 {
		t.Fatalf("ApplyPending = %d, %v; want 5, nil", n, err)
	}
	if got, want := svc.groupKeys(), []string{"g1", "g2", "g1", "g3", "g2"}; !slices.Equal(got, want) {
		t.Errorf("applied %v, want %v", got, want)
	}
	if left := inbox.ids(); len(left) != 0 {
		t.Errorf("inbox still holds %v", left)
	}
	if len(inbox.removes) != 3 {
		t.Errorf("RemoveInbox called %d times, want once per batch (3)", len(inbox.removes))
	}
	got := svc.got[0]
	if got.Severity != "sev2" || got.Title != "A" || !got.ReceivedAt.Equal(time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)) {
		t.Errorf("notification not routed: %+v", got)
	}
	if n, err := a.ApplyPending(t.Context()); n != 0 || err != nil {
		t.Errorf("second pass = %d, %v; want 0, nil", n, err)
	}
}

// A failing ingest leaves its whole batch in the inbox; nothing is lost or reordered.
func TestApplierRetriesWithoutLoss(t *testing.T) {
	inbox := newMemInbox()
	failing := true
	svc := &fakeService{fail: func(n incidents.Notification, call int) error {
		if n.GroupKey == "g3" && failing {
			return errStoreDown
		}
		return nil
	}}
	fill(t, inbox, "g1", "g2", "g3", "g4")
	a := newTestApplier(t, ApplierOptions{Inbox: inbox, Service: svc})

	n, err := a.ApplyPending(t.Context())
	if !errors.Is(err, errStoreDown) || n != 0 {
		t.Fatalf("ApplyPending = %d, %v; want 0, errStoreDown", n, err)
	}
	if !strings.Contains(err.Error(), "group g3") {
		t.Errorf("error %q does not name the group", err)
	}
	if got := len(inbox.ids()); got != 4 {
		t.Errorf("inbox holds %d items, want the whole batch (4)", got)
	}
	n, err = a.ApplyPending(t.Context())
	if !errors.Is(err, errStoreDown) || n != 0 {
		t.Fatalf("retry while failing = %d, %v", n, err)
	}
	failing = false
	n, err = a.ApplyPending(t.Context())
	if err != nil || n != 4 {
		t.Fatalf("retry = %d, %v; want 4, nil", n, err)
	}
	if got, want := svc.groupKeys(), []string{"g1", "g2", "g3", "g4"}; !slices.Equal(got, want) {
		t.Errorf("applied %v, want %v", got, want)
	}
	if left := inbox.ids(); len(left) != 0 {
		t.Errorf("inbox still holds %v", left)
	}
}

func TestApplierLease(t *testing.T) {
	inbox, svc := newMemInbox(), &fakeService{}
	fill(t, inbox, "g1", "g2")

	notHeld := newTestApplier(t, ApplierOptions{Inbox: inbox, Service: svc,
		Lease: func(context.Context) (bool, error) { return false, nil }})
	if n, err := notHeld.ApplyPending(t.Context()); n != 0 || err != nil {
		t.Errorf("lease not held: %d, %v; want 0, nil", n, err)
	}
	broken := newTestApplier(t, ApplierOptions{Inbox: inbox, Service: svc,
		Lease: func(context.Context) (bool, error) { return false, errStoreDown }})
	if _, err := broken.ApplyPending(t.Context()); !errors.Is(err, errStoreDown) {
		t.Errorf("lease error: %v", err)
	}
	if len(svc.got) != 0 || len(inbox.ids()) != 2 {
		t.Fatalf("applied %d, inbox %d: want 0 and 2", len(svc.got), len(inbox.ids()))
	}
	held := newTestApplier(t, ApplierOptions{Inbox: inbox, Service: svc,
		Lease: func(context.Context) (bool, error) { return true, nil }})
	if n, err := held.ApplyPending(t.Context()); n != 2 || err != nil {
		t.Errorf("lease held: %d, %v; want 2, nil", n, err)
	}
}

func TestApplierDropsUndecodableItems(t *testing.T) {
	inbox, svc := newMemInbox(), &fakeService{}
	fill(t, inbox, "g1", "g2")
	bad := InboxItem{ID: fmt.Sprintf("%019d-00000000", 1_000), Body: []byte(`{"groupKey":`)}
	put(inbox, bad) // replaces g1
	log, logs := newTestLogger(t)
	a := newTestApplier(t, ApplierOptions{Inbox: inbox, Service: svc, Logger: log})
	n, err := a.ApplyPending(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("ApplyPending = %d, %v; want 1, nil", n, err)
	}
	if got := svc.groupKeys(); !slices.Equal(got, []string{"g2"}) {
		t.Errorf("applied %v", got)
	}
	if len(inbox.ids()) != 0 {
		t.Errorf("the bad item was not removed: %v", inbox.ids())
	}
	if !strings.Contains(logs.String(), "no longer decodes") {
		t.Errorf("drop not logged: %s", logs)
	}
}

// Applied items whose removal fails are applied again (at least once).
func TestApplierRemoveFailure(t *testing.T) {
	inbox, svc := newMemInbox(), &fakeService{}
	fill(t, inbox, "g1")
	inbox.removeErr = errStoreDown
	a := newTestApplier(t, ApplierOptions{Inbox: inbox, Service: svc})
	if n, err := a.ApplyPending(t.Context()); !errors.Is(err, errStoreDown) || n != 1 {
		t.Fatalf("ApplyPending = %d, %v", n, err)
	}
	inbox.removeErr = nil
	if n, err := a.ApplyPending(t.Context()); err != nil || n != 1 {
		t.Fatalf("ApplyPending = %d, %v", n, err)
	}
	if got := svc.groupKeys(); !slices.Equal(got, []string{"g1", "g1"}) {
		t.Errorf("applied %v, want g1 twice", got)
	}
}

// A store whose RemoveInbox silently keeps the items must not make a pass loop forever.
func TestApplierBoundedWhenRemoveIsIgnored(t *testing.T) {
	inbox, svc := newMemInbox(), &fakeService{}
	fill(t, inbox, "g1", "g2", "g3")
	inbox.noRemove = true
	a := newTestApplier(t, ApplierOptions{Inbox: inbox, Service: svc, BatchSize: 3})
	n, err := a.ApplyPending(t.Context())
	if err == nil || !strings.Contains(err.Error(), "still pending after it was removed") || n != 3 {
		t.Fatalf("ApplyPending = %d, %v", n, err)
	}
	if len(svc.got) != 3 {
		t.Errorf("applied %d, want 3", len(svc.got))
	}
}

func TestApplierMaxBatches(t *testing.T) {
	inbox, svc := newMemInbox(), &fakeService{}
	fill(t, inbox, "g1", "g2", "g3", "g4", "g5")
	a := newTestApplier(t, ApplierOptions{Inbox: inbox, Service: svc, BatchSize: 2, MaxBatches: 2})
	if n, err := a.ApplyPending(t.Context()); n != 4 || err != nil {
		t.Fatalf("ApplyPending = %d, %v; want 4, nil", n, err)
	}
	if n, err := a.ApplyPending(t.Context()); n != 1 || err != nil {
		t.Fatalf("ApplyPending = %d, %v; want 1, nil", n, err)
	}
}

func TestNewApplierNeedsInboxAndService(t *testing.T) {
	if _, err := NewApplier(ApplierOptions{Inbox: newMemInbox()}); err == nil {
		t.Error("no Service: no error")
	}
	if _, err := NewApplier(ApplierOptions{Service: &fakeService{}}); err == nil {
		t.Error("no Inbox: no error")
	}
}

// Run applies at once on Kick, polls otherwise, backs off after failures
// and stops with its context.
func TestApplierRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		inbox := newMemInbox()
		var failures atomic.Int32
		svc := &fakeService{fail: func(n incidents.Notification, call int) error {
			if n.GroupKey == "flaky" && failures.Load() < 3 {
				failures.Add(1)
				return errStoreDown
			}
			return nil
		}}
		a := newTestApplier(t, ApplierOptions{Inbox: inbox, Service: svc, Poll: time.Hour,
			RetryMin: time.Second, RetryMax: 3 * time.Second})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- a.Run(ctx) }()
		synctest.Wait() // the first pass found nothing and waits

		fill(t, inbox, "g1")
		a.Kick()
		synctest.Wait()
		if got := svc.groupKeys(); !slices.Equal(got, []string{"g1"}) {
			t.Fatalf("after Kick applied %v", got)
		}

		// Without a kick the next poll picks items up.
		put(inbox, InboxItem{ID: "9999999999999999999-00000000", Body: groupBody("g2", "resolved")})
		time.Sleep(time.Hour)
		synctest.Wait()
		if got := svc.groupKeys(); !slices.Equal(got, []string{"g1", "g2"}) {
			t.Fatalf("after a poll applied %v", got)
		}

		// A failing item is retried after 1s, 2s, 3s (capped); kicks do not cut the backoff short.
		start := time.Now()
		put(inbox, InboxItem{ID: "9999999999999999999-00000001", Body: groupBody("flaky", "firing")})
		a.Kick()
		synctest.Wait()
		if failures.Load() != 1 {
			t.Fatalf("failures = %d after the kick, want 1", failures.Load())
		}
		a.Kick()
		synctest.Wait()
		if failures.Load() != 1 {
			t.Errorf("a kick during backoff retried at once")
		}
		for len(svc.groupKeys()) < 3 {
			time.Sleep(100 * time.Millisecond)
			synctest.Wait()
		}
		if got, want := time.Since(start), 6*time.Second; got != want {
			t.Errorf("applied after %v, want %v (1s+2s+3s)", got, want)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	})
}

// The handler, batcher and applier together, as the app wires them.
func TestWebhookToIncident(t *testing.T) {
	inbox, svc := newMemInbox(), &fakeService{}
	router := routing.Table{
		Routes:          []routing.Route{{Matchers: mustMatchers(t, `severity="critical"`), Severity: "sev1", EscalationPolicy: "default"}},
		DefaultSeverity: "sev3",
	}
	a := newTestApplier(t, ApplierOptions{Inbox: inbox, Service: svc, Routes: router})
	b, err := NewBatcher(inbox, BatcherOptions{OnStored: a.Kick})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	h, err := NewHandler(b, HandlerOptions{Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	env := &handlerEnv{h: h}
	for _, f := range []string{"firing.json", "repeated.json", "partly_resolved.json", "resolved.json"} {
		if rec := env.do(webhookRequest("POST", readTestdata(t, f), bearer(testToken))); rec.Code != 200 {
			t.Fatalf("%s: %d %s", f, rec.Code, rec.Body)
		}
	}
	select {
	case <-a.kick:
	default:
		t.Error("the batcher did not kick the applier")
	}
	n, err := a.ApplyPending(t.Context())
	if err != nil || n != 4 {
		t.Fatalf("ApplyPending = %d, %v", n, err)
	}
	var statuses []string
	for _, n := range svc.got {
		if n.Severity != "sev1" || n.Service != "payments" || n.Title != "Payments API 5xx rate above 5%" {
			t.Errorf("routed %s/%s/%q", n.Severity, n.Service, n.Title)
		}
		statuses = append(statuses, n.Status+":"+n.Alerts[0].Status+"/"+n.Alerts[1].Status)
	}
	want := []string{"firing:firing/firing", "firing:firing/firing", "firing:resolved/firing", "resolved:resolved/resolved"}
	if !slices.Equal(statuses, want) {
		t.Errorf("applied %v, want %v", statuses, want)
	}
}

// Each batch is one Service call, all or nothing.
func TestApplierAppliesWholeBatches(t *testing.T) {
	failing := true
	svc := &fakeService{fail: func(incidents.Notification, int) error {
		if failing {
			return errStoreDown
		}
		return nil
	}}
	inbox := newMemInbox()
	fill(t, inbox, "g1", "g2", "g3", "g4", "g5")
	a := newTestApplier(t, ApplierOptions{Inbox: inbox, Service: svc, BatchSize: 3})
	if n, err := a.ApplyPending(t.Context()); !errors.Is(err, errStoreDown) || n != 0 {
		t.Fatalf("failing batch: ApplyPending = %d, %v; want 0, errStoreDown", n, err)
	}
	if left := inbox.ids(); len(left) != 5 {
		t.Fatalf("a failed batch removed items: %d left, want 5", len(left))
	}
	failing = false
	if n, err := a.ApplyPending(t.Context()); err != nil || n != 5 {
		t.Fatalf("ApplyPending = %d, %v; want 5, nil", n, err)
	}
	want := [][]string{{"g1", "g2", "g3"}, {"g4", "g5"}}
	if fmt.Sprint(svc.batches) != fmt.Sprint(want) {
		t.Errorf("batches = %v, want %v", svc.batches, want)
	}
	if left := inbox.ids(); len(left) != 0 {
		t.Errorf("inbox still holds %v", left)
	}
}
