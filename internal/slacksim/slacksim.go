// Package slacksim is a Slack Web API simulator: the Slack that incidentbot's
// tests talk to over HTTP with the real slack-go client, and the Slack of
// `incidentbot dev`, with a small web view to act as a workspace user.
//
// It is meant to be as strict as Slack and never more lenient: it checks
// authentication, channel names, membership, archived state, Block Kit limits
// and trigger lifetimes, and it answers errors with Slack's codes and shapes
// (HTTP 200 with {"ok":false,"error":...}, HTTP 429 with Retry-After). It enforces
// Slack's rate-limit tiers per method (and chat.postMessage's per channel) on its
// clock, from the table the bot paces itself by; Options.Unlimited turns them off.
//
// Besides channels it simulates the bot's direct messages (conversations.open, chat.*
// to a D… channel) and user groups (usergroups.*). The web view renders messages as
// Slack does (mrkdwn, mentions by name, emoji) and lets one act as any user: click a
// button in a DM as its user, type a slash command, pin, react, submit a modal.
//
// Mount Handler on an httptest.Server (or any listener on 127.0.0.1) and point
// slack-go at it with slack.OptionAPIURL(srv.URL + "/api/"). Requests the
// simulator sends to the bot (slash commands, interactions, events) are signed
// with the signing secret exactly as Slack signs them.
package slacksim

import (
	"fmt"
	"html/template"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/bot/pace"
)

// Fixed identities of the simulated workspace and app.
const (
	// TeamID is the workspace's ID.
	TeamID = "T0SIM0001"
	// TeamDomain is the workspace's domain.
	TeamDomain = "incidentbot-sim"
	// AppID is the app's ID (api_app_id in payloads).
	AppID = "A0SIM0001"
	// BotID is the bot's bot_id, set on every message the bot posts.
	BotID = "B0SIM0001"
	// BotUserID is the bot user's ID, returned by auth.test.
	BotUserID = "U0SIMBOT1"
	// BotName is the bot user's name.
	BotName = "incidentbot"
)

// Default bounds; see Options.
const (
	defaultMaxMessages   = 10000
	defaultMaxChannels   = 5000
	defaultMaxRecords    = 10000
	defaultBotTimeout    = 3 * time.Second
	maxAPIBody           = 1 << 20  // 1 MiB for a Web API call
	maxUploadBody        = 16 << 20 // 16 MiB for one file upload
	maxStoredFileContent = 1 << 20  // keep at most 1 MiB of each upload's content
	maxBotAnswer         = 1 << 20  // read at most 1 MiB of the bot's answers
	triggerLifetime      = 3 * time.Second
	responseURLLifetime  = 30 * time.Minute
	responseURLMaxUses   = 5
)

// Options configure a Server. The zero value works: any token is then refused.
type Options struct {
	// Token is the bot token the Web API accepts; every other token gets invalid_auth.
	Token string
	// SigningSecret signs the requests sent to the bot.
	SigningSecret string
	// BotURL is the bot's base URL (…/slack/commands etc. are appended). It may also
	// be set later with SetBotURL.
	BotURL string
	// VerificationToken is the deprecated verification token put in payloads' token field.
	VerificationToken string
	// Now is the simulator's clock; nil means time.Now. Message timestamps, trigger_id
	// lifetimes, response_url lifetimes and request signatures use it.
	Now func() time.Time
	// Logf, if set, receives one line per notable event. Tokens and secrets never reach it.
	Logf func(format string, args ...any)
	// Seed seeds the random source of fractional fault knobs, for repeatable runs.
	Seed uint64
	// HTTPClient sends requests to the bot; nil means a client with BotTimeout.
	HTTPClient *http.Client
	// BotTimeout is how long Slack waits for the bot to answer a command, interaction
	// or event: 3 seconds, as Slack does, unless set.
	BotTimeout time.Duration
	// MaxMessagesPerChannel bounds each channel's history; the oldest message is dropped
	// beyond it. Default 10,000.
	MaxMessagesPerChannel int
	// MaxChannels bounds the number of channels (then too_many_convos_for_team). Default 5,000.
	MaxChannels int
	// MaxRecords bounds every other log (ephemerals, responses, views, files, events).
	// The oldest entries are dropped beyond it. Default 10,000.
	MaxRecords int
	// NoSeed starts with an empty workspace instead of the seeded users and channels.
	NoSeed bool
	// Unlimited turns Slack's rate limits off: every call passes however fast it
	// comes, for a test that makes bursts real Slack would refuse. By default each
	// method is limited to its tier (pace.MethodLimit) and chat.postMessage also to
	// about one message a second per channel, on the simulator's clock, answered
	// with HTTP 429 and Retry-After beyond.
	Unlimited bool
}

