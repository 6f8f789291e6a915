package slacksim

import (
	"encoding/json"
	"slices"
	"time"
)

// User is a workspace user.
type User struct {
	ID       string
	Name     string // the handle, e.g. "alice"
	RealName string
	Email    string
	TZ       string // IANA zone
	IsBot    bool
	IsAdmin  bool
	Deleted  bool
}

// Channel is a public or private channel, as the inspection API shows it.
type Channel struct {
	ID         string
	Name       string
	IsPrivate  bool
	IsArchived bool
	IsGeneral  bool
	IsIM       bool   // a direct-message conversation between the bot and User
	User       string // the other party of a DM
	Creator    string
	Created    time.Time
	Topic      string
	Purpose    string
	Members    []string
}

// Message is a message in a channel, top-level or a thread reply.
type Message struct {
	Channel        string
	TS             string
	ThreadTS       string // set on thread replies (and on a thread's parent once it has replies)
	User           string // author: a user ID, or BotUserID for the bot
	BotID          string // BotID when the bot posted it
	Subtype        string
	Text           string
	Blocks         json.RawMessage // as posted; nil when none
	Attachments    json.RawMessage
	Files          []string
	ReplyBroadcast bool
	Edited         *Edit
	Pinned         bool
	PinnedBy       string
	Reactions      []Reaction
}

// Edit records the last chat.update of a message.
type Edit struct {
	User string
	TS   string
}

// Reaction is one emoji on a message and who added it.
type Reaction struct {
	Name  string
	Users []string
}

// Ephemeral is a message posted with chat.postEphemeral: only User saw it.
type Ephemeral struct {
	Channel  string
	User     string
	TS       string
	ThreadTS string
	Text     string
	Blocks   json.RawMessage
}

// Response is something the bot posted to a response_url, or its immediate answer to a
// slash command (Source "immediate").
type Response struct {
	ResponseURLID   string
	Source          string // "response_url" or "immediate"
	Channel         string
	User            string // the user whose action produced the response_url
	ResponseType    string // "ephemeral" or "in_channel"
	ReplaceOriginal bool
	DeleteOriginal  bool
	Text            string
	Blocks          json.RawMessage
	At              time.Time
}

// View is a modal opened with views.open.
type View struct {
	ID              string
	User            string
	TriggerID       string
	ExternalID      string
	CallbackID      string
	PrivateMetadata string
	Hash            string
	JSON            json.RawMessage // the view as last opened or updated
	Open            bool
	Errors          map[string]string // the bot's response_action "errors" to the last submission
}

// Usergroup is a user group (@handle).
type Usergroup struct {
	ID          string
	Handle      string
	Name        string
	Users       []string
	Description string
	Channels    []string // default channels (prefs.channels and prefs.groups)
	Disabled    bool     // usergroups.disable; date_delete is set
}

// File is a file uploaded with files.getUploadURLExternal and files.completeUploadExternal.
type File struct {
	ID        string
	Name      string
	Title     string
	Length    int    // declared length
	Content   []byte // what was uploaded (at most 1 MiB kept)
	Uploaded  bool
	Completed bool
	Channel   string
}

// DeliveredEvent is an Events API delivery the simulator sent to the bot.
type DeliveredEvent struct {
	EventID string
	Type    string
	Retry   int
	Status  int // the bot's HTTP status, 0 when the request failed
	Err     string
}

// Channels returns every channel in creation order.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Channel, 0, len(s.chanOrder))
	for _, id := range s.chanOrder {
		out = append(out, s.channels[id].snapshot())
	}
	return out
}

// Channel returns the channel with the given ID.
func (s *Server) Channel(id string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[id]
	if c == nil {
		return Channel{}, false
	}
	return c.snapshot(), true
}

// ChannelByName returns the channel with the given name ("sre" or "#sre").
func (s *Server) ChannelByName(name string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channelByNameLocked(trimHash(name))
	if c == nil {
		return Channel{}, false
	}
	return c.snapshot(), true
}

// DirectMessage returns the bot's direct-message channel with a user (D…), once
// conversations.open or a chat.postMessage to the user ID has opened it.
func (s *Server) DirectMessage(userID string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.imLocked(userID); c != nil {
		return c.snapshot(), true
	}
	return Channel{}, false
}

