package paging

import (
	"fmt"
	"strconv"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/jobs"
)

// The engine's job kinds. Their names are stored with every job: renaming
// one strands the jobs queued under the old name.

// step names one escalation step of an incident: the job keyed
// oncall.PageKey(Incident, Round, Level) pages it.
type step struct {
	Incident     int64
	Round, Level int
}

// decline is a paged person's decline, at the moment they declined.
type decline struct {
	Incident int64
	User     string
	At       time.Time
}

// manual is a page by hand (/incident page).
type manual struct {
	Incident       int64
	Target         string // "user:U…" or "schedule:name"
	Message, Actor string
}

func encodeIncident(n int64) map[string]string {
	return map[string]string{"incident": strconv.FormatInt(n, 10)}
}

func decodeIncident(p map[string]string) (int64, error) { return jobs.PayloadInt(p, "incident") }

var (
	jobStep = jobs.Kind[step]{
		Name: "page.step", Priority: jobs.PriorityPage,
		Encode: func(p step) map[string]string {
			return map[string]string{"incident": strconv.FormatInt(p.Incident, 10), "round": strconv.Itoa(p.Round), "level": strconv.Itoa(p.Level)}
		},
		Decode: func(m map[string]string) (step, error) {
			n, err := jobs.PayloadInt(m, "incident")
			if err != nil {
				return step{}, err
			}
			r, err := jobs.PayloadInt(m, "round")
			if err != nil {
				return step{}, err
			}
			l, err := jobs.PayloadInt(m, "level")
			return step{Incident: n, Round: int(r), Level: int(l)}, err
		},
	}

	// jobExhausted tells the channels nobody acknowledged; keyed page:<n>:exhausted.
	jobExhausted = jobs.Kind[int64]{Name: "page.exhausted", Priority: jobs.PriorityPage, Encode: encodeIncident, Decode: decodeIncident}

	// jobClose closes an acknowledged or resolved incident's pages and stops
	// its pending steps; keyed page-close:<n>, scheduled by the incidents
	// service with the change that acknowledged or resolved it.
	jobClose = jobs.Kind[int64]{Name: incidents.TaskPagesClose, Priority: jobs.PriorityPage, Encode: encodeIncident, Decode: decodeIncident}

	jobDecline = jobs.Kind[decline]{
		Name: "page.decline", Priority: jobs.PriorityPage,
		Encode: func(p decline) map[string]string {
			return map[string]string{"incident": strconv.FormatInt(p.Incident, 10), "user": p.User, "at": strconv.FormatInt(p.At.Unix(), 10)}
		},
		Decode: func(m map[string]string) (decline, error) {
			n, err := jobs.PayloadInt(m, "incident")
			if err != nil {
				return decline{}, err
			}
			at, err := jobs.PayloadInt(m, "at")
			return decline{Incident: n, User: m["user"], At: time.Unix(at, 0).UTC()}, err
		},
	}

	jobManual = jobs.Kind[manual]{
		Name: "page.manual", Priority: jobs.PriorityPage,
		Encode: func(p manual) map[string]string {
			return map[string]string{"incident": strconv.FormatInt(p.Incident, 10), "target": p.Target, "message": p.Message, "actor": p.Actor}
		},
		Decode: func(m map[string]string) (manual, error) {
			n, err := jobs.PayloadInt(m, "incident")
			return manual{Incident: n, Target: m["target"], Message: m["message"], Actor: m["actor"]}, err
		},
	}

	// jobRepage pages the acknowledger again (ack_timeout); keyed page:<n>:ack:<unix>.
	jobRepage = jobs.Kind[int64]{Name: "page.ack_repage", Priority: jobs.PriorityPage, Encode: encodeIncident, Decode: decodeIncident}

	// jobNotify sends one notification; keyed notify:<id>.
	jobNotify = jobs.Kind[string]{
		Name: "page.notify", Priority: jobs.PriorityPage,
		Encode: func(id string) map[string]string { return map[string]string{"id": id} },
		Decode: func(m map[string]string) (string, error) {
			if m["id"] == "" {
				return "", fmt.Errorf("no notification id")
			}
			return m["id"], nil
		},
	}

	// jobLink adds the channel's link to the pages of an incident sent
	// before its channel existed; keyed page-link:<n>.
	jobLink = jobs.Kind[int64]{Name: "page.link", Encode: encodeIncident, Decode: decodeIncident}

	// jobResume starts the escalation of an incident held by a maintenance
	// window when the window ends; keyed page-resume:<n>:<end unix>.
	jobResume = jobs.Kind[int64]{Name: "page.resume", Priority: jobs.PriorityPage, Encode: encodeIncident, Decode: decodeIncident}
)

func notifyKey(id string) string { return "notify:" + id }
