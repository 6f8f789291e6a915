package slacksim

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The web view: a page per channel showing messages with their blocks, and forms to
// act as a user (slash command, button click, pin, reaction, message, modal submit).
// Everything is rendered with html/template, so text from the bot is always escaped.

func (s *Server) webRoutes() {
	funcs := template.FuncMap{
		"btn": func(as, channel, ts string, b buttonView) buttonCtx {
			return buttonCtx{As: as, Channel: channel, TS: ts, Button: b}
		},
		"msg": func(as, channel string, m messageView) messageCtx {
			return messageCtx{As: as, Channel: channel, M: m}
		},
	}
	s.tmpl = template.Must(template.New("page").Funcs(funcs).Parse(pageTemplate))
	s.mux.HandleFunc("GET /{$}", s.webIndex)
	s.mux.HandleFunc("GET /channels/{id}", s.webChannel)
	s.mux.HandleFunc("GET /archives/{id}/{p}", s.webArchive)
	s.mux.HandleFunc("GET /views", s.webViews)
	s.mux.HandleFunc("POST /ui/{action}", s.webAction)
}

// pageData is everything the one page template needs.
type pageData struct {
	Title      string
	As         string
	Users      []User
	Flash      string
	BotURL     string
	Index      bool
	Channels   []channelLink
	DMs        []channelLink
	MyDMs      []channelLink // the acting user's DMs, in the sidebar
	Usergroups []usergroupView
	Channel    *channelPage
	Views      []viewPage
	ShowViews  bool
}

type channelLink struct {
	ID, Name string
	Archived bool
	BotIn    bool
	Count    int
	User     string // a DM's user (ID)
}

// usergroupView is a user group as the index shows it, members by name.
type usergroupView struct {
	ID, Handle, Name, Description string
	Members                       []string
	Channels                      []string
	Disabled                      bool
}

type channelPage struct {
	ID, Name, Topic string
	Archived        bool
	DM              bool   // a DM: only its user sees it, so the page acts as them
	DMUser          string // the DM user's name
	Members         []string
	Messages        []messageView
	Ephemerals      []messageView
}

type messageView struct {
	TS, Anchor, Author  string
	Text                template.HTML // rendered mrkdwn
	Bot, Pinned, Edited bool
	Reply               bool
	Reactions           []template.HTML
	Files               []string
	Blocks              []blockView
	Attachments         []attachmentView
}

// blockView is one block; its texts are rendered HTML (mrkdwn or plain_text, as
// Slack renders each), made only by renderMrkdwn and renderPlain.
type blockView struct {
	Type      string
	Text      template.HTML
	Fields    []template.HTML
	Context   []template.HTML
	Buttons   []buttonView
	Accessory []buttonView // zero or one
	Other     string
}

type buttonView struct {
	Text, ActionID, Value, Style, URL string
	Label                             template.HTML // Text with emoji, as Slack shows it
}

// attachmentView is a legacy attachment: a colour bar with a title, text and fields.
type attachmentView struct {
	Color   string
	Pretext template.HTML
	Title   template.HTML
	Text    template.HTML
	Fields  []attachmentField
	Footer  template.HTML
}

type attachmentField struct {
	Title template.HTML
	Value template.HTML
	Short bool
}

// messageCtx is what the "content" template needs to show a message.
type messageCtx struct {
	As, Channel string
	M           messageView
}

// buttonCtx is what the "button" template needs to post a click.
type buttonCtx struct {
	As, Channel, TS string
	Button          buttonView
}

type viewPage struct {
	ID, Title, Submit, User string
	Errors                  map[string]string
	Inputs                  []inputView
	Texts                   []template.HTML
}

type inputView struct {
	BlockID, ActionID, Label, Type string
	Options                        []Option
	Multiline                      bool
}

func (s *Server) basePage(r *http.Request, title string) pageData {
	users := slices.DeleteFunc(s.Users(), func(u User) bool { return u.IsBot })
	as := r.URL.Query().Get("as")
	if as == "" && len(users) > 0 {
		as = users[0].ID
	}
	s.mu.Lock()
	bot := s.botURL
	dms := s.dmLinksLocked(as)
	s.mu.Unlock()
	return pageData{Title: title, As: as, Users: users, Flash: r.URL.Query().Get("flash"), BotURL: bot, MyDMs: dms}
}

