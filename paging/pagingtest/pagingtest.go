// Package pagingtest is the conformance suite of paging.Store's own methods
// (notifications, escalations, the pages' channel link): the same tests run
// against every store. The page methods it embeds have oncalltest's suite.
package pagingtest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/oncall"
	"github.com/incidentbot/incidentbot/paging"
)

// Run runs the suite; open returns a new, empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) paging.Store) {
	tests := []struct {
		name string
		f    func(t *testing.T, s paging.Store)
	}{
		{"NotificationRoundTrip", testNotificationRoundTrip},
		{"MoveNotification", testMoveNotification},
		{"MoveNotificationConcurrent", testMoveNotificationConcurrent},
		{"NotificationsOfIncidentAndPerson", testNotificationLists},
		{"Escalation", testEscalation},
		{"PageLinked", testPageLinked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.f(t, open(t))
		})
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

var t0 = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

var almaty = time.FixedZone("Asia/Almaty", 5*3600)

func full(id string) paging.Notification {
	return paging.Notification{ID: id, Page: "page:1:0:0:user:U1", Incident: 1, Person: "alice", User: "U1",
		Method: oncall.MethodSMS, Step: 2, Kind: paging.KindTest, Note: "bring the laptop", State: paging.NotifySent, DueAt: t0.Add(2 * time.Minute).In(almaty),
		Provider: "twilio", ProviderID: "SM0123", Status: "queued", Error: "none", CreatedAt: t0.In(almaty), UpdatedAt: t0.Add(time.Second).In(almaty)}
}

func utc(n paging.Notification) paging.Notification {
	n.DueAt, n.CreatedAt, n.UpdatedAt = n.DueAt.UTC(), n.CreatedAt.UTC(), n.UpdatedAt.UTC()
	return n
}

func testNotificationRoundTrip(t *testing.T, s paging.Store) {
	ctx := testCtx(t)
	n := full("a/2/sms")
	got, added, err := s.AddNotification(ctx, n)
	if err != nil || !added {
		t.Fatalf("AddNotification = %v, %v; want added", added, err)
	}
	if !reflect.DeepEqual(got, utc(n)) {
		t.Errorf("added:\ngot  %+v\nwant %+v", got, utc(n))
	}
	again := n
	again.Status = "other"
	got, added, err = s.AddNotification(ctx, again)
	if err != nil || added || got.Status != "queued" {
		t.Errorf("AddNotification of a stored ID = %+v, %v, %v; want the first kept, not added", got, added, err)
	}
	read, err := s.Notification(ctx, n.ID)
	if err != nil || !reflect.DeepEqual(read, utc(n)) {
		t.Errorf("Notification = %+v, %v", read, err)
	}
	if _, err := s.Notification(ctx, "missing"); !errors.Is(err, paging.ErrNotFound) {
		t.Errorf("Notification(missing) = %v, want ErrNotFound", err)
	}
	// A pending one with the zero values stored as zero.
	min := paging.Notification{ID: "b/0/slack", Incident: 2, User: "U2", Method: oncall.MethodSlack, Kind: paging.KindPage, DueAt: t0}
	got, _, err = s.AddNotification(ctx, min)
	min.State = paging.NotifyPending
	if err != nil || !reflect.DeepEqual(got, min) {
		t.Errorf("minimal: %+v, %v; want %+v", got, err, min)
	}
}

func testMoveNotification(t *testing.T, s paging.Store) {
	ctx := testCtx(t)
	n := full("a/0/voice")
	n.State = paging.NotifyPending
	if _, _, err := s.AddNotification(ctx, n); err != nil {
		t.Fatal(err)
	}
	next := n
	next.State, next.Provider = paging.NotifySending, "twilio"
	if ok, err := s.MoveNotification(ctx, next, paging.NotifySent, paging.NotifyFailed); err != nil || ok {
		t.Errorf("move from states it is not in = %v, %v; want false", ok, err)
	}
	if ok, err := s.MoveNotification(ctx, next, paging.NotifyPending); err != nil || !ok {
		t.Fatalf("move from pending = %v, %v; want true", ok, err)
	}
	if ok, _ := s.MoveNotification(ctx, next, paging.NotifyPending); ok {
		t.Errorf("a second move from pending succeeded")
	}
	got, _ := s.Notification(ctx, n.ID)
	if got.State != paging.NotifySending || got.Provider != "twilio" {
		t.Errorf("after move: %+v", got)
	}
	if ok, err := s.MoveNotification(ctx, paging.Notification{ID: "missing", State: paging.NotifySent}, paging.NotifyPending); err != nil || ok {
		t.Errorf("move of a missing notification = %v, %v; want false, nil", ok, err)
	}
}

