package oncalltest

import (
	"testing"

	"github.com/incidentbot/incidentbot/oncall"
)

func TestMemConformance(t *testing.T) {
	Run(t, func(*testing.T) oncall.PageStore { return NewMem() })
}