func (s *Server) render(w http.ResponseWriter, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if err := s.tmpl.Execute(w, d); err != nil {
		s.logf("slacksim: web view: %v", err)
	}
}

func (s *Server) webIndex(w http.ResponseWriter, r *http.Request) {
	s.noteSelf(r)
	d := s.basePage(r, "Slack simulator")
	d.Index = true
	s.mu.Lock()
	for _, id := range s.chanOrder {
		ch := s.channels[id]
		l := channelLink{ID: ch.ID, Name: "#" + ch.Name, Archived: ch.IsArchived, BotIn: ch.isMember(BotUserID), Count: len(ch.messages)}
		if ch.IsIM {
			l.Name, l.User = "@"+s.userNameLocked(ch.User), ch.User
			d.DMs = append(d.DMs, l)
			continue
		}
		d.Channels = append(d.Channels, l)
	}
	d.Usergroups = s.usergroupViewsLocked()
	s.mu.Unlock()
	s.render(w, d)
}

// usergroupViewsLocked lists the user groups with their members' names.
func (s *Server) usergroupViewsLocked() []usergroupView {
	out := make([]usergroupView, 0, len(s.ugOrder))
	for _, id := range s.ugOrder {
		g := s.usergroups[id]
		v := usergroupView{ID: g.ID, Handle: g.Handle, Name: g.Name, Description: g.Description, Disabled: g.Disabled}
		for _, u := range g.Users {
			v.Members = append(v.Members, s.userNameLocked(u))
		}
		for _, c := range g.Channels {
			if ch := s.channels[c]; ch != nil {
				v.Channels = append(v.Channels, "#"+ch.Name)
			}
		}
		out = append(out, v)
	}
	return out
}

func (s *Server) userNameLocked(id string) string {
	if u := s.users[id]; u != nil {
		return u.Name
	}
	return id
}

// namesLocked resolves mentions for the renderer: users, channels and user groups.
func (s *Server) namesLocked() nameResolver {
	return func(kind byte, id string) (string, bool) {
		switch kind {
		case '@':
			if u := s.users[id]; u != nil {
				return u.Name, true
			}
		case '#':
			if ch := s.channels[id]; ch != nil && !ch.IsIM {
				return ch.Name, true
			}
		case '^':
			if g := s.usergroups[id]; g != nil && g.Handle != "" {
				return g.Handle, true
			}
		}
		return "", false
	}
}

