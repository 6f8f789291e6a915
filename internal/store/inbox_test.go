package store_test

import (
	"reflect"
	"testing"

	"github.com/incidentbot/incidentbot/alertmanager"
	"github.com/incidentbot/incidentbot/internal/store/storetest"
)

func TestInbox(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	ctx := testCtx(t)
	item := func(id string, minute int, body string) alertmanager.InboxItem {
		return alertmanager.InboxItem{ID: id, ReceivedAt: at(minute).In(almaty), Body: []byte(body)}
	}
	utc := func(it alertmanager.InboxItem) alertmanager.InboxItem { it.ReceivedAt = it.ReceivedAt.UTC(); return it }
	a := item("0001", 1, `{"version":"4","status":"firing"}`)
	b := item("0002", 2, `{"version":"4","status":"resolved"}`)
	c := item("0003", 3, "not utf-8: \xff\x00\xfe")

	// Items arrive in ID order (the contract: the Batcher's IDs increase).
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
}