// Of several workers moving one notification out of pending, one wins.
func testMoveNotificationConcurrent(t *testing.T, s paging.Store) {
	ctx := testCtx(t)
	n := full("c/0/sms")
	n.State = paging.NotifyPending
	if _, _, err := s.AddNotification(ctx, n); err != nil {
		t.Fatal(err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for i := range 8 {
		wg.Go(func() {
			next := n
			next.State, next.Provider = paging.NotifySending, fmt.Sprint(i)
			ok, err := s.MoveNotification(ctx, next, paging.NotifyPending)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d workers moved it, want 1", wins)
	}
}

func testNotificationLists(t *testing.T, s paging.Store) {
	ctx := testCtx(t)
	add := func(id string, incident int64, user string, due, created int) {
		t.Helper()
		n := paging.Notification{ID: id, Incident: incident, User: user, Method: oncall.MethodSMS, State: paging.NotifyPending,
			DueAt: t0.Add(time.Duration(due) * time.Minute), CreatedAt: t0.Add(time.Duration(created) * time.Minute)}
		if _, _, err := s.AddNotification(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	add("n3", 1, "U1", 5, 0)
	add("n1", 1, "U2", 0, 1)
	add("n2", 1, "U1", 2, 2)
	add("x1", 2, "U1", 0, 3)
	ids := func(ns []paging.Notification, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range ns {
			out = append(out, n.ID)
		}
		return fmt.Sprint(out)
	}
	if got := ids(s.Notifications(ctx, 1)); got != "[n1 n2 n3]" {
		t.Errorf("Notifications(1) = %s, want by due time [n1 n2 n3]", got)
	}
	if got := ids(s.NotificationsTo(ctx, "U1", t0.Add(time.Minute))); got != "[x1 n2]" {
		t.Errorf("NotificationsTo(U1, since +1m) = %s, want newest first [x1 n2]", got)
	}
}

func testEscalation(t *testing.T, s paging.Store) {
	ctx := testCtx(t)
	if _, err := s.GetEscalation(ctx, 1); !errors.Is(err, paging.ErrNotFound) {
		t.Fatalf("GetEscalation of none = %v, want ErrNotFound", err)
	}
	e := &paging.Escalation{Incident: 1, Shift: 5 * time.Minute, Done: []string{"page:1:0:0"}, UpdatedAt: t0.In(almaty)}
	if err := s.PutEscalation(ctx, e); err != nil || e.Version != 1 {
		t.Fatalf("PutEscalation new = %v, version %d; want nil, 1", err, e.Version)
	}
	stale := &paging.Escalation{Incident: 1}
	if err := s.PutEscalation(ctx, stale); !errors.Is(err, paging.ErrConflict) {
		t.Errorf("second insert = %v, want ErrConflict", err)
	}
	got, err := s.GetEscalation(ctx, 1)
	want := paging.Escalation{Incident: 1, Shift: 5 * time.Minute, Done: []string{"page:1:0:0"}, Version: 1, UpdatedAt: t0}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("GetEscalation = %+v, %v; want %+v", got, err, want)
	}
	got.Done = append(got.Done, "page:1:0:1")
	if err := s.PutEscalation(ctx, &got); err != nil || got.Version != 2 {
		t.Fatalf("update = %v, version %d", err, got.Version)
	}
	e.Shift = time.Hour // at version 1: stale now
	if err := s.PutEscalation(ctx, e); !errors.Is(err, paging.ErrConflict) {
		t.Errorf("stale update = %v, want ErrConflict", err)
	}
	if got, _ := s.GetEscalation(ctx, 1); len(got.Done) != 2 || got.Shift != 5*time.Minute {
		t.Errorf("after a stale update: %+v", got)
	}
}

func testPageLinked(t *testing.T, s paging.Store) {
	ctx := testCtx(t)
	p := oncall.PageRecord{ID: "page:1:0:0:user:U1", Incident: 1, Step: "page:1:0:0", Target: "user:U1", User: "U1", At: t0}
	if _, _, err := s.AddPage(ctx, p); err != nil {
		t.Fatal(err)
	}
	pages, _ := s.Pages(ctx, 1)
	if len(pages) != 1 || pages[0].Linked {
		t.Fatalf("a page stored unlinked reads %+v", pages)
	}
	if err := s.SetPageLinked(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	pages, _ = s.Pages(ctx, 1)
	if !pages[0].Linked {
		t.Errorf("SetPageLinked did not stick: %+v", pages[0])
	}
	if err := s.SetPageLinked(ctx, "missing"); !errors.Is(err, paging.ErrNotFound) {
		t.Errorf("SetPageLinked(missing) = %v, want ErrNotFound", err)
	}
}
