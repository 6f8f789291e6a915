package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/pace"
	"github.com/incidentbot/incidentbot/bot/slackstate"
	"github.com/incidentbot/incidentbot/bot/slacktext"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/discard"
)

// Block IDs by which the bot recognises its own messages in a channel's
// history, to adopt a message it posted but did not get to record.
const (
	// SummaryBlockID is the block_id of the summary message's first block.
	SummaryBlockID = "incident-summary"
	// announceOpenedBlockID, with the incident number, marks an "opened" line.
	announceOpenedBlockID = "announce-opened-%d"
	// announceResolvedBlockID, with the number and the resolution's Unix time,
	// marks a "resolved" line; a reopened incident resolved again gets a new one.
	announceResolvedBlockID = "announce-resolved-%d-%d"
)

// Bounds of the Notifier's searches and retries.
const (
	// historyScan is how many of the newest messages are searched for one to
	// adopt when the caller does not mark retries (RetriesMarked unset).
	historyScan = 20
	// historyPage and historyPages bound the search of a marked retry: up to 20
	// pages of 200 messages since its first attempt began.
	historyPage  = 200
	historyPages = 20
	// historyMargin starts that search a little before the first attempt, for
	// the skew between our clock and the timestamps Slack gives messages.
	historyMargin = 2 * time.Minute
	// maxNameSuffix bounds the name_taken retries: name, name-2, …, name-10.
	maxNameSuffix = 10
	// maxListPages bounds the conversations.list pages read looking for a channel.
	maxListPages = 50
	// maxTopic and maxPurpose are Slack's limits on a channel's topic and purpose.
	maxTopic   = 250
	maxPurpose = 250
)

// NotifierService is what the Notifier needs of the incident service;
// *incidents.Service satisfies it.
type NotifierService interface {
	Get(ctx context.Context, number int64) (*incidents.Incident, error)
	Record(ctx context.Context, number int64, ev incidents.Event) error
	List(ctx context.Context, opts incidents.ListOptions) ([]*incidents.Incident, error)
	UpdateDue(inc *incidents.Incident, now time.Time) (time.Time, bool)
	UpdateStillDue(inc *incidents.Incident, due time.Time) bool
}

var _ NotifierService = (*incidents.Service)(nil)

// NotifierOptions configure a Notifier. The zero value works: channels named
// inc-<n>-<slug>, no announce channel, nobody invited beyond the incident's
// people, times in UTC, the wall clock, a discarding logger.
type NotifierOptions struct {
	// ChannelPrefix starts every incident channel's name; "inc" when empty.
	ChannelPrefix string
	// AnnounceChannel gets one line per opened and per resolved incident:
	// "#name" or a channel ID; empty means none.
	AnnounceChannel string
	// Invite lists user IDs invited to every incident channel.
	Invite []string
	// PublicURL is the base URL of the web view, for links.
	PublicURL string
	// Location is the zone times are shown in; nil means UTC.
	Location *time.Location
	// Lang is the language of every message; the zero Lang is English.
	Lang Lang
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives what the Notifier did and skipped; nil discards.
	Logger *logrus.Entry
	// RetriesMarked says the caller marks, with WithEarlierAttempt, every call
	// that may follow an attempt which posted: the Notifier then reads a
	// channel's history only for those, and a first attempt posts without
	// looking. Unset, it cannot tell them apart and reads the newest messages
	// before every post, as a safe default.
	RetriesMarked bool
	// Silences offers the summary's Silence buttons (an Alertmanager API is configured).
	Silences bool
}

type earlierAttemptKey struct{}

// WithEarlierAttempt marks ctx as a retry of work whose first attempt began at
// since and may have posted before it failed or its process died (an unclear
// failure, or a job taken over from a dead worker's lease). Before posting, the
// Notifier then looks for the message it would post among the channel's
// messages since then (paging through conversations.history), and adopts it
// instead of posting it twice. The job runner's Slack helper sets it on every
// attempt after the first; see NotifierOptions.RetriesMarked.
func WithEarlierAttempt(ctx context.Context, since time.Time) context.Context {
	return context.WithValue(ctx, earlierAttemptKey{}, since)
}