func (s *Server) webChannel(w http.ResponseWriter, r *http.Request) {
	s.noteSelf(r)
	d := s.basePage(r, "")
	s.mu.Lock()
	ch := s.channels[r.PathValue("id")]
	if ch == nil {
		s.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	page := &channelPage{ID: ch.ID, Name: "#" + ch.Name, Topic: ch.Topic, Archived: ch.IsArchived}
	if ch.IsIM {
		// Only the DM's user sees it in Slack, so here one acts as them.
		page.DM, page.DMUser = true, s.userNameLocked(ch.User)
		page.Name = "@" + page.DMUser + " ↔ " + BotName
		d.As = ch.User
	}
	for _, m := range ch.members {
		page.Members = append(page.Members, s.userNameLocked(m))
	}
	names := s.namesLocked()
	for _, m := range ch.messages {
		v := s.messageViewLocked(m.Message, names)
		if m.plainText {
			v.Text = renderPlain(m.Text, true)
		}
		page.Messages = append(page.Messages, v)
	}
	for _, e := range s.ephemerals {
		if e.Channel == ch.ID && e.User == d.As {
			page.Ephemerals = append(page.Ephemerals, s.messageViewLocked(Message{TS: e.TS, User: BotUserID, BotID: BotID, Text: e.Text, Blocks: e.Blocks}, names))
		}
	}
	d.MyDMs = s.dmLinksLocked(d.As)
	s.mu.Unlock()
	d.Title, d.Channel = page.Name, page
	s.render(w, d)
}

// dmLinksLocked lists a user's DMs for the sidebar.
func (s *Server) dmLinksLocked(userID string) []channelLink {
	var out []channelLink
	for _, id := range s.chanOrder {
		if ch := s.channels[id]; ch.IsIM && ch.User == userID {
			out = append(out, channelLink{ID: ch.ID, Name: "@" + BotName, Count: len(ch.messages), User: userID})
		}
	}
	return out
}

func (s *Server) messageViewLocked(m Message, names nameResolver) messageView {
	v := messageView{
		TS: m.TS, Anchor: "m-" + strings.ReplaceAll(m.TS, ".", "-"), Author: s.userNameLocked(m.User),
		Text: renderMrkdwn(m.Text, names), Bot: m.BotID != "", Pinned: m.Pinned, Edited: m.Edited != nil,
		Reply: m.ThreadTS != "" && m.ThreadTS != m.TS,
	}
	for _, r := range m.Reactions {
		v.Reactions = append(v.Reactions, renderPlain(":"+r.Name+": "+strconv.Itoa(len(r.Users)), true))
	}
	for _, id := range m.Files {
		if f := s.files[id]; f != nil {
			v.Files = append(v.Files, f.Title)
		}
	}
	v.Blocks = renderBlocks(m.Blocks, names)
	v.Attachments = renderAttachments(m.Attachments, names)
	return v
}

// renderBlocks turns Block Kit JSON into what the template shows; unknown parts are
// named, never dropped silently.
func renderBlocks(raw json.RawMessage, names nameResolver) []blockView {
	if len(raw) == 0 {
		return nil
	}
	var blocks []map[string]json.RawMessage
	if json.Unmarshal(raw, &blocks) != nil {
		return nil
	}
	var out []blockView
	for _, b := range blocks {
		var typ string
		_ = json.Unmarshal(b["type"], &typ)
		v := blockView{Type: typ}
		switch typ {
		case "section", "header":
			v.Text = textHTML(b["text"], names)
			var fields []json.RawMessage
			_ = json.Unmarshal(b["fields"], &fields)
			for _, f := range fields {
				v.Fields = append(v.Fields, textHTML(f, names))
			}
			if acc := elementButton(b["accessory"]); acc != nil {
				v.Accessory = []buttonView{*acc}
			} else if t := elementType(b["accessory"]); t != "" {
				v.Context = append(v.Context, renderPlain("["+t+"]", false))
			}
		case "markdown":
			// Standard Markdown, not mrkdwn: shown as its text.
			var text string
			_ = json.Unmarshal(b["text"], &text)
			v.Text = renderPlain(text, true)
		case "context":
			var els []json.RawMessage
			_ = json.Unmarshal(b["elements"], &els)
			for _, e := range els {
				if t := textHTML(e, names); t != "" {
					v.Context = append(v.Context, t)
				} else if alt := imageAlt(e); alt != "" {
					v.Context = append(v.Context, renderPlain("[image: "+alt+"]", false))
				}
			}
		case "actions":
			var els []json.RawMessage
			_ = json.Unmarshal(b["elements"], &els)
			for _, e := range els {
				if btn := elementButton(e); btn != nil {
					v.Buttons = append(v.Buttons, *btn)
				} else {
					v.Context = append(v.Context, renderPlain("["+elementType(e)+"]", false))
				}
			}
		case "divider":
		default:
			v.Other = typ
		}
		out = append(out, v)
	}
	return out
}

// textObject is a Block Kit text object.
type textObject struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji *bool  `json:"emoji"`
}

// textHTML renders a text object as Slack does: mrkdwn, or plain_text with emoji
// unless "emoji": false.
func textHTML(raw json.RawMessage, names nameResolver) template.HTML {
	var t textObject
	if len(raw) == 0 || json.Unmarshal(raw, &t) != nil {
		return ""
	}
	switch t.Type {
	case "mrkdwn":
		return renderMrkdwn(t.Text, names)
	case "plain_text":
		return renderPlain(t.Text, t.Emoji == nil || *t.Emoji)
	}
	return ""
}

