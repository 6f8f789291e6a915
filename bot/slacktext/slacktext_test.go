package slacktext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscapeMrkdwn(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain text, *bold* _it_", "plain text, *bold* _it_"},
		{"<!channel>", "&lt;!channel&gt;"},
		{"<!here> wake up", "&lt;!here&gt; wake up"},
		{"<!everyone>", "&lt;!everyone&gt;"},
		{"hi <@U123>", "hi &lt;@U123&gt;"},
		{"<https://evil|click>", "&lt;https://evil|click&gt;"},
		{"<#C123|general>", "&lt;#C123|general&gt;"},
		{"a & b", "a &amp; b"},
		{"&amp;", "&amp;amp;"}, // literal text stays literal: no double-decoding
		{"&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"},
		{"x > 5 && y < 3", "x &gt; 5 &amp;&amp; y &lt; 3"},
		{"Ошибка <база>", "Ошибка &lt;база&gt;"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := Escape(tt.in)
			if got != tt.want {
				t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if strings.ContainsAny(got, "<>") {
				t.Errorf("Escape(%q) = %q still holds < or >", tt.in, got)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello", 4, "hel…"},
		{"hello", 1, "…"},
		{"hello", 0, ""},
		{"hello", -3, ""},
		{"", 3, ""},
		{"привет мир", 7, "привет…"},
		{"日本語のテキスト", 4, "日本語…"},
		{"🚨🔥💥🚒", 3, "🚨🔥…"},
		{"🚨🔥💥", 3, "🚨🔥💥"},
	}
	for _, tt := range tests {
		got := Truncate(tt.in, tt.max)
		if got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Truncate(%q, %d) = %q is not valid UTF-8", tt.in, tt.max, got)
		}
		if tt.max >= 0 && utf8.RuneCountInString(got) > tt.max {
			t.Errorf("Truncate(%q, %d) has %d characters, want ≤ %d", tt.in, tt.max, utf8.RuneCountInString(got), tt.max)
		}
	}
}

func TestEscapeTruncateKeepsEntitiesWhole(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"a<b", 10, "a&lt;b"},
		{"a<bcdef", 4, "a…"},     // "&lt;" does not fit in the 3 left
		{"a<bcdef", 6, "a&lt;…"}, // it does here
		{"&&&&", 6, "&amp;…"},
	}
	for _, tt := range tests {
		if got := EscapeTruncate(tt.in, tt.max); got != tt.want {
			t.Errorf("EscapeTruncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestLink(t *testing.T) {
	tests := []struct {
		name, url, text, want string
	}{
		{"plain", "https://prom.example/graph?g0.expr=up&g0.tab=1", "Source", "<https://prom.example/graph?g0.expr=up&amp;g0.tab=1|Source>"},
		{"text with pipe and angle", "http://x.example/", "a|b>c", "<http://x.example/|a¦b&gt;c>"},
		{"url with pipe and angle", "http://x.example/a|b>c<d", "t", "<http://x.example/a%7Cb%3Ec%3Cd|t>"},
		{"url with space", "http://x.example/a b", "t", "<http://x.example/a%20b|t>"},
		{"javascript scheme", "javascript:alert(1)", "click <here>", "click &lt;here&gt;"},
		{"slack scheme", "slack://open", "x", "x"},
		{"relative", "/graph", "x", "x"},
		{"no host", "http://", "x", "x"},
		{"empty text", "https://a.example", "", "<https://a.example>"},
		{"forged link in text", "https://a.example", "<https://evil|click>", "<https://a.example|&lt;https://evil¦click&gt;>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Link(tt.url, tt.text); got != tt.want {
				t.Errorf("Link(%q, %q) = %q, want %q", tt.url, tt.text, got, tt.want)
			}
		})
	}
}

func TestMentions(t *testing.T) {
	tests := []struct{ got, want string }{
		{UserMention("U123ABC"), "<@U123ABC>"},
		{UserMention("W123"), "<@W123>"},
		{UserMention("u123"), "u123"},
		{UserMention("U1><!channel"), "U1&gt;&lt;!channel"},
		{UserMention(""), ""},
		{ChannelMention("C0123"), "<#C0123>"},
		{ChannelMention("#general"), "#general"},
		{ChannelMention("C1|x"), "C1|x"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

func TestUnescapeSlack(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"db &lt;primary&gt; &amp; replica", "db <primary> & replica"},
		{"&amp;lt;", "&lt;"},
		{"ask <@U123|alice> now", "ask @alice now"},
		{"ask <@U123>", "ask @U123"},
		{"in <#C1|general>", "in #general"},
		{"in <#C1>", "in #C1"},
		{"<!here> and <!channel>", "@here and @channel"},
		{"<!subteam^S1|@sre>", "@sre"},
		{"<!date^1392734382^{date}|Feb 18>", "Feb 18"},
		{"see <https://x.example/a?b=1&amp;c=2|the graph>", "see the graph (https://x.example/a?b=1&c=2)"},
		{"see <https://x.example>", "see https://x.example"},
		{"unclosed <@U1 tag", "unclosed <@U1 tag"},
	}
	for _, tt := range tests {
		got := Unescape(tt.in)
		if got != tt.want {
			t.Errorf("Unescape(%q) = %q, want %q", tt.in, got, tt.want)
		}
		// Unescape then escape never yields a live mention.
		if e := Escape(got); strings.ContainsAny(e, "<>") {
			t.Errorf("Escape(Unescape(%q)) = %q holds < or >", tt.in, e)
		}
	}
}
