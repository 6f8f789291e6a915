package stats

import (
	"cmp"
	"slices"
	"time"

	"github.com/incidentbot/incidentbot/deploys"
	"github.com/incidentbot/incidentbot/incidents"
)

// DORA holds the five software delivery metrics (dora.dev) for one service in
// one environment, over the deployments made in the window. Rates are fractions
// (0.25 = 25%) of Deployments, and 0 when there were none.
type DORA struct {
	Service     string `json:"service"`
	Environment string `json:"environment"`
	// Deployments counts every deployment in the window; Failed those with status failure.
	Deployments int `json:"deployments"`
	Failed      int `json:"failed"`
	// PerDay is the deployment frequency: Deployments per day of the window
	// (up to now, when the window reaches into the future).
	PerDay float64 `json:"deployments_per_day"`
	// LeadTime is the change lead time (commit_at → at) of the successful
	// deployments; Missing counts those sent without commit_at.
	LeadTime Durations `json:"change_lead_time"`
	// ChangeFailures counts the deployments that needed immediate intervention:
	// status failure, or linked as the cause of an incident.
	ChangeFailures int     `json:"change_failures"`
	ChangeFailRate float64 `json:"change_fail_rate"`
	// Recovery is the failed deployment recovery time over the ChangeFailures;
	// Missing counts those not recovered yet.
	Recovery Durations `json:"failed_deployment_recovery_time"`
	// Rework counts the unplanned deployments: made while an incident linked to
	// an earlier deployment of the same service and environment was unresolved
	// (a rollback, a hotfix, a fix forward).
	Rework     int     `json:"rework_deployments"`
	ReworkRate float64 `json:"deployment_rework_rate"`
}

type serviceEnv struct{ service, env string }

// linked is an incident caused by a deployment of a key, as the interval in
// which deployments of that key count as rework.
type linked struct {
	causeAt  time.Time
	detected time.Time
	resolved *time.Time
}

func dora(in Input, service string, now time.Time) []DORA {
	byNumber := make(map[int64]*incidents.Incident, len(in.Incidents))
	for _, inc := range in.Incidents {
		if inc != nil {
			byNumber[inc.Number] = inc
		}
	}
	byKey := map[serviceEnv][]*deploys.Deployment{}
	byID := map[string]*deploys.Deployment{}
	for i := range in.Deploys {
		d := &in.Deploys[i]
		if service != "" && d.Service != service {
			continue
		}
		k := serviceEnv{d.Service, d.Environment}
		byKey[k] = append(byKey[k], d)
		if d.ID != "" {
			byID[d.ID] = d
		}
	}
	// The incidents each deployment caused, and per key the rework intervals.
	caused := map[string][]*incidents.Incident{}
	rework := map[serviceEnv][]linked{}
	for number, id := range in.Causes {
		d, ok := byID[id]
		if !ok {
			continue
		}
		inc := byNumber[number] // nil when not supplied: still a change failure
		caused[id] = append(caused[id], inc)
		if inc != nil {
			k := serviceEnv{d.Service, d.Environment}
			rework[k] = append(rework[k], linked{causeAt: d.At, detected: detectedAt(inc), resolved: inc.ResolvedAt})
		}
	}

	end := in.To
	if now.Before(end) && now.After(in.From) {
		end = now
	}
	days := end.Sub(in.From).Hours() / 24

	out := []DORA{} // [] rather than null in JSON
	for k, ds := range byKey {
		slices.SortStableFunc(ds, func(a, b *deploys.Deployment) int { return a.At.Compare(b.At) })
		m := DORA{Service: k.service, Environment: k.env}
		var lead, recovery sample
		for i, d := range ds {
			if !inWindow(d.At, in.From, in.To) {
				continue
			}
			m.Deployments++
			if d.Status == deploys.StatusFailure {
				m.Failed++
			}
			if d.Succeeded() {
				if d.CommitAt.IsZero() {
					lead.missing++
				} else {
					lead.add(d.At.Sub(d.CommitAt))
				}
			}
			incs := caused[d.ID] // none for an empty ID: byID skips those
			if len(incs) > 0 || d.Status == deploys.StatusFailure {
				m.ChangeFailures++
				if at, ok := recoveredAt(ds[i+1:], incs); ok {
					recovery.add(at.Sub(d.At))
				} else {
					recovery.missing++
				}
			}
			if isRework(d.At, rework[k]) {
				m.Rework++
			}
		}
		if m.Deployments == 0 {
			continue
		}
		if days > 0 {
			m.PerDay = float64(m.Deployments) / days
		}
		m.LeadTime = lead.summary(defLeadTime, "successful deployments without commit_at")
		m.Recovery = recovery.summary(defRecovery, "not recovered yet")
		m.ChangeFailRate = float64(m.ChangeFailures) / float64(m.Deployments)
		m.ReworkRate = float64(m.Rework) / float64(m.Deployments)
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b DORA) int {
		return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.Environment, b.Environment))
	})
	return out
}

// recoveredAt is when a failed deployment was recovered from: the restore of the
// last of the incidents it caused (false while any is not restored, or is
// unknown), or, when it caused none, the next successful deployment in later.
func recoveredAt(later []*deploys.Deployment, caused []*incidents.Incident) (time.Time, bool) {
	if len(caused) > 0 {
		var last time.Time
		for _, inc := range caused {
			if inc == nil {
				return time.Time{}, false
			}
			at := restoredAt(inc)
			if at == nil {
				return time.Time{}, false
			}
			if at.After(last) {
				last = *at
			}
		}
		return last, true
	}
	for _, d := range later {
		if d.Succeeded() {
			return d.At, true
		}
	}
	return time.Time{}, false
}

// isRework reports whether a deployment at t was made while an incident caused
// by an earlier deployment was detected and not yet resolved.
func isRework(t time.Time, intervals []linked) bool {
	for _, l := range intervals {
		if l.causeAt.Before(t) && !t.Before(l.detected) && (l.resolved == nil || t.Before(*l.resolved)) {
			return true
		}
	}
	return false
}