// lookBack marks ctx so that the Notifier looks for its message among those
// since since, whatever the attempt: for a message whose only record is the
// channel itself. A retry's earlier mark is kept.
func lookBack(ctx context.Context, since time.Time) context.Context {
	if prev, ok := earlierAttempt(ctx); ok && prev.Before(since) {
		return ctx
	}
	return WithEarlierAttempt(ctx, since)
}

// earlierAttempt returns when the earlier attempt marked on ctx began.
func earlierAttempt(ctx context.Context) (time.Time, bool) {
	since, ok := ctx.Value(earlierAttemptKey{}).(time.Time)
	return since, ok
}

// Notifier makes Slack reflect incidents: the channel with its topic, purpose
// and members, the pinned live summary, the announce-channel lines and the
// status-update reminders. Each step is recorded on the incident right after
// Slack accepts it, so a retried Sync resumes where the last one stopped and
// posts nothing twice. It is safe for concurrent use.
type Notifier struct {
	api   *slack.Client
	svc   NotifierService
	state slackstate.Store
	opts  NotifierOptions
	log   *logrus.Entry

	mu             sync.Mutex
	botUser        string // from auth.test
	announceID     string // AnnounceChannel resolved to an ID
	announceJoined bool   // the bot is a member of announceID
}

// NewNotifier returns a Notifier that talks to Slack through api, reads
// incidents from svc and records what it did in Slack in state.
func NewNotifier(api *slack.Client, svc NotifierService, state slackstate.Store, o NotifierOptions) *Notifier {
	if strings.TrimSpace(o.ChannelPrefix) == "" {
		o.ChannelPrefix = DefaultChannelPrefix
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Logger = discard.IfNil(o.Logger)
	return &Notifier{api: api, svc: svc, state: state, opts: o, log: o.Logger}
}

// t renders the message name in the notifier's language.
func (n *Notifier) t(name string, data any) string { return n.opts.Lang.Text(name, data) }

// Sync makes Slack reflect incident number: it creates and records the channel
// (adopting one the bot created but did not record), sets topic and purpose,
// invites the incident's people, posts or updates the pinned summary, and posts
// the announce lines. It is idempotent; after an error, calling it again resumes.
// Classify its errors with RetryDelay and IsPermanent.
func (n *Notifier) Sync(ctx context.Context, number int64) error {
	if err := n.sync(ctx, number); err != nil {
		return fmt.Errorf("sync incident #%d: %w", number, err)
	}
	return nil
}

func (n *Notifier) sync(ctx context.Context, number int64) error {
	inc, err := n.svc.Get(ctx, number)
	if err != nil {
		return err
	}
	st, err := n.state.SlackState(ctx, number)
	if err != nil {
		return fmt.Errorf("read Slack state: %w", err)
	}
	log := n.log.WithField("incident", number)
	if st.ChannelID == "" {
		if err := n.createChannel(ctx, inc, &st, log); err != nil {
			return err
		}
	}
	log = log.WithField("channel", st.ChannelID)
	if err := n.syncTopic(ctx, inc, &st); err != nil {
		return err
	}
	if err := n.invite(ctx, inc, &st, log); err != nil {
		return err
	}
	posted, err := n.ensureSummary(ctx, inc, &st, log)
	if err != nil {
		return err
	}
	if err := n.announce(ctx, inc, &st, log); err != nil {
		return err
	}
	// The update comes last: it is the one call not recorded, so a retry after a
	// rate limit repeats as little as possible before making progress.
	if !posted {
		return n.updateSummary(ctx, inc, &st, log)
	}
	return nil
}

// maxStateRetries bounds the re-reads of a Slack state that another writer changed.
const maxStateRetries = 10

// record applies update to st and stores it. When another writer stored a
// newer state first, update is applied again to that one, so update must
// derive its change from what it is given. st ends as stored.
func (n *Notifier) record(ctx context.Context, st *slackstate.Incident, update func(*slackstate.Incident)) error {
	for range maxStateRetries {
		next := *st
		update(&next)
		if next == *st {
			return nil
		}
		err := n.state.PutSlackState(ctx, &next)
		if err == nil {
			*st = next
			return nil
		}
		if !errors.Is(err, incidents.ErrConflict) {
			return fmt.Errorf("record Slack state: %w", err)
		}
		if *st, err = n.state.SlackState(ctx, st.Number); err != nil {
			return fmt.Errorf("read Slack state: %w", err)
		}
	}
	return fmt.Errorf("record Slack state: %w too often", incidents.ErrConflict)
}

// botUserID returns the bot's own user ID from auth.test, asked once.
func (n *Notifier) botUserID(ctx context.Context) (string, error) {
	n.mu.Lock()
	id := n.botUser
	n.mu.Unlock()
	if id != "" {
		return id, nil
	}
	resp, err := n.api.AuthTestContext(ctx)
	if err != nil {
		return "", fmt.Errorf("auth.test: %w", err)
	}
	n.mu.Lock()
	n.botUser = resp.UserID
	n.mu.Unlock()
	return resp.UserID, nil
}

// createChannel creates the incident's channel, or adopts the one the bot
// created for it before a crash, and records it at once.
func (n *Notifier) createChannel(ctx context.Context, inc *incidents.Incident, st *slackstate.Incident, log *logrus.Entry) error {
	base := ChannelName(n.opts.ChannelPrefix, inc.Number, inc.Title)
	var ch *slack.Channel
	for i := 1; i <= maxNameSuffix && ch == nil; i++ {
		name := WithSuffix(base, i)
		created, err := n.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name})
		switch {
		case err == nil:
			ch = created
			log.WithField("channel_name", name).Info("created incident channel")
		case ErrorCode(err) == "name_taken":
			own, ferr := n.ownChannel(ctx, name)
			if ferr != nil {
				return ferr
			}
			if own != nil {
				ch = own
				log.WithField("channel_name", name).Info("adopted the incident channel created before a restart")
			} else {
				log.WithField("channel_name", name).Info("channel name taken; trying a suffix")
			}
		default:
			return fmt.Errorf("conversations.create %s: %w", name, err)
		}
	}
	if ch == nil {
		return fmt.Errorf("create a channel for incident #%d: the names %s to %s are all taken: %w",
			inc.Number, base, WithSuffix(base, maxNameSuffix), ErrPermanent)
	}
	id, name := ch.ID, ch.Name
	if err := n.record(ctx, st, func(r *slackstate.Incident) {
		r.ChannelID, r.ChannelName = id, name
	}); err != nil {
		return err
	}
	if err := n.svc.Record(ctx, inc.Number, incidents.Event{
		ID:    fmt.Sprintf("%d:slack:channel", inc.Number),
		Type:  incidents.EventSlack,
		Actor: incidents.ActorBot,
		Text:  "Created channel #" + name,
		Fields: map[string]string{
			"channel_id": id, "channel_name": name,
		},
	}); err != nil {
		return fmt.Errorf("record channel creation: %w", err)
	}
	return nil
}

