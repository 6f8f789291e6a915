package deploys

import (
	"sort"
	"time"
)

// DefaultCauseWindow is how long before detection a deploy is still offered as
// the cause (config key dora.window).
const DefaultCauseWindow = 2 * time.Hour

// LikelyCauses returns the deployments of service that landed within window
// before detected (detected−window ≤ At ≤ detected), newest first: the ones to
// offer as the incident's cause. A non-empty environment keeps only that
// environment's deployments (a staging deploy rarely breaks production); empty
// means any. Failed deployments are offered too, since a failed rollout can
// leave part of the new version running; a person confirms the link. A window
// ≤ 0 means DefaultCauseWindow. ds is not modified.
func LikelyCauses(ds []Deployment, service, environment string, detected time.Time, window time.Duration) []Deployment {
	if window <= 0 {
		window = DefaultCauseWindow
	}
	if service == "" {
		return nil
	}
	from := detected.Add(-window)
	var out []Deployment
	for _, d := range ds {
		if d.Service == service && (environment == "" || d.Environment == environment) &&
			!d.At.Before(from) && !d.At.After(detected) {
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.After(out[j].At)
		}
		return out[i].ID < out[j].ID
	})
	return out
}
