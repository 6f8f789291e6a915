package postmortem

import (
	"regexp"
	"sort"
)

// maxPeople bounds the people a draft looks up by name.
const maxPeople = 200

// mentionID finds the user IDs in Slack mentions: <@U1> and <@U1|name>.
var mentionID = regexp.MustCompile(`<@([UW][A-Z0-9]{1,19})(?:\|[^>]*)?>`)

// People lists the Slack user IDs a draft of in shows (the commander, the
// roles, the timeline's actors and mentions, the action owners), sorted,
// so the caller can look up their names for Input.Names.
func People(in Input) []string {
	seen := map[string]bool{}
	add := func(id string) {
		if looksLikeSlackID(id) && len(seen) < maxPeople {
			seen[id] = true
		}
	}
	mentions := func(s string) {
		for _, m := range mentionID.FindAllStringSubmatch(s, -1) {
			add(m[1])
		}
	}
	if inc := in.Incident; inc != nil {
		add(inc.Commander)
		for _, id := range inc.Roles {
			add(id)
		}
		mentions(inc.Description)
		mentions(inc.Summary)
	}
	add(in.Owner)
	for _, a := range in.Actions {
		add(a.Owner)
		mentions(a.Text)
	}
	for _, ev := range in.Timeline {
		add(ev.Actor)
		mentions(ev.Text)
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