// Server is a simulated Slack workspace. All its methods are safe for concurrent use.
type Server struct {
	opts   Options
	now    func() time.Time
	client *http.Client
	mux    *http.ServeMux
	tmpl   *template.Template
	// methods is the Web API method table; read-only after New.
	methods map[string]methodSpec

	mu         sync.Mutex
	botURL     string
	users      map[string]*user // by ID
	userOrder  []string
	channels   map[string]*channel // by ID
	chanOrder  []string
	usergroups map[string]*usergroup
	ugOrder    []string
	views      map[string]*view
	viewOrder  []string
	triggers   map[string]*trigger
	responses  map[string]*responseURL // by id
	respLog    []Response
	ephemerals []Ephemeral
	files      map[string]*file
	fileOrder  []string
	events     []DeliveredEvent
	sentEvents map[string]sentEvent // envelopes kept for ResendEvent
	sentOrder  []string
	self       string // the simulator's own base URL, for response_urls
	lastTS     int64  // microseconds of the last ts handed out
	seq        uint64
	calls      map[string]int
	okCalls    map[string]int
	limited    map[string]int          // 429 answers, by method
	buckets    map[string]*pace.Bucket // rate limits, by method and method+channel
	blocked    map[string]time.Time    // a refusing limit's end, by the same keys

	faultMu sync.Mutex
	faults  map[string]*methodFaults
	rng     *rand.Rand
}

type user struct {
	User
}

type channel struct {
	Channel
	members   []string
	messages  []*message // oldest first
	topicBy   string
	topicAt   time.Time
	purposeBy string
	purposeAt time.Time
}

type message struct {
	Message
	plainText bool // posted with mrkdwn=false: the text is shown unformatted
}

type usergroup struct {
	Usergroup
	created, updated, deleted       time.Time
	createdBy, updatedBy, deletedBy string
}

// New returns a Server seeded, unless opts.NoSeed, with users U0001 alice, U0002 bob,
// U0003 carol, U0004 dave, channels #incidents, #oncall, #sre and #general (every seeded
// user a member, the bot in none), and the user group @oncall-primary.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BotTimeout <= 0 {
		opts.BotTimeout = defaultBotTimeout
	}
	if opts.MaxMessagesPerChannel <= 0 {
		opts.MaxMessagesPerChannel = defaultMaxMessages
	}
	if opts.MaxChannels <= 0 {
		opts.MaxChannels = defaultMaxChannels
	}
	if opts.MaxRecords <= 0 {
		opts.MaxRecords = defaultMaxRecords
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: opts.BotTimeout}
	}
	s := &Server{
		opts:       opts,
		now:        opts.Now,
		client:     client,
		botURL:     strings.TrimRight(opts.BotURL, "/"),
		users:      map[string]*user{},
		channels:   map[string]*channel{},
		usergroups: map[string]*usergroup{},
		views:      map[string]*view{},
		triggers:   map[string]*trigger{},
		responses:  map[string]*responseURL{},
		files:      map[string]*file{},
		sentEvents: map[string]sentEvent{},
		calls:      map[string]int{},
		okCalls:    map[string]int{},
		limited:    map[string]int{},
		buckets:    map[string]*pace.Bucket{},
		blocked:    map[string]time.Time{},
		faults:     map[string]*methodFaults{},
		rng:        rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x5eed)),
	}
	s.users[BotUserID] = &user{User{ID: BotUserID, Name: BotName, RealName: "Incident Bot", IsBot: true, TZ: "UTC"}}
	s.userOrder = append(s.userOrder, BotUserID)
	if !opts.NoSeed {
		s.seed()
	}
	s.routes()
	return s
}

func (s *Server) seed() {
	for _, u := range []User{
		{ID: "U0001", Name: "alice", RealName: "Alice Archer", Email: "alice@example.com", TZ: "Asia/Almaty"},
		{ID: "U0002", Name: "bob", RealName: "Bob Baker", Email: "bob@example.com", TZ: "Asia/Almaty"},
		{ID: "U0003", Name: "carol", RealName: "Carol Chen", Email: "carol@example.com", TZ: "Europe/Berlin"},
		{ID: "U0004", Name: "dave", RealName: "Dave Diaz", Email: "dave@example.com", TZ: "America/New_York"},
	} {
		_ = s.AddUser(u)
	}
	humans := []string{"U0001", "U0002", "U0003", "U0004"}
	for _, name := range []string{"incidents", "oncall", "sre", "general"} {
		_, _ = s.AddChannel(name, humans...)
	}
	_, _ = s.AddUsergroup("oncall-primary", "On-call (primary)")
}

// SetBotURL sets the bot's base URL, so both servers can be started before they know
// each other. Requests go to <url>/slack/commands, /slack/interactions, /slack/events.
func (s *Server) SetBotURL(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.botURL = strings.TrimRight(url, "/")
}

