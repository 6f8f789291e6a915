package slacksim

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Slack's documented limits on views.
const (
	maxViewTitle    = 24
	maxViewButton   = 24
	maxCallbackID   = 255
	maxExternalID   = 255
	maxPrivateMeta  = 3000
	maxViewBytes    = 250 << 10
	maxTriggersKept = 1000
)

func (s *Server) userJSON(u *user) obj {
	offset, label := 0, u.TZ
	if loc, err := time.LoadLocation(u.TZ); err == nil {
		label, offset = s.now().In(loc).Zone()
	}
	return obj{
		"id": u.ID, "team_id": TeamID, "name": u.Name, "deleted": u.Deleted,
		"real_name": u.RealName, "tz": u.TZ, "tz_label": label, "tz_offset": offset,
		"is_bot": u.IsBot, "is_admin": u.IsAdmin, "is_owner": false, "is_app_user": false,
		"is_restricted": false, "is_ultra_restricted": false, "updated": 0,
		"profile": obj{
			"real_name": u.RealName, "real_name_normalized": u.RealName,
			"display_name": u.Name, "display_name_normalized": u.Name,
			"email": u.Email, "team": TeamID,
		},
	}
}

func (s *Server) usersInfo(c *call) (obj, *apiError) {
	u := s.users[c.arg("user")]
	if u == nil {
		return nil, fail("user_not_found")
	}
	return obj{"user": s.userJSON(u)}, nil
}

func (s *Server) usersLookupByEmail(c *call) (obj, *apiError) {
	email := c.arg("email")
	for _, id := range s.userOrder {
		if u := s.users[id]; email != "" && strings.EqualFold(u.Email, email) && !u.Deleted {
			return obj{"user": s.userJSON(u)}, nil
		}
	}
	return nil, fail("users_not_found")
}

// trigger is a trigger_id handed to the bot with a command or interaction.
type trigger struct {
	id      string
	user    string
	channel string
	issued  time.Time
	used    bool
}

// view is a modal, with the JSON the API returns for it.
type view struct {
	View
	obj obj
}

func (v *view) snapshot() View {
	out := v.View
	out.JSON = slices.Clone(v.JSON)
	if v.Errors != nil {
		out.Errors = make(map[string]string, len(v.Errors))
		for k, e := range v.Errors {
			out.Errors[k] = e
		}
	}
	return out
}

// IssueTrigger hands out a trigger_id for userID, valid for 3 seconds of the
// simulator's clock and usable once, as an interaction would. Tests that call
// views.open directly use it.
func (s *Server) IssueTrigger(userID, channelID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueTriggerLocked(userID, channelID)
}

func (s *Server) issueTriggerLocked(userID, channelID string) string {
	now := s.now()
	if len(s.triggers) >= maxTriggersKept {
		for id, t := range s.triggers {
			if t.used || now.Sub(t.issued) > triggerLifetime {
				delete(s.triggers, id)
			}
		}
		for id := range s.triggers { // still full: drop arbitrary ones
			if len(s.triggers) < maxTriggersKept {
				break
			}
			delete(s.triggers, id)
		}
	}
	s.seq++
	id := strconv.FormatInt(now.Unix(), 10) + "." + strconv.FormatUint(s.seq, 10) + "." + randomHex(16)
	s.triggers[id] = &trigger{id: id, user: userID, channel: channelID, issued: now}
	return id
}

// checkTrigger finds a usable trigger without consuming it.
func (s *Server) checkTrigger(id string) (*trigger, *apiError) {
	t := s.triggers[id]
	switch {
	case id == "" || t == nil:
		return nil, fail("invalid_trigger_id")
	case t.used:
		return nil, fail("exchanged_trigger_id")
	case s.now().Sub(t.issued) > triggerLifetime:
		return nil, fail("expired_trigger_id")
	}
	return t, nil
}

