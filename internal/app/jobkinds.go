package app

import (
	"fmt"
	"strconv"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/jobs"
)

// The job kinds, each declared once with its payload. The names are stored
// with every job: renaming one strands the jobs already queued under the old
// name (they are retried a few times, then dead-lettered).
var (
	jobSync = jobs.Kind[int64]{Name: incidents.TaskSync, Encode: encodeIncident, Decode: decodeIncident}

	jobAutoResolve = jobs.Kind[int64]{Name: incidents.TaskAutoResolve, Encode: encodeIncident, Decode: decodeIncident}

	jobOpened = jobs.Kind[int64]{Name: incidents.TaskOpened, Encode: encodeIncident, Decode: decodeIncident}

	jobSlackEvent = jobs.Kind[map[string]string]{
		Name:   "slack.event",
		Encode: func(p map[string]string) map[string]string { return p },
		Decode: func(p map[string]string) (map[string]string, error) { return p, nil },
	}

	jobNudgeScan = jobs.Kind[struct{}]{Name: "incident.nudge_scan"}

	// jobPostmortem writes an incident's postmortem draft (key postmortem:<n>).
	jobPostmortem = jobs.Kind[int64]{Name: "postmortem.write", Encode: encodeIncident, Decode: decodeIncident}

	// jobFollowUpScan is the weekly tick that finds overdue follow-ups.
	jobFollowUpScan = jobs.Kind[struct{}]{Name: "followup.overdue_scan"}

	// jobFollowUpNudge reminds one owner (key followup-nudge:<ISO week>:<owner>).
	jobFollowUpNudge = jobs.Kind[followUpNudge]{
		Name:   "followup.nudge",
		Encode: func(g followUpNudge) map[string]string { return map[string]string{"owner": g.Owner, "week": g.Week} },
		Decode: func(p map[string]string) (followUpNudge, error) {
			if p["owner"] == "" || p["week"] == "" {
				return followUpNudge{}, fmt.Errorf("followup.nudge needs owner and week, got %v", p)
			}
			return followUpNudge{Owner: p["owner"], Week: p["week"]}, nil
		},
	}

	jobNudge = jobs.Kind[bot.Nudge]{
		Name: "incident.nudge",
		Encode: func(g bot.Nudge) map[string]string {
			return map[string]string{"incident": strconv.FormatInt(g.Incident, 10), "due": strconv.FormatInt(g.Due.Unix(), 10)}
		},
		Decode: func(p map[string]string) (bot.Nudge, error) {
			n, err := jobs.PayloadInt(p, "incident")
			if err != nil {
				return bot.Nudge{}, err
			}
			due, err := jobs.PayloadInt(p, "due")
			return bot.Nudge{Incident: n, Due: time.Unix(due, 0).UTC()}, err
		},
	}
)

// jobKinds lists every kind above; a test checks that a wired app handles each.
var jobKinds = append([]string{jobSync.Name, jobAutoResolve.Name, jobOpened.Name, jobSlackEvent.Name, jobNudgeScan.Name, jobNudge.Name,
	jobPostmortem.Name, jobFollowUpScan.Name, jobFollowUpNudge.Name}, append(append(oncallJobKinds, reportingJobKinds...), alertmanagerJobKinds...)...)

// alertmanagerJobKinds are the silences', maintenance windows' and heartbeats' kinds.
var alertmanagerJobKinds = []string{jobExpireSilences.Name, jobMaintenanceTick.Name, jobHeartbeatCheck.Name, jobHeartbeatReturned.Name}

func encodeIncident(n int64) map[string]string {
	return map[string]string{"incident": strconv.FormatInt(n, 10)}
}

func decodeIncident(p map[string]string) (int64, error) { return jobs.PayloadInt(p, "incident") }
