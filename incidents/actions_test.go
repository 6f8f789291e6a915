package incidents

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestActionsDueDoneReopenAndOverdue(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	svc, clock := f.svc, f.clock
	inc, err := svc.Declare(ctx, DeclareRequest{Title: "DB", Actor: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	due := clock.Now().Add(48 * time.Hour)
	if _, err := svc.AddActionDue(ctx, inc.Number, "add a replica", "U2", due, "U1"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddAction(ctx, inc.Number, "write a runbook", "", "U1"); err != nil {
		t.Fatal(err)
	}
	got, _ := svc.Get(ctx, inc.Number)
	if a := got.Actions[0]; !a.Due.Equal(due) || a.State() != actionOpen || a.Overdue(due) || !a.Overdue(due.Add(time.Second)) {
		t.Fatalf("action 1 = %+v: want due %v, open, overdue only after it", a, due)
	}

	clock.Advance(time.Hour)
	got, err = svc.SetActionDone(ctx, inc.Number, 1, true, "U2")
	if err != nil {
		t.Fatal(err)
	}
	if a := got.Actions[0]; !a.Done || !a.DoneAt.Equal(clock.Now()) || a.Overdue(due.Add(time.Hour)) {
		t.Fatalf("done action = %+v", a)
	}
	if _, err := svc.SetActionDone(ctx, inc.Number, 1, true, "U2"); !errors.Is(err, ErrTransition) {
		t.Errorf("done twice: err = %v, want ErrTransition", err)
	}
	if _, err := svc.SetActionDone(ctx, inc.Number, 9, true, "U2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown action: err = %v, want ErrNotFound", err)
	}
	got, err = svc.SetActionDone(ctx, inc.Number, 1, false, "U2")
	if err != nil || got.Actions[0].Done || !got.Actions[0].DoneAt.IsZero() {
		t.Fatalf("reopened action = %+v, %v", got.Actions[0], err)
	}

	open := OpenActions([]*Incident{got}, "", 0)
	if len(open) != 2 || open[0].Action.ID != 2 {
		t.Errorf("open actions = %+v, want 2 then 1", open)
	}
	if mine := OpenActions([]*Incident{got}, "U2", 0); len(mine) != 1 || mine[0].Action.ID != 1 {
		t.Errorf("open actions of U2 = %+v, want action 1", mine)
	}
	over := OverdueActions([]*Incident{got}, due.Add(time.Minute))
	if len(over) != 1 || len(over["U2"]) != 1 {
		t.Errorf("overdue = %+v, want U2's action 1 only (the other has no owner)", over)
	}
}