// ownChannel returns the channel called name when the bot created it and it is
// not archived: a channel the bot made for this incident (its number is in the
// name, and numbers never repeat) and did not get to record. It returns nil
// when the name belongs to someone else's channel.
func (n *Notifier) ownChannel(ctx context.Context, name string) (*slack.Channel, error) {
	bot, err := n.botUserID(ctx)
	if err != nil {
		return nil, err
	}
	ch, err := n.findChannel(ctx, name, []string{"public_channel", "private_channel"})
	if err != nil || ch == nil {
		return nil, err
	}
	if ch.Creator != bot || ch.IsArchived {
		return nil, nil
	}
	return ch, nil
}

// findChannel looks a channel up by name with conversations.list.
func (n *Notifier) findChannel(ctx context.Context, name string, types []string) (*slack.Channel, error) {
	cursor := ""
	for range maxListPages {
		chans, next, err := n.api.GetConversationsContext(ctx, &slack.GetConversationsParameters{
			Cursor: cursor, Limit: 1000, Types: types,
		})
		if err != nil {
			return nil, fmt.Errorf("conversations.list: %w", err)
		}
		for i := range chans {
			if chans[i].Name == name {
				return &chans[i], nil
			}
		}
		if next == "" {
			return nil, nil
		}
		cursor = next
	}
	return nil, nil
}

