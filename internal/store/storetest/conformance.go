package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/alertmanager"
	"github.com/incidentbot/incidentbot/internal/store"
)

// t0 is a UTC time with millisecond precision, BSON's.
var t0 = time.Date(2026, 3, 14, 9, 0, 7, 123_000_000, time.UTC)

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// Inbox runs the alertmanager.Inbox contract against stores made by open.
func Inbox(t *testing.T, open func(t testing.TB) alertmanager.Inbox) {
	t.Run("append, read in order, remove", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		zone := time.FixedZone("Asia/Almaty", 5*3600)
		item := func(id string, minute int, body string) alertmanager.InboxItem {
			return alertmanager.InboxItem{ID: id, ReceivedAt: t0.Add(time.Duration(minute) * time.Minute).In(zone), Body: []byte(body)}
		}
		utc := func(it alertmanager.InboxItem) alertmanager.InboxItem { it.ReceivedAt = it.ReceivedAt.UTC(); return it }
		a := item("0001", 1, `{"version":"4","status":"firing"}`)
		b := item("0002", 2, `{"version":"4","status":"resolved"}`)
		c := item("0003", 3, "not utf-8: \xff\x00\xfe")

		if err := s.AppendInbox(ctx, []alertmanager.InboxItem{a}); err != nil {
			t.Fatalf("AppendInbox: %v", err)
		}
		// a again with another body: skipped, no error.
		if err := s.AppendInbox(ctx, []alertmanager.InboxItem{item("0001", 9, "dup"), b}); err != nil {
			t.Fatalf("AppendInbox with a duplicate: %v", err)
		}
		if err := s.AppendInbox(ctx, []alertmanager.InboxItem{c}); err != nil {
			t.Fatalf("AppendInbox: %v", err)
		}
		if err := s.AppendInbox(ctx, nil); err != nil {
			t.Fatalf("AppendInbox(nil): %v", err)
		}
		pending := func(limit int) []alertmanager.InboxItem {
			t.Helper()
			got, err := s.PendingInbox(ctx, limit)
			if err != nil {
				t.Fatalf("PendingInbox(%d): %v", limit, err)
			}
			return got
		}
		if got, want := pending(0), []alertmanager.InboxItem{utc(a), utc(b), utc(c)}; !reflect.DeepEqual(got, want) {
			t.Errorf("PendingInbox(0):\ngot  %+v\nwant %+v", got, want)
		}
		if got, want := pending(2), []alertmanager.InboxItem{utc(a), utc(b)}; !reflect.DeepEqual(got, want) {
			t.Errorf("PendingInbox(2):\ngot  %+v\nwant %+v", got, want)
		}
		if err := s.RemoveInbox(ctx, []string{"0001", "0002", "unknown"}); err != nil {
			t.Fatalf("RemoveInbox: %v", err)
		}
		if err := s.RemoveInbox(ctx, nil); err != nil {
			t.Fatalf("RemoveInbox(nil): %v", err)
		}
		if got, want := pending(10), []alertmanager.InboxItem{utc(c)}; !reflect.DeepEqual(got, want) {
			t.Errorf("PendingInbox after remove:\ngot  %+v\nwant %+v", got, want)
		}
		if err := s.RemoveInbox(ctx, []string{"0003"}); err != nil {
			t.Fatal(err)
		}
		if got := pending(10); len(got) != 0 {
			t.Errorf("PendingInbox after removing all = %+v, want empty", got)
		}
	})

	t.Run("concurrent appends keep every item once", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		const writers, each = 8, 25
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					id := fmt.Sprintf("%02d-%03d", w, i)
					// Every item twice, as a retried batch would.
					items := []alertmanager.InboxItem{{ID: id, ReceivedAt: t0, Body: []byte(id)}}
					for range 2 {
						if err := s.AppendInbox(ctx, items); err != nil {
							t.Errorf("AppendInbox(%s): %v", id, err)
						}
					}
				}
			})
		}
		wg.Wait()
		got, err := s.PendingInbox(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != writers*each {
			t.Fatalf("got %d items, want %d", len(got), writers*each)
		}
		for i := 1; i < len(got); i++ {
			if got[i-1].ID >= got[i].ID {
				t.Fatalf("items out of order: %s before %s", got[i-1].ID, got[i].ID)
			}
		}
	})

	t.Run("remove more than one statement's worth", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		var items []alertmanager.InboxItem
		var ids []string
		for i := range 1200 {
			id := fmt.Sprintf("%05d", i)
			items = append(items, alertmanager.InboxItem{ID: id, ReceivedAt: t0, Body: []byte("{}")})
			ids = append(ids, id)
		}
		if err := s.AppendInbox(ctx, items); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveInbox(ctx, ids[:1100]); err != nil {
			t.Fatal(err)
		}
		got, err := s.PendingInbox(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 100 || got[0].ID != ids[1100] {
			t.Errorf("left %d items starting %v, want 100 from %s", len(got), got[:min(1, len(got))], ids[1100])
		}
	})
}

