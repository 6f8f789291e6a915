package app

import "testing"

// A kind in the table that nothing handles would strand its jobs.
func TestEveryJobKindIsHandled(t *testing.T) {
	h := newHarness(t, harnessOptions{manual: true, config: withSlack})
	for _, kind := range jobKinds {
		if !h.app.runner.Handles(kind) {
			t.Errorf("no handler for job kind %q", kind)
		}
	}
}