// parseView decodes and validates a view argument (a modal).
func parseView(raw string) (obj, *apiError) {
	if strings.TrimSpace(raw) == "" {
		return nil, failWith("invalid_arguments", "[ERROR] missing required field: view")
	}
	if len(raw) > maxViewBytes {
		return nil, fail("view_too_large")
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v obj
	if err := dec.Decode(&v); err != nil || v == nil {
		return nil, failWith("invalid_arguments", "[ERROR] failed to parse view [json-pointer:/view]")
	}
	var b blockCheck
	if v["type"] != "modal" {
		b.add("/view/type", "must be a valid enum value")
	}
	if t, ok := v["title"]; ok {
		b.text(t, "/view/title", maxViewTitle, "plain_text")
	} else {
		b.add("/view", "missing required field: title")
	}
	for _, f := range []string{"submit", "close"} {
		if t, ok := v[f]; ok {
			b.text(t, "/view/"+f, maxViewButton, "plain_text")
		}
	}
	b.maxLen(v, "callback_id", "/view", maxCallbackID)
	b.maxLen(v, "external_id", "/view", maxExternalID)
	b.maxLen(v, "private_metadata", "/view", maxPrivateMeta)
	rawBlocks, ok := v["blocks"]
	if !ok {
		b.add("/view", "missing required field: blocks")
	}
	blocksJSON, _ := json.Marshal(rawBlocks)
	blocks, okBlocks := parseBlocks(string(blocksJSON))
	if ok && !okBlocks {
		b.add("/view/blocks", "must be an array of objects")
	}
	if okBlocks {
		b.errs = append(b.errs, checkBlocks(blocks, "modal", "/view/blocks")...)
		hasInput := slices.ContainsFunc(blocks, func(bl map[string]any) bool { return bl["type"] == "input" })
		if _, hasSubmit := v["submit"]; hasInput && !hasSubmit {
			b.add("/view", "must provide submit if using input blocks")
		}
	}
	if len(b.errs) > 0 {
		msgs := make([]string, len(b.errs))
		for i, e := range b.errs {
			msgs[i] = "[ERROR] " + e
		}
		return nil, failWith("invalid_arguments", msgs...)
	}
	return v, nil
}

func (s *Server) viewsOpen(c *call) (obj, *apiError) {
	t, err := s.checkTrigger(c.arg("trigger_id"))
	if err != nil {
		return nil, err
	}
	v, err := parseView(c.arg("view"))
	if err != nil {
		return nil, err
	}
	ext, _ := v["external_id"].(string)
	if ext != "" && s.viewByExternalLocked(ext) != nil {
		return nil, fail("duplicate_external_id")
	}
	t.used = true
	vw := &view{View: View{ID: s.nextIDLocked("V"), User: t.user, TriggerID: t.id, ExternalID: ext, Open: true}}
	s.storeViewLocked(vw, v)
	s.views[vw.ID] = vw
	s.viewOrder = append(s.viewOrder, vw.ID)
	if over := len(s.viewOrder) - s.opts.MaxRecords; over > 0 {
		for _, id := range s.viewOrder[:over] {
			delete(s.views, id)
		}
		s.viewOrder = slices.Delete(s.viewOrder, 0, over)
	}
	return obj{"view": vw.obj}, nil
}

// storeViewLocked sets a view's content from a validated view payload and gives it a
// new hash.
func (s *Server) storeViewLocked(vw *view, v obj) {
	s.seq++
	vw.Hash = strconv.FormatInt(s.now().Unix(), 10) + "." + strconv.FormatUint(s.seq, 36)
	vw.CallbackID, _ = v["callback_id"].(string)
	vw.PrivateMetadata, _ = v["private_metadata"].(string)
	out := obj{}
	for k, val := range v {
		out[k] = val
	}
	for _, f := range []string{"callback_id", "private_metadata", "external_id"} {
		if _, ok := out[f]; !ok {
			out[f] = ""
		}
	}
	out["id"], out["team_id"], out["hash"] = vw.ID, TeamID, vw.Hash
	out["root_view_id"], out["previous_view_id"] = vw.ID, nil
	out["app_id"], out["bot_id"], out["app_installed_team_id"] = AppID, BotID, TeamID
	out["state"] = obj{"values": obj{}}
	if _, ok := out["clear_on_close"]; !ok {
		out["clear_on_close"] = false
	}
	if _, ok := out["notify_on_close"]; !ok {
		out["notify_on_close"] = false
	}
	vw.obj = out
	vw.JSON, _ = json.Marshal(out)
}

func (s *Server) viewByExternalLocked(ext string) *view {
	for _, id := range s.viewOrder {
		if v := s.views[id]; v.ExternalID == ext {
			return v
		}
	}
	return nil
}

func (s *Server) viewsUpdate(c *call) (obj, *apiError) {
	var vw *view
	switch id, ext := c.arg("view_id"), c.arg("external_id"); {
	case id != "":
		vw = s.views[id]
	case ext != "":
		vw = s.viewByExternalLocked(ext)
	default:
		return nil, failWith("invalid_arguments", "[ERROR] must provide view_id or external_id")
	}
	if vw == nil || !vw.Open {
		return nil, fail("not_found")
	}
	if h := c.arg("hash"); h != "" && h != vw.Hash {
		return nil, fail("hash_conflict")
	}
	v, err := parseView(c.arg("view"))
	if err != nil {
		return nil, err
	}
	if ext, _ := v["external_id"].(string); ext != "" && ext != vw.ExternalID {
		if s.viewByExternalLocked(ext) != nil {
			return nil, fail("duplicate_external_id")
		}
		vw.ExternalID = ext
	}
	s.storeViewLocked(vw, v)
	return obj{"view": vw.obj}, nil
}

// file is an upload in progress or done.
type file struct {
	File
}

func (s *Server) filesGetUploadURLExternal(c *call) (obj, *apiError) {
	name := c.arg("filename")
	if name == "" {
		return nil, failWith("invalid_arguments", "[ERROR] missing required field: filename")
	}
	n, err := strconv.Atoi(c.arg("length"))
	switch {
	case c.arg("length") == "" || (err == nil && n == 0):
		return nil, fail("missing_argument")
	case err != nil || n < 0:
		return nil, failWith("invalid_arguments", "[ERROR] invalid length")
	case n > maxUploadBody:
		return nil, fail("file_upload_size_restricted")
	}
	if utf8.RuneCountInString(c.arg("alt_txt")) > 1000 {
		return nil, fail("alt_txt_too_large")
	}
	f := &file{File{ID: s.nextIDLocked("F"), Name: name, Title: name, Length: n}}
	s.files[f.ID] = f
	s.fileOrder = append(s.fileOrder, f.ID)
	if over := len(s.fileOrder) - s.opts.MaxRecords; over > 0 {
		for _, id := range s.fileOrder[:over] {
			delete(s.files, id)
		}
		s.fileOrder = slices.Delete(s.fileOrder, 0, over)
	}
	return obj{"upload_url": c.base + "/upload/" + f.ID, "file_id": f.ID}, nil
}

// serveUpload receives a file's bytes, raw or multipart, at the URL that
// files.getUploadURLExternal handed out.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUploadBody))
	if err != nil {
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	if mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "multipart/form-data" {
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		var content []byte
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if p.FileName() != "" || p.FormName() == "file" || p.FormName() == "filename" {
				content, _ = io.ReadAll(io.LimitReader(p, maxUploadBody))
				break
			}
		}
		body = content
	}
	s.mu.Lock()
	f := s.files[id]
	if f == nil || f.Completed {
		s.mu.Unlock()
		http.Error(w, "invalid upload", http.StatusNotFound)
		return
	}
	f.Uploaded = true
	f.Content = slices.Clone(body[:min(len(body), maxStoredFileContent)])
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "OK - "+strconv.Itoa(len(body)))
}

