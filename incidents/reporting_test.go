package incidents

import (
	"testing"
	"time"
)

func TestReportingFacts(t *testing.T) {
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	ev := func(min int, typ EventType, actor string, fields map[string]string) Event {
		return Event{ID: string(typ) + fields["report"], Type: typ, At: at.Add(time.Duration(min) * time.Minute), Actor: actor, Fields: fields}
	}
	events := []Event{
		ev(0, EventNote, "U1", nil),
		ev(1, EventReportSubmitted, "U2", map[string]string{"obligation": "nis2", "report": "early-warning"}), // never classified: left out
		ev(2, EventClassified, "U1", map[string]string{"obligation": "dora-major"}),
		ev(3, EventReportDrafted, "U1", map[string]string{"obligation": "dora-major", "report": "initial"}),
		ev(4, EventReportSubmitted, "U2", map[string]string{"obligation": "dora-major", "report": "initial", "reference": "FIN-7"}),
		ev(5, EventClassified, ActorBot, map[string]string{"obligation": "dora-major"}), // again: the first counts
		ev(6, EventReportSubmitted, "U3", map[string]string{"obligation": "dora-major", "report": "intermediate"}),
		ev(7, EventClassified, ActorBot, map[string]string{"obligation": "local"}),
	}
	got := ReportingFacts(events)
	if len(got) != 2 || got[0].Obligation != "dora-major" || got[1].Obligation != "local" {
		t.Fatalf("facts = %+v", got)
	}
	d := got[0]
	if !d.ClassifiedAt.Equal(at.Add(2*time.Minute)) || d.ClassifiedBy != "U1" || len(d.Submissions) != 2 ||
		d.Submissions[0] != (ReportSubmission{Report: "initial", At: at.Add(4 * time.Minute), By: "U2", Reference: "FIN-7"}) ||
		d.Submissions[1].Report != "intermediate" {
		t.Errorf("dora-major = %+v", d)
	}
	if !Classified(events, "local") || Classified(events, "nis2") {
		t.Error("Classified")
	}
	if id := ReportingEventID(7, EventReportReminder, "dora-major", "initial", "1767225600", "3600"); id != "7:report_reminder:dora-major:initial:1767225600:3600" {
		t.Errorf("ReportingEventID = %s", id)
	}
}