func textOf(raw json.RawMessage) string {
	var t textObject
	if len(raw) == 0 || json.Unmarshal(raw, &t) != nil {
		return ""
	}
	return t.Text
}

func elementType(raw json.RawMessage) string {
	var e struct {
		Type string `json:"type"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &e) != nil {
		return ""
	}
	return e.Type
}

func imageAlt(raw json.RawMessage) string {
	var e struct {
		Type    string `json:"type"`
		AltText string `json:"alt_text"`
	}
	if json.Unmarshal(raw, &e) != nil || e.Type != "image" {
		return ""
	}
	return e.AltText
}

func elementButton(raw json.RawMessage) *buttonView {
	var e struct {
		Type     string          `json:"type"`
		ActionID string          `json:"action_id"`
		Value    string          `json:"value"`
		Style    string          `json:"style"`
		URL      string          `json:"url"`
		Text     json.RawMessage `json:"text"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &e) != nil || e.Type != "button" {
		return nil
	}
	b := &buttonView{Text: textOf(e.Text), ActionID: e.ActionID, Value: e.Value, Style: e.Style, Label: textHTML(e.Text, nil)}
	if safeLinkURL(e.URL) {
		b.URL = e.URL
	} else if e.URL != "" {
		b.URL = "#unsafe-url" // Slack refuses such a button; never a javascript: link here
	}
	return b
}

// renderAttachments renders legacy attachments (text and fields are mrkdwn, as Slack
// formats them by default).
func renderAttachments(raw json.RawMessage, names nameResolver) []attachmentView {
	if len(raw) == 0 {
		return nil
	}
	var list []struct {
		Color    string `json:"color"`
		Pretext  string `json:"pretext"`
		Title    string `json:"title"`
		Text     string `json:"text"`
		Fallback string `json:"fallback"`
		Footer   string `json:"footer"`
		Fields   []struct {
			Title string `json:"title"`
			Value string `json:"value"`
			Short bool   `json:"short"`
		} `json:"fields"`
	}
	if json.Unmarshal(raw, &list) != nil {
		return nil
	}
	var out []attachmentView
	for _, a := range list {
		v := attachmentView{
			Color: attachmentColor(a.Color), Pretext: renderMrkdwn(a.Pretext, names), Title: renderPlain(a.Title, true),
			Text: renderMrkdwn(a.Text, names), Footer: renderPlain(a.Footer, true),
		}
		if a.Text == "" && a.Title == "" && len(a.Fields) == 0 {
			v.Text = renderPlain(a.Fallback, true)
		}
		for _, f := range a.Fields {
			v.Fields = append(v.Fields, attachmentField{Title: renderPlain(f.Title, true), Value: renderMrkdwn(f.Value, names), Short: f.Short})
		}
		out = append(out, v)
	}
	return out
}

// attachmentColor maps Slack's named colours and accepts #rrggbb; anything else is grey.
func attachmentColor(c string) string {
	switch c {
	case "good":
		return "#2eb67d"
	case "warning":
		return "#ecb22e"
	case "danger":
		return "#e01e5a"
	}
	if len(c) == 7 && c[0] == '#' {
		for _, r := range c[1:] {
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return "#dddddd"
			}
		}
		return c
	}
	return "#dddddd"
}

func (s *Server) webArchive(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.PathValue("p"), "p")
	anchor := ""
	if len(p) > 6 {
		anchor = "#m-" + p[:len(p)-6] + "-" + p[len(p)-6:]
	}
	http.Redirect(w, r, "/channels/"+url.PathEscape(r.PathValue("id"))+anchor, http.StatusFound)
}

func (s *Server) webViews(w http.ResponseWriter, r *http.Request) {
	d := s.basePage(r, "Open modals")
	d.ShowViews = true
	views := s.Views()
	s.mu.Lock()
	names := s.namesLocked()
	for _, v := range views {
		if !v.Open || v.User != d.As {
			continue
		}
		d.Views = append(d.Views, viewPageOf(v, names))
	}
	s.mu.Unlock()
	s.render(w, d)
}

