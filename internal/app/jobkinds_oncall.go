package app

import (
	"strconv"
	"time"

	"github.com/incidentbot/incidentbot/internal/jobs"
)

// pageStep names one escalation step of an incident: the job keyed
// oncall.PageKey(Incident, Round, Level) pages it.
type pageStep struct {
	Incident     int64
	Round, Level int
}

// pageDecline is a paged person's decline, at the moment they clicked.
type pageDecline struct {
	Incident int64
	User     string
	At       time.Time
}

// pageManual is a page by hand (/incident page).
type pageManual struct {
	Incident       int64
	Target         string // "user:U…" or "schedule:name"
	Message, Actor string
}

// The on-call job kinds (listed in jobKinds).
var (
	jobPageStep = jobs.Kind[pageStep]{
		Name: "page.step",
		Encode: func(p pageStep) map[string]string {
			return map[string]string{"incident": strconv.FormatInt(p.Incident, 10), "round": strconv.Itoa(p.Round), "level": strconv.Itoa(p.Level)}
		},
		Decode: func(m map[string]string) (pageStep, error) {
			n, err := jobs.PayloadInt(m, "incident")
			if err != nil {
				return pageStep{}, err
			}
			r, err := jobs.PayloadInt(m, "round")
			if err != nil {
				return pageStep{}, err
			}
			l, err := jobs.PayloadInt(m, "level")
			return pageStep{Incident: n, Round: int(r), Level: int(l)}, err
		},
	}

	// jobPageExhausted tells the channels nobody acknowledged; keyed page:<n>:exhausted.
	jobPageExhausted = jobs.Kind[int64]{Name: "page.exhausted", Encode: encodeIncident, Decode: decodeIncident}

	// jobPageClose replaces the buttons of an acknowledged or resolved
	// incident's open pages and cancels its pending steps; keyed page-close:<n>.
	jobPageClose = jobs.Kind[int64]{Name: "page.close", Encode: encodeIncident, Decode: decodeIncident}

	jobPageDecline = jobs.Kind[pageDecline]{
		Name: "page.decline",
		Encode: func(p pageDecline) map[string]string {
			return map[string]string{"incident": strconv.FormatInt(p.Incident, 10), "user": p.User, "at": strconv.FormatInt(p.At.Unix(), 10)}
		},
		Decode: func(m map[string]string) (pageDecline, error) {
			n, err := jobs.PayloadInt(m, "incident")
			if err != nil {
				return pageDecline{}, err
			}
			at, err := jobs.PayloadInt(m, "at")
			return pageDecline{Incident: n, User: m["user"], At: time.Unix(at, 0).UTC()}, err
		},
	}

	jobPageManual = jobs.Kind[pageManual]{
		Name: "page.manual",
		Encode: func(p pageManual) map[string]string {
			return map[string]string{"incident": strconv.FormatInt(p.Incident, 10), "target": p.Target, "message": p.Message, "actor": p.Actor}
		},
		Decode: func(m map[string]string) (pageManual, error) {
			n, err := jobs.PayloadInt(m, "incident")
			return pageManual{Incident: n, Target: m["target"], Message: m["message"], Actor: m["actor"]}, err
		},
	}
)

// oncallJobKinds are appended to jobKinds.
var oncallJobKinds = []string{jobPageStep.Name, jobPageExhausted.Name, jobPageClose.Name, jobPageDecline.Name, jobPageManual.Name,
	jobCoverRequest.Name, jobCoverTaken.Name, jobHandoffScan.Name, jobHandoff.Name, jobAckRepage.Name}
