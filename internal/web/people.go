package web

import (
	"context"
	"html"
	"html/template"
	"regexp"
	"slices"
	"strings"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
)

// Names gives the pages people's names where Slack would show them: the
// app passes the postmortem's lookup (bot.Directory, users.info, remembered).
type Names interface {
	// Names returns the names it knows of ids (Slack user IDs), quickly: an
	// ID it cannot name now is left out, and the page shows the ID. It never
	// returns contact details (phone numbers, emails).
	Names(ctx context.Context, ids []string) map[string]string
}

// maxPageNames bounds the people one page looks up.
const maxPageNames = 200

// mention finds Slack user mentions: <@U1> and <@U1|name>.
var mention = regexp.MustCompile(`<@([UW][A-Z0-9]{1,20})(?:\|[^<>]*)?>`)

// people collects the user IDs a page shows and then names them.
type people struct {
	ids   []string
	names map[string]string
}

func (p *people) add(id string) {
	if validUserID(id) && len(p.ids) < maxPageNames && !slices.Contains(p.ids, id) {
		p.ids = append(p.ids, id)
	}
}

// mentions adds the users mentioned in Slack text.
func (p *people) mentions(text string) {
	if !strings.Contains(text, "<@") {
		return
	}
	for _, m := range mention.FindAllStringSubmatch(text, -1) {
		p.add(m[1])
	}
}

func (p *people) incident(inc *incidents.Incident) {
	p.add(inc.Commander)
	p.add(inc.DeclaredBy)
	for _, u := range inc.Roles {
		p.add(u)
	}
	for _, a := range inc.Actions {
		p.add(a.Owner)
		p.mentions(a.Text)
	}
	p.mentions(inc.Description)
	p.mentions(inc.Summary)
}

// lookup names the collected IDs; without Names (no Slack) pages show IDs.
func (s *Server) lookup(ctx context.Context, p *people) {
	if s.opts.Names == nil || len(p.ids) == 0 {
		return
	}
	p.names = s.opts.Names.Names(ctx, p.ids)
}

// name is id's name when known, else id itself.
func (p *people) name(id string) string {
	if n := strings.TrimSpace(p.names[id]); n != "" {
		return n
	}
	return id
}

// resolver gives the mrkdwn renderer the users' names.
func (p *people) resolver() mrkdwn.Names {
	return func(kind byte, id string) (string, bool) {
		if kind != '@' {
			return "", false
		}
		n, ok := p.names[id]
		return n, ok && n != ""
	}
}

// slackHTML renders text people wrote in Slack (notes, pinned messages,
// follow-ups: mrkdwn, with Slack's &amp; &lt; &gt;) as safe HTML: bold,
// italic, strike, code, http(s) and mailto links, mentions by name.
func (p *people) slackHTML(text string) template.HTML {
	return mrkdwn.HTML(text, p.resolver())
}

// textHTML renders text the bot or an alert wrote (not mrkdwn, and not
// escaped for Slack): everything escaped, only <@U…> mentions become names.
func (p *people) textHTML(text string) template.HTML {
	var b strings.Builder
	last := 0
	for _, m := range mention.FindAllStringSubmatchIndex(text, -1) {
		b.WriteString(html.EscapeString(text[last:m[0]]))
		b.WriteString(`<span class="mention">@`)
		b.WriteString(html.EscapeString(p.name(text[m[2]:m[3]])))
		b.WriteString(`</span>`)
		last = m[1]
	}
	b.WriteString(html.EscapeString(text[last:]))
	return template.HTML(b.String()) //nolint:gosec // every piece is escaped above
}

// slackTyped are the event types whose text is what someone typed in Slack.
var slackTyped = map[incidents.EventType]bool{
	incidents.EventNote: true, incidents.EventMessagePinned: true, incidents.EventAction: true,
}

// eventHTML renders one timeline event's text.
func (p *people) eventHTML(ev incidents.Event) template.HTML {
	if slackTyped[ev.Type] {
		return p.slackHTML(ev.Text)
	}
	return p.textHTML(ev.Text)
}
