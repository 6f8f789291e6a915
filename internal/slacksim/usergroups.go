package slacksim

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on user groups. Slack documents the errors (name_too_long,
// description_too_long, bad_handle) but not the numbers; these follow its other
// mention names: a handle is at most 80 characters, like a display name, of
// lower-case letters, digits, '.', '-' and '_'.
const (
	maxUsergroupHandle      = 80
	maxUsergroupName        = 255
	maxUsergroupDescription = 250
	maxUsergroupUsers       = 10000 // subteam_max_users_exceeded beyond it
)

// reservedHandles are the special mentions a user group cannot take.
var reservedHandles = []string{"here", "channel", "everyone", "group", "all"}

// checkHandle applies the handle rules and returns Slack's error code, or "".
func checkHandle(handle string) string {
	if handle == "" || utf8.RuneCountInString(handle) > maxUsergroupHandle {
		return "bad_handle"
	}
	for _, r := range handle {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return "bad_handle"
		}
	}
	if slices.Contains(reservedHandles, handle) {
		return "forbidden_handle"
	}
	return ""
}

// handleTakenLocked reports whether a mention handle is already used by another user
// group, a user or a channel: Slack wants it unique among all three.
func (s *Server) handleTakenLocked(handle, exceptGroup string) bool {
	for _, g := range s.usergroups {
		if g.ID != exceptGroup && g.Handle == handle {
			return true
		}
	}
	for _, u := range s.users {
		if u.Name == handle {
			return true
		}
	}
	return s.channelByNameLocked(handle) != nil
}

func (s *Server) nameTakenLocked(name, exceptGroup string) bool {
	for _, g := range s.usergroups {
		if g.ID != exceptGroup && strings.EqualFold(g.Name, name) {
			return true
		}
	}
	return false
}

// checkUsergroupName returns the error code for a name, or "".
func checkUsergroupName(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "missing_subteam_name"
	case utf8.RuneCountInString(name) > maxUsergroupName:
		return "name_too_long"
	}
	return ""
}