func viewPageOf(v View, names nameResolver) viewPage {
	var raw struct {
		Title  json.RawMessage `json:"title"`
		Submit json.RawMessage `json:"submit"`
		Blocks []struct {
			Type    string          `json:"type"`
			BlockID string          `json:"block_id"`
			Label   json.RawMessage `json:"label"`
			Text    json.RawMessage `json:"text"`
			Element struct {
				Type      string `json:"type"`
				ActionID  string `json:"action_id"`
				Multiline bool   `json:"multiline"`
				Options   []struct {
					Text  json.RawMessage `json:"text"`
					Value string          `json:"value"`
				} `json:"options"`
			} `json:"element"`
		} `json:"blocks"`
	}
	_ = json.Unmarshal(v.JSON, &raw)
	p := viewPage{ID: v.ID, Title: textOf(raw.Title), Submit: textOf(raw.Submit), User: v.User, Errors: v.Errors}
	for _, b := range raw.Blocks {
		switch b.Type {
		case "input":
			in := inputView{BlockID: b.BlockID, ActionID: b.Element.ActionID, Label: textOf(b.Label), Type: b.Element.Type, Multiline: b.Element.Multiline}
			for _, o := range b.Element.Options {
				in.Options = append(in.Options, Option{Text: textOf(o.Text), Value: o.Value})
			}
			p.Inputs = append(p.Inputs, in)
		case "section", "header", "context":
			if t := textHTML(b.Text, names); t != "" {
				p.Texts = append(p.Texts, t)
			}
		}
	}
	return p
}

// sameOrigin refuses cross-site form posts: the forms make signed requests to the bot.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		return err == nil && u.Host == r.Host
	}
	return true
}