func (s *Server) filesCompleteUploadExternal(c *call) (obj, *apiError) {
	var list []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(c.arg("files")), &list); err != nil || len(list) == 0 {
		return nil, failWith("invalid_arguments", "[ERROR] missing required field: files")
	}
	var picked []*file
	for _, item := range list {
		f := s.files[item.ID]
		if f == nil || !f.Uploaded || f.Completed {
			return nil, fail("file_not_found")
		}
		picked = append(picked, f)
	}
	targets := splitList(c.arg("channels"))
	if id := c.arg("channel_id"); id != "" {
		targets = append([]string{id}, targets...)
	}
	var chans []*channel
	for _, id := range targets {
		ch := s.channels[id]
		if ch == nil {
			return nil, fail("invalid_channel")
		}
		if ch.IsArchived || !ch.isMember(BotUserID) {
			return nil, fail("posting_to_channel_denied")
		}
		chans = append(chans, ch)
	}
	out := make([]obj, 0, len(picked))
	for i, f := range picked {
		if list[i].Title != "" {
			f.Title = list[i].Title
		}
		f.Completed = true
		out = append(out, obj{"id": f.ID, "title": f.Title})
	}
	ids := make([]string, len(picked))
	for i, f := range picked {
		ids[i] = f.ID
	}
	for i, ch := range chans {
		if i == 0 {
			for _, f := range picked {
				f.Channel = ch.ID
			}
		}
		m := s.postLocked(ch, BotUserID, content{text: c.arg("initial_comment")}, c.arg("thread_ts"))
		m.Files = slices.Clone(ids)
	}
	return obj{"files": out}, nil
}
