package oncalltest

import (
	"testing"

	"github.com/incidentbot/incidentbot/oncall"
)

func TestMemConformance(t *testing.T) {
	Run(t, func(*testing.T) oncall.PageStore { return NewMem() })
}

func TestMemOverridesConformance(t *testing.T) {
	RunOverrides(t, func(*testing.T) oncall.OverrideStore { return NewMemOverrides() })
}
