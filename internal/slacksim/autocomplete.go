package slacksim

import "strings"

// Autocomplete turns text typed in the web view into what Slack's client
// sends for it: @name of a workspace user becomes <@U…|name>, and #name of a
// channel userID can see becomes <#C…|name>, as when the name is picked
// from the client's autocomplete. Unknown names, and @ or # inside a word,
// a link or a mention already in Slack's form (alice@example.com,
// https://x/#top, <@U1|bob>), stay as typed; so does #42, unless a channel
// is named 42.
func (s *Server) Autocomplete(userID, text string) string {
	if !strings.ContainsAny(text, "@#") {
		return text
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for i := 0; i < len(text); {
		c := text[i]
		if (c != '@' && c != '#') || (i > 0 && !mentionBoundary(text[i-1])) {
			b.WriteByte(c)
			i++
			continue
		}
		j := i + 1
		for j < len(text) && nameByte(text[j]) {
			j++
		}
		name := strings.TrimRight(text[i+1:j], ".") // "@alice." ends a sentence
		if token, ok := s.autocompleteLocked(userID, c, name); ok {
			b.WriteString(token)
			i += 1 + len(name)
			continue
		}
		b.WriteString(text[i:j])
		i = j
	}
	return b.String()
}

// autocompleteLocked is Slack's form of @name or #name, when it names someone
// or a channel userID can see.
func (s *Server) autocompleteLocked(userID string, kind byte, name string) (string, bool) {
	if name == "" {
		return "", false
	}
	if kind == '@' {
		for _, u := range s.users {
			if !u.Deleted && strings.EqualFold(u.Name, name) {
				return "<@" + u.ID + "|" + u.Name + ">", true
			}
		}
		return "", false
	}
	for _, ch := range s.channels {
		if ch.IsIM || !strings.EqualFold(ch.Name, name) || ch.IsPrivate && !ch.isMember(userID) {
			continue
		}
		return "<#" + ch.ID + "|" + ch.Name + ">", true
	}
	return "", false
}

// mentionBoundary reports whether an @ or # after c starts a name: after a
// space or punctuation, not inside a word, a URL or Slack's own <…> form.
func mentionBoundary(c byte) bool {
	return !nameByte(c) && !strings.ContainsRune("<|/:&#@", rune(c))
}

// nameByte reports a byte of a user handle or channel name.
func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_'
}
