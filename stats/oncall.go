package stats

import (
	"cmp"
	"slices"
	"time"

	"github.com/incidentbot/incidentbot/oncall"
)

// OnCallLoad is how the window's pages fell on people.
type OnCallLoad struct {
	Pages      int          `json:"pages"`
	OutOfHours int          `json:"out_of_hours"`
	People     []PersonLoad `json:"people"`
}

// PersonLoad is one person's pages; busiest first in OnCallLoad.People.
type PersonLoad struct {
	User       string `json:"user"`
	Pages      int    `json:"pages"`
	OutOfHours int    `json:"out_of_hours"`
}

func onCallLoad(pages []PageRecord, from, to time.Time, o Options) OnCallLoad {
	out := OnCallLoad{People: []PersonLoad{}} // [] rather than null in JSON
	idx := map[string]int{}
	for _, p := range pages {
		if !inWindow(p.At, from, to) {
			continue
		}
		i, ok := idx[p.User]
		if !ok {
			i = len(out.People)
			idx[p.User] = i
			out.People = append(out.People, PersonLoad{User: p.User})
		}
		out.Pages++
		out.People[i].Pages++
		if oncall.IsOutOfHours(o.Zone, p.At) { // one rule for out of hours: oncall's
			out.OutOfHours++
			out.People[i].OutOfHours++
		}
	}
	slices.SortFunc(out.People, func(a, b PersonLoad) int {
		return cmp.Or(cmp.Compare(b.Pages, a.Pages), cmp.Compare(b.OutOfHours, a.OutOfHours), cmp.Compare(a.User, b.User))
	})
	return out
}
