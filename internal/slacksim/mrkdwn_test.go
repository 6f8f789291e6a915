package slacksim

import "testing"

// TestTypedTextIsEscapedAsSlackDoes: a command's text reaches the bot with
// the typed &, < and > as entities, and Slack's own tokens intact.
func TestTypedTextIsEscapedAsSlackDoes(t *testing.T) {
	for in, want := range map[string]string{
		"declare Payments <b>down</b> & out":       "declare Payments &lt;b&gt;down&lt;/b&gt; &amp; out",
		"role scribe <@U0003|carol>":               "role scribe <@U0003|carol>",
		"note see <https://x.example/a?b=1> <#C1>": "note see <https://x.example/a?b=1> <#C1>",
		"note <!subteam^S1|@oncall> a>b":           "note <!subteam^S1|@oncall> a&gt;b",
		"note already &lt;b&gt; &amp; fine":        "note already &lt;b&gt; &amp; fine",
		"note <javascript:alert(1)>":               "note &lt;javascript:alert(1)&gt;",
	} {
		if got := typedText(in); got != want {
			t.Errorf("typedText(%q) = %q, want %q", in, got, want)
		}
	}
}