// AddUser adds a workspace user. The ID must start with U or W and be new; Email, if
// set, must be unique.
func (s *Server) AddUser(u User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !validID(u.ID, "UW") {
		return fmt.Errorf("slacksim: user ID %q: want U or W followed by upper-case letters and digits", u.ID)
	}
	if _, ok := s.users[u.ID]; ok {
		return fmt.Errorf("slacksim: user %s already exists", u.ID)
	}
	if u.Name == "" {
		return fmt.Errorf("slacksim: user %s: name is required", u.ID)
	}
	if u.Email != "" {
		for _, other := range s.users {
			if strings.EqualFold(other.Email, u.Email) {
				return fmt.Errorf("slacksim: email %s is already used by %s", u.Email, other.ID)
			}
		}
	}
	if u.TZ == "" {
		u.TZ = "UTC"
	}
	s.users[u.ID] = &user{u}
	s.userOrder = append(s.userOrder, u.ID)
	return nil
}

// AddChannel adds a public channel with the given members (user IDs; include BotUserID
// to make the bot a member) and returns its ID. The name follows conversations.create's
// rules.
func (s *Server) AddChannel(name string, members ...string) (string, error) {
	if code := checkChannelName(name); code != "" {
		return "", fmt.Errorf("slacksim: channel name %q: %s", name, code)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.channelByNameLocked(name) != nil {
		return "", fmt.Errorf("slacksim: channel #%s: name_taken", name)
	}
	for _, m := range members {
		if s.users[m] == nil {
			return "", fmt.Errorf("slacksim: channel #%s: unknown member %s", name, m)
		}
	}
	creator := ""
	if len(members) > 0 {
		creator = members[0]
	}
	c := s.newChannelLocked(name, false, creator)
	c.IsGeneral = name == "general"
	for _, m := range members {
		if !slices.Contains(c.members, m) {
			c.members = append(c.members, m)
		}
	}
	return c.ID, nil
}

// AddMember makes a user (BotUserID included) a member of a channel, as an admin
// inviting them would.
func (s *Server) AddMember(channelID, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channelID]
	if c == nil {
		return fmt.Errorf("slacksim: channel %s not found", channelID)
	}
	if s.users[userID] == nil {
		return fmt.Errorf("slacksim: user %s not found", userID)
	}
	if !slices.Contains(c.members, userID) {
		c.members = append(c.members, userID)
	}
	return nil
}

// AddUsergroup adds a user group with the given handle and returns its ID (S…). The
// handle and name follow usergroups.create's rules; an empty name means the handle.
func (s *Server) AddUsergroup(handle, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name == "" {
		name = handle
	}
	if code := checkHandle(handle); code != "" {
		return "", fmt.Errorf("slacksim: usergroup handle %q: %s", handle, code)
	}
	if code := checkUsergroupName(name); code != "" {
		return "", fmt.Errorf("slacksim: usergroup name %q: %s", name, code)
	}
	if s.handleTakenLocked(handle, "") {
		return "", fmt.Errorf("slacksim: usergroup handle %q is taken", handle)
	}
	if s.nameTakenLocked(name, "") {
		return "", fmt.Errorf("slacksim: usergroup name %q is taken", name)
	}
	g := s.addUsergroupLocked(Usergroup{Handle: handle, Name: name}, "USLACKBOT")
	return g.ID, nil
}

func (s *Server) newChannelLocked(name string, private bool, creator string) *channel {
	c := &channel{Channel: Channel{
		ID:        s.nextIDLocked("C"),
		Name:      name,
		IsPrivate: private,
		Creator:   creator,
		Created:   s.now().UTC().Truncate(time.Second),
	}}
	s.channels[c.ID] = c
	s.chanOrder = append(s.chanOrder, c.ID)
	return c
}

// nextIDLocked returns a new ID with the given prefix, in Slack's shape (upper-case
// letters and digits).
func (s *Server) nextIDLocked(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%08X", prefix, s.seq)
}

// nextTSLocked returns a message timestamp from the clock, unique and increasing.
func (s *Server) nextTSLocked() string {
	us := s.now().UnixMicro()
	if us <= s.lastTS {
		us = s.lastTS + 1
	}
	s.lastTS = us
	return formatTS(us)
}

func formatTS(us int64) string {
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

func (s *Server) channelByNameLocked(name string) *channel {
	for _, id := range s.chanOrder {
		if c := s.channels[id]; c.Name == name {
			return c
		}
	}
	return nil
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

func (c *channel) isMember(userID string) bool { return slices.Contains(c.members, userID) }

func (c *channel) findMessage(ts string) *message {
	for _, m := range c.messages {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

func (s *Server) appendMessageLocked(c *channel, m *message) {
	c.messages = append(c.messages, m)
	if over := len(c.messages) - s.opts.MaxMessagesPerChannel; over > 0 {
		c.messages = slices.Delete(c.messages, 0, over)
	}
}

// trim keeps at most max entries of a log, dropping the oldest.
func trim[T any](list []T, max int) []T {
	if over := len(list) - max; over > 0 {
		return slices.Delete(list, 0, over)
	}
	return list
}

func validID(id, prefixes string) bool {
	if len(id) < 2 || len(id) > 32 || !strings.ContainsRune(prefixes, rune(id[0])) {
		return false
	}
	for _, r := range id {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
