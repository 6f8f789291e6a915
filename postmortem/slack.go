package postmortem

import "strings"

// slackText turns Slack markup into plain text: <@U1> and <@U1|name> become
// @name, <#C1|chan> #chan, <!here> @here. With message set (text as Slack
// sends it, such as a pinned message) also <url|label> becomes
// "label (url)" and &lt; &gt; &amp; their characters; without it (text the
// bot stored plain, where only its own mentions are markup) any other <…>
// is left as it is. The result is still untrusted: templates escape it.
func slackText(s string, names map[string]string, message bool) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		if tok, ok := slackToken(s[i+1:i+j], names, message); ok {
			b.WriteString(tok)
		} else {
			b.WriteString(s[i : i+j+1])
		}
		s = s[i+j+1:]
	}
	b.WriteString(s)
	if !message {
		return b.String()
	}
	return slackEntities.Replace(b.String())
}

// slackEntities are the three entities Slack escapes in message text.
var slackEntities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

func slackToken(tok string, names map[string]string, message bool) (string, bool) {
	target, label, _ := strings.Cut(tok, "|")
	switch {
	case strings.HasPrefix(target, "@") && looksLikeSlackID(target[1:]):
		if n := names[target[1:]]; n != "" {
			return "@" + n, true
		}
		if label != "" {
			return "@" + strings.TrimPrefix(label, "@"), true
		}
		return target, true
	case strings.HasPrefix(target, "#C") && label != "":
		return "#" + strings.TrimPrefix(label, "#"), true
	case target == "!here" || target == "!channel" || target == "!everyone":
		return "@" + target[1:], true
	case strings.HasPrefix(target, "!subteam^") && label != "":
		return label, true
	case !message:
		return "", false
	case strings.HasPrefix(target, "!"):
		if label != "" {
			return label, true
		}
		return "", false
	}
	if label != "" && label != target {
		return label + " (" + target + ")", true
	}
	return target, true
}