// Leases runs the store.Leases contract against stores made by open.
func Leases(t *testing.T, open func(t testing.TB) store.Leases) {
	const ttl = 30 * time.Second
	t.Run("take, renew, expire, release", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		steps := []struct {
			name   string
			holder string
			now    time.Time
			want   bool
		}{
			{"A takes the free lease", "A", t0, true},
			{"B is refused while A holds it", "B", t0.Add(time.Second), false},
			{"A renews", "A", t0.Add(20 * time.Second), true},
			{"B is refused at A's renewed expiry instant", "B", t0.Add(20*time.Second + ttl), false},
			{"B takes it once A's lease expired", "B", t0.Add(20*time.Second + ttl + time.Millisecond), true},
			{"A is refused now", "A", t0.Add(21*time.Second + ttl), false},
		}
		for _, st := range steps {
			got, err := s.AcquireLease(ctx, "applier", st.holder, ttl, st.now)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if got != st.want {
				t.Errorf("%s: AcquireLease = %v, want %v", st.name, got, st.want)
			}
		}
		if ok, err := s.AcquireLease(ctx, "other", "A", ttl, t0.Add(time.Minute)); err != nil || !ok {
			t.Errorf("AcquireLease of another name = %v, %v; want true", ok, err)
		}
		now := t0.Add(time.Minute)
		if err := s.ReleaseLease(ctx, "applier", "A"); err != nil { // A does not hold it: no effect
			t.Fatal(err)
		}
		if ok, _ := s.AcquireLease(ctx, "applier", "A", ttl, now); ok {
			t.Error("A acquired after a release by a non-holder, want B to keep it")
		}
		if err := s.ReleaseLease(ctx, "applier", "B"); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.AcquireLease(ctx, "applier", "A", ttl, now); err != nil || !ok {
			t.Errorf("A after B released = %v, %v; want true", ok, err)
		}
		if err := s.ReleaseLease(ctx, "never-taken", "A"); err != nil {
			t.Errorf("ReleaseLease of an unknown lease = %v, want nil", err)
		}
	})

	t.Run("8 holders race: one wins", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		for round := range 5 {
			name := fmt.Sprintf("race-%d", round)
			var winners atomic.Int32
			var wg sync.WaitGroup
			for h := range 8 {
				wg.Go(func() {
					ok, err := s.AcquireLease(ctx, name, fmt.Sprintf("holder-%d", h), time.Minute, t0)
					if err != nil {
						t.Errorf("AcquireLease: %v", err)
					}
					if ok {
						winners.Add(1)
					}
				})
			}
			wg.Wait()
			if n := winners.Load(); n != 1 {
				t.Errorf("round %d: %d holders acquired the lease, want exactly 1", round, n)
			}
		}
	})
}