func (s *Server) webAction(w http.ResponseWriter, r *http.Request) {
	s.noteSelf(r)
	if !sameOrigin(r) {
		http.Error(w, "cross-site request refused", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	as, ch := r.PostFormValue("as"), r.PostFormValue("channel")
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.BotTimeout+time.Second)
	defer cancel()
	var flash string
	back := "/channels/" + url.PathEscape(ch)
	switch r.PathValue("action") {
	case "command":
		line := strings.TrimSpace(r.PostFormValue("line"))
		cmd, text, _ := strings.Cut(line, " ")
		// What Slack's client does for @name and #channel picked from its autocomplete.
		resp, err := s.SlashCommand(ctx, as, ch, cmd, s.Autocomplete(as, strings.TrimSpace(text)))
		flash = outcome("command "+cmd, resp, err)
	case "click":
		resp, err := s.ClickButton(ctx, as, ch, r.PostFormValue("ts"), r.PostFormValue("action_id"), r.PostFormValue("value"))
		flash = outcome("click", resp, err)
	case "pin":
		n := len(s.Events())
		flash = outcome("pin", nil, s.UserPin(ctx, as, ch, r.PostFormValue("ts"))) + s.eventOutcome(n)
	case "react":
		n := len(s.Events())
		flash = outcome("reaction", nil, s.UserReact(ctx, as, ch, r.PostFormValue("ts"), strings.Trim(r.PostFormValue("name"), ":"))) + s.eventOutcome(n)
	case "post":
		n := len(s.Events())
		_, err := s.UserPost(ctx, as, ch, r.PostFormValue("text"))
		flash = outcome("message", nil, err) + s.eventOutcome(n)
	case "submit":
		viewID := r.PostFormValue("view")
		values := map[string]map[string]StateValue{}
		for key, vals := range r.PostForm {
			blockAction, ok := strings.CutPrefix(key, "in:")
			if !ok || len(vals) == 0 {
				continue
			}
			blockID, actionID, _ := strings.Cut(blockAction, "/")
			typ := r.PostFormValue("type:" + blockAction)
			var sv StateValue
			switch typ {
			case "static_select":
				sv = SelectValue(r.PostFormValue("label:"+blockAction+":"+vals[0]), vals[0])
				if vals[0] == "" {
					sv = StateValue{Type: typ}
				}
			case "users_select":
				sv = StateValue{Type: typ, SelectedUser: vals[0]}
			case "conversations_select", "channels_select":
				sv = StateValue{Type: typ, SelectedConversation: vals[0], SelectedChannel: vals[0]}
			default:
				sv = TextValue(vals[0])
				sv.Type = typ
			}
			if values[blockID] == nil {
				values[blockID] = map[string]StateValue{}
			}
			values[blockID][actionID] = sv
		}
		resp, err := s.SubmitView(ctx, as, viewID, values)
		flash = outcome("submit", resp, err)
		back = "/views"
	default:
		http.NotFound(w, r)
		return
	}
	q := url.Values{"as": {as}, "flash": {flash}}
	http.Redirect(w, r, back+"?"+q.Encode(), http.StatusSeeOther)
}

// eventOutcome describes the event deliveries made since the log had n entries.
func (s *Server) eventOutcome(n int) string {
	evs := s.Events()
	if len(evs) <= n {
		return ""
	}
	var b strings.Builder
	for _, ev := range evs[n:] {
		b.WriteString("; " + ev.Type + " event: ")
		if ev.Err != "" {
			b.WriteString(ev.Err)
		} else {
			b.WriteString("bot answered HTTP " + strconv.Itoa(ev.Status))
		}
	}
	return b.String()
}

func outcome(what string, resp *http.Response, err error) string {
	switch {
	case err != nil:
		return what + ": " + err.Error()
	case resp != nil:
		return what + ": bot answered HTTP " + strconv.Itoa(resp.StatusCode)
	}
	return what + ": done"
}

const pageTemplate = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font:15px/1.46 system-ui,sans-serif;margin:0;display:flex;min-height:100vh;color:#1d1c1d}
nav{width:220px;background:#3f0e40;color:#fff;padding:12px}nav a{color:#fff;text-decoration:none}nav h4{margin:12px 0 4px;color:#cfc3cf;font-weight:normal}
main{flex:1;padding:16px;max-width:900px}
.msg{border-bottom:1px solid #eee;padding:8px 0}.msg.reply{margin-left:32px}
.author{font-weight:bold}.ts{color:#888;font-size:12px}.pin{color:#c00}
.block{margin:4px 0}.header{font-size:18px;font-weight:bold}.fields{display:grid;grid-template-columns:1fr 1fr;gap:4px}
.context{color:#616061;font-size:12px}.text{white-space:pre-wrap;word-wrap:break-word}
code{font:12px monospace;color:#e01e5a;background:#f6f6f6;border:1px solid #ddd;border-radius:3px;padding:0 3px}
pre{font:12px monospace;background:#f8f8f8;border:1px solid #ddd;border-radius:4px;padding:8px;margin:4px 0;white-space:pre-wrap}
blockquote{margin:2px 0;padding-left:10px;border-left:4px solid #ddd}
.mention{color:#1264a3;background:#e8f5fa;border-radius:3px;padding:0 2px}a{color:#1264a3}
.attachment{border-left:4px solid #ddd;padding:2px 10px;margin:4px 0}
button.primary{background:#007a5a;color:#fff}button.danger{background:#e01e5a;color:#fff}
.flash{background:#fff4c2;padding:8px;margin-bottom:8px}.eph{background:#f4f4f4;padding:4px 8px}.note{background:#e8f5fa;padding:8px}
form.inline{display:inline}
</style></head><body>
<nav><p><a href="/?as={{.As}}"><b>Slack simulator</b></a></p>
<form method="get" id="asform"><label>Acting as<br><select name="as" id="as">{{range .Users}}<option value="{{.ID}}"{{if eq .ID $.As}} selected{{end}}>{{.Name}} ({{.ID}})</option>{{end}}</select></label>
<noscript><button>switch</button></noscript></form>
<h4>Direct messages</h4>{{range .MyDMs}}<p><a href="/channels/{{.ID}}?as={{$.As}}" class="dm">{{.Name}}</a> ({{.Count}})</p>{{else}}<p><i>none yet</i></p>{{end}}
<p><a href="/views?as={{.As}}">Open modals</a></p>
<p>Bot URL: {{if .BotURL}}{{.BotURL}}{{else}}<i>not set</i>{{end}}</p></nav>
<main>
{{if .Flash}}<div class="flash">{{.Flash}}</div>{{end}}
{{if .Index}}
<h2>Channels</h2><ul>{{range .Channels}}<li><a href="/channels/{{.ID}}?as={{$.As}}">{{.Name}}</a> {{.Count}} {{if eq .Count 1}}message{{else}}messages{{end}}{{if .Archived}} (archived){{end}}{{if .BotIn}} · bot is a member{{end}}</li>{{end}}</ul>
<h2>Direct messages</h2>{{if .DMs}}<ul>{{range .DMs}}<li><a href="/channels/{{.ID}}?as={{.User}}">{{.Name}} ↔ incidentbot</a> {{.Count}} {{if eq .Count 1}}message{{else}}messages{{end}}</li>{{end}}</ul>{{else}}<p class="context">The bot has not written to anyone yet.</p>{{end}}
<h2>User groups</h2><ul>{{range .Usergroups}}<li class="usergroup"><b>@{{.Handle}}</b> {{.Name}}{{if .Disabled}} (disabled){{end}}: {{range .Members}}<span class="mention">@{{.}}</span> {{else}}<i>no members</i>{{end}}{{if .Description}}<br><span class="context">{{.Description}}</span>{{end}}{{if .Channels}}<br><span class="context">default channels: {{range .Channels}}{{.}} {{end}}</span>{{end}}</li>{{else}}<li><i>none</i></li>{{end}}</ul>
{{end}}
{{with .Channel}}
<h2>{{.Name}}{{if .Archived}} (archived){{end}}</h2>
{{if .DM}}<p class="note">Only @{{.DMUser}} sees this conversation with the bot: here you act as {{.DMUser}}.</p>{{end}}
{{if .Topic}}<p>Topic: {{.Topic}}</p>{{end}}
<p class="context">Members: {{range .Members}}{{.}} {{end}}</p>
{{range .Messages}}<div class="msg{{if .Reply}} reply{{end}}" id="{{.Anchor}}">
<span class="author">{{.Author}}{{if .Bot}} [bot]{{end}}</span> <span class="ts">{{.TS}}{{if .Edited}} (edited){{end}}</span>
{{if .Pinned}}<span class="pin">📌 pinned</span>{{end}}
{{template "content" (msg $.As $.Channel.ID .)}}
{{if .Files}}<div class="context">Files: {{range .Files}}{{.}} {{end}}</div>{{end}}
{{if .Reactions}}<div>{{range .Reactions}}<span>{{.}} </span>{{end}}</div>{{end}}
<form class="inline" method="post" action="/ui/pin"><input type="hidden" name="as" value="{{$.As}}"><input type="hidden" name="channel" value="{{$.Channel.ID}}"><input type="hidden" name="ts" value="{{.TS}}"><button>📌 Pin</button></form>
<form class="inline" method="post" action="/ui/react"><input type="hidden" name="as" value="{{$.As}}"><input type="hidden" name="channel" value="{{$.Channel.ID}}"><input type="hidden" name="ts" value="{{.TS}}"><input name="name" value="pushpin" size="10"><button>React</button></form>
</div>{{end}}
{{if .Ephemerals}}<h3>Only visible to you</h3>{{range .Ephemerals}}<div class="msg eph" id="{{.Anchor}}">{{template "content" (msg $.As $.Channel.ID .)}}</div>{{end}}{{end}}
<h3>Slash command</h3>
<form method="post" action="/ui/command"><input type="hidden" name="as" value="{{$.As}}"><input type="hidden" name="channel" value="{{.ID}}">
<input name="line" size="60" placeholder="/incident declare Database down sev1"><button>Send</button></form>
<h3>Message</h3>
<form method="post" action="/ui/post"><input type="hidden" name="as" value="{{$.As}}"><input type="hidden" name="channel" value="{{.ID}}">
<input name="text" size="60"><button>Post</button></form>
{{end}}
{{if .ShowViews}}<h2>Open modals</h2>{{range .Views}}<fieldset><legend>{{.Title}} ({{.ID}})</legend>
{{range .Texts}}<p class="text">{{.}}</p>{{end}}
<form method="post" action="/ui/submit"><input type="hidden" name="as" value="{{$.As}}"><input type="hidden" name="view" value="{{.ID}}">
{{$errs := .Errors}}
{{range .Inputs}}<p><label>{{.Label}}<br>
<input type="hidden" name="type:{{.BlockID}}/{{.ActionID}}" value="{{.Type}}">
{{if .Options}}{{$in := .}}<select name="in:{{.BlockID}}/{{.ActionID}}"><option value=""></option>{{range .Options}}<option value="{{.Value}}">{{.Text}}</option>{{end}}</select>
{{range .Options}}<input type="hidden" name="label:{{$in.BlockID}}/{{$in.ActionID}}:{{.Value}}" value="{{.Text}}">{{end}}
{{else if eq .Type "users_select"}}<select name="in:{{.BlockID}}/{{.ActionID}}"><option value=""></option>{{range $.Users}}<option value="{{.ID}}">{{.Name}}</option>{{end}}</select>
{{else if .Multiline}}<textarea name="in:{{.BlockID}}/{{.ActionID}}" rows="4" cols="60"></textarea>
{{else}}<input name="in:{{.BlockID}}/{{.ActionID}}" size="60">{{end}}</label>
{{with index $errs .BlockID}}<br><span class="pin">{{.}}</span>{{end}}</p>{{end}}
<button>{{if .Submit}}{{.Submit}}{{else}}Submit{{end}}</button></form></fieldset>{{else}}<p>No open modals for this user.</p>{{end}}{{end}}
</main>
<script>document.getElementById("as").addEventListener("change",function(){document.getElementById("asform").submit()});</script>
</body></html>
{{define "content"}}{{$c := .}}{{with .M}}
{{if .Blocks}}{{if .Text}}<details class="context"><summary>notification text</summary><div class="text">{{.Text}}</div></details>{{end}}{{else if .Text}}<div class="text">{{.Text}}</div>{{end}}
{{$ts := .TS}}
{{range .Blocks}}<div class="block {{.Type}}">
{{if .Text}}<div class="text">{{.Text}}</div>{{end}}
{{if .Fields}}<div class="fields">{{range .Fields}}<div class="text">{{.}}</div>{{end}}</div>{{end}}
{{range .Context}}<span class="context">{{.}} </span>{{end}}
{{range .Accessory}}{{template "button" (btn $c.As $c.Channel $ts .)}}{{end}}
{{range .Buttons}}{{template "button" (btn $c.As $c.Channel $ts .)}}{{end}}
{{if .Other}}<span class="context">[{{.Other}} block]</span>{{end}}
</div>{{end}}
{{range .Attachments}}<div class="attachment" style="border-left-color:{{.Color}}">
{{if .Pretext}}<div class="text">{{.Pretext}}</div>{{end}}{{if .Title}}<div><b>{{.Title}}</b></div>{{end}}{{if .Text}}<div class="text">{{.Text}}</div>{{end}}
{{if .Fields}}<div class="fields">{{range .Fields}}<div><b>{{.Title}}</b><div class="text">{{.Value}}</div></div>{{end}}</div>{{end}}
{{if .Footer}}<div class="context">{{.Footer}}</div>{{end}}</div>{{end}}
{{end}}{{end}}
{{define "button"}}{{if .Button.URL}}<a href="{{.Button.URL}}" rel="noopener noreferrer" target="_blank">{{.Button.Label}}</a>{{else}}<form class="inline" method="post" action="/ui/click"><input type="hidden" name="as" value="{{.As}}"><input type="hidden" name="channel" value="{{.Channel}}"><input type="hidden" name="ts" value="{{.TS}}"><input type="hidden" name="action_id" value="{{.Button.ActionID}}"><input type="hidden" name="value" value="{{.Button.Value}}"><button class="{{.Button.Style}}">{{.Button.Label}}</button></form>{{end}}{{end}}
`