// usergroupChannels validates a channels argument: public and private channel IDs.
func (s *Server) usergroupChannels(arg string) ([]string, *apiError) {
	var out []string
	for _, id := range splitList(arg) {
		ch := s.channels[id]
		switch {
		case ch == nil || ch.IsIM:
			return nil, fail("invalid_channel_provided")
		case ch.IsPrivate && !ch.isMember(BotUserID):
			return nil, fail("invalid_group_provided")
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// addUsergroupLocked creates a user group after its arguments were checked.
func (s *Server) addUsergroupLocked(g Usergroup, by string) *usergroup {
	now := s.now().UTC().Truncate(time.Second)
	g.ID = s.nextIDLocked("S")
	ug := &usergroup{Usergroup: g, created: now, updated: now, createdBy: by, updatedBy: by}
	s.usergroups[g.ID] = ug
	s.ugOrder = append(s.ugOrder, g.ID)
	return ug
}

// usergroupJSON renders a user group as the Web API does: user_count only when
// asked for (or always, for the methods that always return it), users when asked.
func (s *Server) usergroupJSON(g *usergroup, withUsers, withCount bool) obj {
	var public, private []string
	for _, id := range g.Channels {
		if ch := s.channels[id]; ch != nil && ch.IsPrivate {
			private = append(private, id)
		} else {
			public = append(public, id)
		}
	}
	var deletedBy any
	if g.Disabled {
		deletedBy = g.deletedBy
	}
	out := obj{
		"id": g.ID, "team_id": TeamID, "is_usergroup": true, "is_subteam": true,
		"name": g.Name, "description": g.Description, "handle": g.Handle, "is_external": false,
		"date_create": unixOrZero(g.created), "date_update": unixOrZero(g.updated), "date_delete": unixOrZero(g.deleted),
		"auto_type": nil, "created_by": g.createdBy, "updated_by": g.updatedBy, "deleted_by": deletedBy,
		"prefs": obj{"channels": nonNilStrings(public), "groups": nonNilStrings(private)},
	}
	if withCount {
		out["user_count"] = len(g.Users)
	}
	if withUsers {
		out["users"] = nonNilStrings(slices.Clone(g.Users))
	}
	return out
}

func nonNilStrings(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

func truthy(v string) bool { return v == "true" || v == "1" }

// findUsergroup finds the group a usergroup argument names.
func (s *Server) findUsergroup(c *call) (*usergroup, *apiError) {
	id := c.arg("usergroup")
	if id == "" {
		return nil, fail("missing_argument")
	}
	g := s.usergroups[id]
	if g == nil {
		return nil, fail("no_such_subteam")
	}
	return g, nil
}

func (s *Server) usergroupsList(c *call) (obj, *apiError) {
	list := make([]obj, 0, len(s.ugOrder))
	for _, id := range s.ugOrder {
		g := s.usergroups[id]
		if g.Disabled && !truthy(c.arg("include_disabled")) {
			continue
		}
		list = append(list, s.usergroupJSON(g, truthy(c.arg("include_users")), truthy(c.arg("include_count"))))
	}
	return obj{"usergroups": list}, nil
}

func (s *Server) usergroupsCreate(c *call) (obj, *apiError) {
	name := c.arg("name")
	if code := checkUsergroupName(name); code != "" {
		return nil, fail(code)
	}
	if s.nameTakenLocked(name, "") {
		return nil, fail("name_already_exists")
	}
	handle := c.arg("handle")
	if _, given := c.args["handle"]; given {
		if code := checkHandle(handle); code != "" {
			return nil, fail(code)
		}
		if s.handleTakenLocked(handle, "") {
			return nil, fail("handle_already_exists")
		}
	}
	desc := c.arg("description")
	if utf8.RuneCountInString(desc) > maxUsergroupDescription {
		return nil, fail("description_too_long")
	}
	chans, err := s.usergroupChannels(c.arg("channels"))
	if err != nil {
		return nil, err
	}
	g := s.addUsergroupLocked(Usergroup{Handle: handle, Name: name, Description: desc, Channels: chans}, BotUserID)
	s.logf("slacksim: created user group @%s (%s)", handle, g.ID)
	return obj{"usergroup": s.usergroupJSON(g, false, truthy(c.arg("include_count")))}, nil
}

func (s *Server) usergroupsUpdate(c *call) (obj, *apiError) {
	g, err := s.findUsergroup(c)
	if err != nil {
		return nil, err
	}
	name, hasName := c.args["name"]
	if hasName {
		if code := checkUsergroupName(name); code != "" {
			return nil, fail(code)
		}
		if s.nameTakenLocked(name, g.ID) {
			return nil, fail("name_already_exists")
		}
	}
	handle, hasHandle := c.args["handle"]
	if hasHandle {
		if code := checkHandle(handle); code != "" {
			return nil, fail(code)
		}
		if s.handleTakenLocked(handle, g.ID) {
			return nil, fail("handle_already_exists")
		}
	}
	desc, hasDesc := c.args["description"]
	if hasDesc && utf8.RuneCountInString(desc) > maxUsergroupDescription {
		return nil, fail("description_too_long")
	}
	chansArg, hasChans := c.args["channels"]
	var chans []string
	if hasChans {
		if chans, err = s.usergroupChannels(chansArg); err != nil {
			return nil, err
		}
	}
	if hasName {
		g.Name = name
	}
	if hasHandle {
		g.Handle = handle
	}
	if hasDesc {
		g.Description = desc
	}
	if hasChans {
		g.Channels = chans
	}
	g.touch(s.now())
	return obj{"usergroup": s.usergroupJSON(g, true, truthy(c.arg("include_count")))}, nil
}

func (s *Server) usergroupsUsersList(c *call) (obj, *apiError) {
	g, err := s.findUsergroup(c)
	if err != nil {
		return nil, fail("no_such_subteam") // the method documents no other code for it
	}
	if g.Disabled && !truthy(c.arg("include_disabled")) {
		return nil, fail("no_such_subteam")
	}
	return obj{"users": nonNilStrings(slices.Clone(g.Users))}, nil
}

func (s *Server) usergroupsUsersUpdate(c *call) (obj, *apiError) {
	g, err := s.findUsergroup(c)
	if err != nil {
		return nil, err
	}
	ids := splitList(c.arg("users"))
	if len(ids) == 0 {
		// Slack cannot empty a group: usergroups.disable does that.
		return nil, fail("no_users_provided")
	}
	var users []string
	for _, id := range ids {
		u := s.users[id]
		if u == nil || u.Deleted || u.IsBot {
			return nil, fail("invalid_users") // guests and bots cannot be members either
		}
		if !slices.Contains(users, id) {
			users = append(users, id)
		}
	}
	if len(users) > maxUsergroupUsers {
		return nil, fail("subteam_max_users_exceeded")
	}
	g.Users = users
	g.touch(s.now())
	return obj{"usergroup": s.usergroupJSON(g, true, true)}, nil
}

func (s *Server) usergroupsDisable(c *call) (obj, *apiError) {
	g, err := s.findUsergroup(c)
	if err != nil {
		return nil, err
	}
	if g.Disabled {
		return obj{"usergroup": s.usergroupJSON(g, false, truthy(c.arg("include_count")))}, nil
	}
	g.Disabled, g.deleted, g.deletedBy = true, s.now().UTC().Truncate(time.Second), BotUserID
	g.touch(s.now())
	return obj{"usergroup": s.usergroupJSON(g, false, truthy(c.arg("include_count")))}, nil
}

func (s *Server) usergroupsEnable(c *call) (obj, *apiError) {
	g, err := s.findUsergroup(c)
	if err != nil {
		return nil, err
	}
	if !g.Disabled {
		return obj{"usergroup": s.usergroupJSON(g, false, truthy(c.arg("include_count")))}, nil
	}
	g.Disabled, g.deleted, g.deletedBy = false, time.Time{}, ""
	g.touch(s.now())
	return obj{"usergroup": s.usergroupJSON(g, false, truthy(c.arg("include_count")))}, nil
}

func (g *usergroup) touch(now time.Time) {
	g.updated, g.updatedBy = now.UTC().Truncate(time.Second), BotUserID
}