// topicText is the channel topic: number, title, severity and status.
func topicText(l Lang, inc *incidents.Incident) string {
	suffix := fmt.Sprintf(" · %s · %s", severityText(l, inc.Severity), statusName(l, inc.Status))
	head := fmt.Sprintf("#%d ", inc.Number)
	room := maxTopic - len([]rune(head)) - len([]rune(suffix))
	return head + slacktext.EscapeTruncate(oneLine(inc.Title), room) + suffix
}

// purposeText is the channel purpose, set once per title: the title is
// truncated to the room the message's own words leave.
func purposeText(l Lang, inc *incidents.Incident) string {
	room := maxPurpose - len([]rune(l.Text("channel.purpose", M{"Number": inc.Number, "Title": ""})))
	return l.Text("channel.purpose", M{"Number": inc.Number, "Title": slacktext.EscapeTruncate(oneLine(inc.Title), room)})
}

// syncTopic sets the topic and purpose when they differ from what was last set.
func (n *Notifier) syncTopic(ctx context.Context, inc *incidents.Incident, st *slackstate.Incident) error {
	ctx = pace.WithPriority(ctx, pace.Cosmetic) // nobody waits for a topic
	if topic := topicText(n.opts.Lang, inc); topic != st.Topic {
		if _, err := n.api.SetTopicOfConversationContext(ctx, st.ChannelID, topic); err != nil {
			return fmt.Errorf("conversations.setTopic: %w", err)
		}
		if err := n.record(ctx, st, func(r *slackstate.Incident) { r.Topic = topic }); err != nil {
			return err
		}
	}
	if purpose := purposeText(n.opts.Lang, inc); purpose != st.Purpose {
		if _, err := n.api.SetPurposeOfConversationContext(ctx, st.ChannelID, purpose); err != nil {
			return fmt.Errorf("conversations.setPurpose: %w", err)
		}
		if err := n.record(ctx, st, func(r *slackstate.Incident) { r.Purpose = purpose }); err != nil {
			return err
		}
	}
	return nil
}

// inviteHandled are conversations.invite's per-user codes after which that
// user needs no further attempt: already there, or never invitable.
var inviteHandled = map[string]bool{
	"already_in_channel": true, "user_not_found": true, "cant_invite_self": true,
	"cant_invite": true, "user_is_restricted": true, "user_is_ultra_restricted": true,
	"user_disabled": true, "invitee_cant_see_channel": true, "no_external_invite_permission": true,
	"not_allowed_to_invite_external": true,
}

// invite invites the commander, the role holders and the configured users who
// were not invited before. Slack fails the whole call when any one user fails
// (without inviting the others), listing each failure; the failed users are
// logged and dropped and the rest invited again.
func (n *Notifier) invite(ctx context.Context, inc *incidents.Incident, st *slackstate.Incident, log *logrus.Entry) error {
	bot, err := n.botUserID(ctx)
	if err != nil {
		return err
	}
	done := splitInvited(st.Invited)
	var want []string
	add := func(id string) {
		id = strings.TrimSpace(id)
		if !slacktext.IsID(id, "UW") || id == bot || slices.Contains(want, id) || slices.Contains(done, id) {
			return
		}
		want = append(want, id)
	}
	add(inc.Commander)
	for _, role := range sortedRoleNames(inc.Roles) {
		add(inc.Roles[role])
	}
	for _, id := range n.opts.Invite {
		add(id)
	}
	if len(want) == 0 {
		return nil
	}
	pending := slices.Clone(want)
	for len(pending) > 0 {
		_, err := n.api.InviteUsersToConversationContext(ctx, st.ChannelID, pending...)
		if err == nil {
			break
		}
		failed := inviteFailures(err)
		if len(failed) == 0 && inviteHandled[ErrorCode(err)] {
			if len(pending) == 1 {
				failed = map[string]string{pending[0]: ErrorCode(err)}
			} else {
				// Slack named no user: find them one at a time.
				for _, id := range pending {
					if _, err := n.api.InviteUsersToConversationContext(ctx, st.ChannelID, id); err != nil {
						if !inviteHandled[ErrorCode(err)] {
							return fmt.Errorf("conversations.invite %s: %w", id, err)
						}
						logInviteSkip(log, id, ErrorCode(err))
					}
				}
				break
			}
		}
		if len(failed) == 0 {
			return fmt.Errorf("conversations.invite: %w", err)
		}
		var rest []string
		for _, id := range pending {
			code, bad := failed[id]
			if !bad {
				rest = append(rest, id)
				continue
			}
			if !inviteHandled[code] {
				return fmt.Errorf("conversations.invite %s: %s: %w", id, code, err)
			}
			logInviteSkip(log, id, code)
		}
		if len(rest) == len(pending) { // Slack named users we did not send; do not loop
			return fmt.Errorf("conversations.invite: %w", err)
		}
		pending = rest
	}
	all := append(done, want...)
	sort.Strings(all)
	invited := strings.Join(all, ",")
	return n.record(ctx, st, func(r *slackstate.Incident) { r.Invited = invited })
}