// Members returns the members of a channel (nil if it does not exist).
func (s *Server) Members(channelID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channels[channelID]; c != nil {
		return slices.Clone(c.members)
	}
	return nil
}

// Messages returns a channel's messages, thread replies included, oldest first.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channelID]
	if c == nil {
		return nil
	}
	out := make([]Message, 0, len(c.messages))
	for _, m := range c.messages {
		out = append(out, m.snapshot())
	}
	return out
}

// Message returns one message by channel and ts.
func (s *Server) Message(channelID, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channels[channelID]; c != nil {
		if m := c.findMessage(ts); m != nil {
			return m.snapshot(), true
		}
	}
	return Message{}, false
}

// Pins returns a channel's pinned messages, oldest first.
func (s *Server) Pins(channelID string) []Message {
	var out []Message
	for _, m := range s.Messages(channelID) {
		if m.Pinned {
			out = append(out, m)
		}
	}
	return out
}

// Ephemerals returns every ephemeral message posted, oldest first.
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Ephemeral, len(s.ephemerals))
	for i, e := range s.ephemerals {
		e.Blocks = slices.Clone(e.Blocks)
		out[i] = e
	}
	return out
}

// Responses returns what the bot posted to response_urls and its immediate answers to
// slash commands, oldest first.
func (s *Server) Responses() []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Response, len(s.respLog))
	for i, r := range s.respLog {
		r.Blocks = slices.Clone(r.Blocks)
		out[i] = r
	}
	return out
}

// Views returns every view opened, in the order they were opened.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.viewOrder))
	for _, id := range s.viewOrder {
		out = append(out, s.views[id].snapshot())
	}
	return out
}

// Usergroups returns every user group.
func (s *Server) Usergroups() []Usergroup {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Usergroup, 0, len(s.ugOrder))
	for _, id := range s.ugOrder {
		g := s.usergroups[id].Usergroup
		g.Users = slices.Clone(g.Users)
		g.Channels = slices.Clone(g.Channels)
		out = append(out, g)
	}
	return out
}

// UsergroupUsers returns the members of a user group, by ID (S…) or handle.
func (s *Server) UsergroupUsers(idOrHandle string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.ugOrder {
		if g := s.usergroups[id]; g.ID == idOrHandle || g.Handle == idOrHandle {
			return slices.Clone(g.Users)
		}
	}
	return nil
}

// Users returns every user, the bot included.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.userOrder))
	for _, id := range s.userOrder {
		out = append(out, s.users[id].User)
	}
	return out
}

// Files returns every file upload started.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]File, 0, len(s.fileOrder))
	for _, id := range s.fileOrder {
		f := s.files[id].File
		f.Content = slices.Clone(f.Content)
		out = append(out, f)
	}
	return out
}

// Events returns the Events API deliveries sent to the bot, oldest first.
func (s *Server) Events() []DeliveredEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// Calls returns how many requests reached a Web API method (e.g. "chat.postMessage"),
// including those answered with an error or a fault.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// RateLimited returns how many calls of a method were answered HTTP 429, by its
// rate limit or by an injected fault.
func (s *Server) RateLimited(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited[method]
}

// Totals returns how many Web API requests arrived in all, and how many of
// them were answered HTTP 429.
func (s *Server) Totals() (calls, rateLimited int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.calls {
		calls += n
	}
	for _, n := range s.limited {
		rateLimited += n
	}
	return calls, rateLimited
}

// OKCalls returns how many calls of a method were answered {"ok":true}.
func (s *Server) OKCalls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.okCalls[method]
}

func (c *channel) snapshot() Channel {
	out := c.Channel
	out.Members = slices.Clone(c.members)
	return out
}

func (m *message) snapshot() Message {
	out := m.Message
	out.Blocks = slices.Clone(m.Blocks)
	out.Attachments = slices.Clone(m.Attachments)
	out.Files = slices.Clone(m.Files)
	if m.Edited != nil {
		e := *m.Edited
		out.Edited = &e
	}
	out.Reactions = make([]Reaction, len(m.Reactions))
	for i, r := range m.Reactions {
		out.Reactions[i] = Reaction{Name: r.Name, Users: slices.Clone(r.Users)}
	}
	if len(out.Reactions) == 0 {
		out.Reactions = nil
	}
	return out
}

func trimHash(name string) string {
	if len(name) > 0 && name[0] == '#' {
		return name[1:]
	}
	return name
}