func logInviteSkip(log *logrus.Entry, user, code string) {
	if code == "already_in_channel" {
		return
	}
	log.WithFields(logrus.Fields{"user": user, "error": code}).Warn("cannot invite user to the incident channel; skipped")
}

// inviteFailures returns the per-user failures of a conversations.invite error.
func inviteFailures(err error) map[string]string {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		return nil
	}
	out := map[string]string{}
	for _, e := range se.Errors {
		if ci := e.ConversationsInviteResponseError; ci != nil && ci.User != "" {
			out[ci.User] = ci.Error
		}
	}
	return out
}

func splitInvited(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func sortedRoleNames(roles map[string]string) []string {
	names := make([]string, 0, len(roles))
	for k := range roles {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// summary renders the summary message with its recognisable first block.
func (n *Notifier) summary(inc *incidents.Incident) (string, []slack.Block) {
	blocks := summaryBlocks(inc, summaryOptions{PublicURL: n.opts.PublicURL, Now: n.opts.Now(), Location: n.opts.Location, Lang: n.opts.Lang, Silences: n.opts.Silences})
	setBlockID(blocks, SummaryBlockID)
	text := n.t("channel.summary_text", M{"Number": inc.Number, "Title": slacktext.EscapeTruncate(oneLine(inc.Title), 500),
		"Severity": severityText(n.opts.Lang, inc.Severity), "Status": statusName(n.opts.Lang, inc.Status)})
	return text, blocks
}

// setBlockID sets the block_id of the first block, when its type has one.
func setBlockID(blocks []slack.Block, id string) {
	if len(blocks) == 0 {
		return
	}
	switch b := blocks[0].(type) {
	case *slack.HeaderBlock:
		b.BlockID = id
	case *slack.SectionBlock:
		b.BlockID = id
	case *slack.ContextBlock:
		b.BlockID = id
	}
}

// ensureSummary posts (or adopts) the summary and pins it, recording each
// step. posted reports a summary posted just now, already current.
func (n *Notifier) ensureSummary(ctx context.Context, inc *incidents.Incident, st *slackstate.Incident, log *logrus.Entry) (posted bool, err error) {
	channel := st.ChannelID
	if st.SummaryTS == "" {
		ts, err := n.findOwnMessage(ctx, channel, SummaryBlockID)
		if err != nil {
			return false, err
		}
		if ts == "" {
			text, blocks := n.summary(inc)
			_, ts, err = n.api.PostMessageContext(ctx, channel, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
			if err != nil {
				return false, fmt.Errorf("post summary: %w", err)
			}
			posted = true
			log.WithField("ts", ts).Info("posted incident summary")
		} else {
			log.WithField("ts", ts).Info("adopted the summary posted before a restart")
		}
		if err := n.record(ctx, st, func(r *slackstate.Incident) {
			r.SummaryTS, r.SummaryPinned = ts, false
		}); err != nil {
			return false, err
		}
	}
	if !st.SummaryPinned {
		err := n.api.AddPinContext(ctx, channel, slack.NewRefToMessage(channel, st.SummaryTS))
		if err != nil && ErrorCode(err) != "already_pinned" {
			return false, fmt.Errorf("pin summary: %w", err)
		}
		ts := st.SummaryTS
		if err := n.record(ctx, st, func(r *slackstate.Incident) {
			if r.SummaryTS == ts {
				r.SummaryPinned = true
			}
		}); err != nil {
			return false, err
		}
	}
	return posted, nil
}

// updateSummary brings the summary up to date with chat.update. When the
// message is gone (someone deleted it) it posts and pins a new one.
func (n *Notifier) updateSummary(ctx context.Context, inc *incidents.Incident, st *slackstate.Incident, log *logrus.Entry) error {
	text, blocks := n.summary(inc)
	// A refresh is cosmetic: the next one replaces it. A summary posted anew is not.
	_, _, _, err := n.api.UpdateMessageContext(pace.WithPriority(ctx, pace.Cosmetic), st.ChannelID, st.SummaryTS,
		slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if ErrorCode(err) != "message_not_found" {
		if err != nil {
			return fmt.Errorf("update summary: %w", err)
		}
		return nil
	}
	log.WithField("ts", st.SummaryTS).Warn("summary message is gone; posting a new one")
	ts := st.SummaryTS
	if err := n.record(ctx, st, func(r *slackstate.Incident) {
		if r.SummaryTS == ts {
			r.SummaryTS, r.SummaryPinned = "", false
		}
	}); err != nil {
		return err
	}
	_, err = n.ensureSummary(ctx, inc, st, log)
	return err
}

// postOnce posts text with blocks in channel unless a recent message of the
// bot's already starts with the block blockID (one posted before a crash
// that was not recorded). It marks the first block with blockID and returns
// the message's ts, found or posted.
func (n *Notifier) postOnce(ctx context.Context, channel, blockID, text string, blocks []slack.Block) (string, error) {
	ts, err := n.findOwnMessage(ctx, channel, blockID)
	if err != nil || ts != "" {
		return ts, err
	}
	setBlockID(blocks, blockID)
	_, ts, err = n.api.PostMessageContext(ctx, channel, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	return ts, err
}

// findOwnMessage returns the ts of a message of the bot in channel whose first
// block has the given block_id, posted by an earlier attempt, or "". On a
// retry marked with WithEarlierAttempt it pages through the channel's history
// since that attempt began (minus historyMargin), up to historyPages pages; on
// a call not marked it reads the newest historyScan messages, or nothing at
// all when the caller marks its retries (RetriesMarked). The Notifier posts no
// thread replies, so conversations.history sees everything it posts.
func (n *Notifier) findOwnMessage(ctx context.Context, channel, blockID string) (string, error) {
	since, retry := earlierAttempt(ctx)
	if !retry && n.opts.RetriesMarked {
		return "", nil // a first attempt: nothing of ours can be there yet
	}
	bot, err := n.botUserID(ctx)
	if err != nil {
		return "", err
	}
	params := &slack.GetConversationHistoryParameters{ChannelID: channel, Limit: historyScan}
	pages := 1
	if retry {
		params.Limit, pages = historyPage, historyPages
		if !since.IsZero() {
			params.Oldest = slackTS(since.Add(-historyMargin))
		}
	}
	for range pages {
		resp, err := n.api.GetConversationHistoryContext(ctx, params)
		if err != nil {
			return "", fmt.Errorf("conversations.history: %w", err)
		}
		for _, m := range resp.Messages {
			if m.User != bot && m.BotID == "" {
				continue
			}
			if bs := m.Blocks.BlockSet; len(bs) > 0 && bs[0].ID() == blockID {
				return m.Timestamp, nil
			}
		}
		if resp.ResponseMetaData.NextCursor == "" || !retry {
			return "", nil
		}
		params.Cursor = resp.ResponseMetaData.NextCursor
	}
	n.log.WithFields(logrus.Fields{"channel": channel, "block_id": blockID, "since": since}).
		Warnf("searched the newest %d messages since the first attempt without finding an earlier copy; posting", historyPage*historyPages)
	return "", nil
}

// slackTS writes t as a Slack message timestamp, for oldest and latest.
func slackTS(t time.Time) string {
	us := t.UnixMicro()
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

// announceChannel resolves AnnounceChannel to an ID and joins it when the bot
// is not a member, remembering each step so a retry does not repeat it.
func (n *Notifier) announceChannel(ctx context.Context) (string, error) {
	n.mu.Lock()
	id, joined := n.announceID, n.announceJoined
	n.mu.Unlock()
	if id != "" && joined {
		return id, nil
	}
	ref := strings.TrimSpace(n.opts.AnnounceChannel)
	if id == "" {
		var ch *slack.Channel
		if name, ok := strings.CutPrefix(ref, "#"); ok {
			found, err := n.findChannel(ctx, name, []string{"public_channel", "private_channel"})
			if err != nil {
				return "", fmt.Errorf("find announce channel %s: %w", ref, err)
			}
			if found == nil {
				return "", fmt.Errorf("announce channel %s does not exist or the bot cannot see it: %w", ref, ErrPermanent)
			}
			ch = found
		} else {
			found, err := n.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: ref})
			if err != nil {
				return "", fmt.Errorf("conversations.info %s: %w", ref, err)
			}
			ch = found
		}
		id, joined = ch.ID, ch.IsMember
		n.mu.Lock()
		n.announceID, n.announceJoined = id, joined
		n.mu.Unlock()
	}
	if !joined {
		if _, _, _, err := n.api.JoinConversationContext(ctx, id); err != nil {
			return "", fmt.Errorf("join announce channel %s: %w", ref, err)
		}
		n.mu.Lock()
		n.announceJoined = true
		n.mu.Unlock()
	}
	return id, nil
}

// announce posts the "opened" line once, and a "resolved" line once per resolution.
func (n *Notifier) announce(ctx context.Context, inc *incidents.Incident, st *slackstate.Incident, log *logrus.Entry) error {
	if strings.TrimSpace(n.opts.AnnounceChannel) == "" {
		return nil
	}
	if st.AnnouncedOpen == "" {
		ts, err := n.postAnnounce(ctx, inc, st.ChannelID, "opened", fmt.Sprintf(announceOpenedBlockID, inc.Number), log)
		if err != nil {
			return err
		}
		if err := n.record(ctx, st, func(r *slackstate.Incident) { r.AnnouncedOpen = ts }); err != nil {
			return err
		}
	}
	if inc.ResolvedAt != nil && !st.AnnouncedResolvedAt.Equal(*inc.ResolvedAt) {
		at := *inc.ResolvedAt
		ts, err := n.postAnnounce(ctx, inc, st.ChannelID, "resolved", fmt.Sprintf(announceResolvedBlockID, inc.Number, at.UnixMilli()), log)
		if err != nil {
			return err
		}
		if err := n.record(ctx, st, func(r *slackstate.Incident) {
			r.AnnouncedResolved, r.AnnouncedResolvedAt = ts, at
		}); err != nil {
			return err
		}
	}
	return nil
}

// postAnnounce posts one announce line, or adopts it when a crash left it unrecorded.
func (n *Notifier) postAnnounce(ctx context.Context, inc *incidents.Incident, channelID, kind, blockID string, log *logrus.Entry) (string, error) {
	channel, err := n.announceChannel(ctx)
	if err != nil {
		return "", err
	}
	ts, err := n.findOwnMessage(ctx, channel, blockID)
	if err != nil {
		return "", err
	}
	if ts != "" {
		log.WithField("ts", ts).Info("adopted the announce line posted before a restart")
		return ts, nil
	}
	text, blocks := announceText(n.opts.Lang, inc, channelID, kind, n.opts.PublicURL)
	setBlockID(blocks, blockID)
	_, ts, err = n.api.PostMessageContext(ctx, channel, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		return "", fmt.Errorf("announce %s: %w", kind, err)
	}
	// The line is in the announce channel; the entry's channel field named
	// the incident's.
	log.WithFields(logrus.Fields{"ts": ts, "kind": kind, "channel": channel, "incident_channel": channelID}).Info("announced incident")
	return ts, nil
}
