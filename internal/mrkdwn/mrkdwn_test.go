package mrkdwn

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func testNames(kind byte, id string) (string, bool) {
	names := map[string]string{"@U0001": "alice", "#C0001": "incidents", "^S0001": "oncall-primary", "@U0666": "<b>evil</b>"}
	name, ok := names[string(kind)+id]
	return name, ok
}

func TestRenderMrkdwn(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "hello", "hello"},
		{"bold", "*Severity*\nsev1", "<b>Severity</b>\nsev1"},
		{"italic", "_slow_ queries", "<i>slow</i> queries"},
		{"strike", "~fixed~ not yet", "<s>fixed</s> not yet"},
		{"nested", "*bold _and italic_*", "<b>bold <i>and italic</i></b>"},
		{"markers inside words stay", "snake_case_name and 2*3*4", "snake_case_name and 2*3*4"},
		{"marker before a space stays", "* not bold *", "* not bold *"},
		{"double marker: the inner pair counts", "**x**", "*<b>x</b>*"},
		{"unclosed", "*open", "*open"},
		{"bold does not cross lines", "*a\nb*", "*a\nb*"},
		{"bold ends before punctuation", "*done*, then", "<b>done</b>, then"},
		{"code", "run `rm -rf *tmp*` now", "run <code>rm -rf *tmp*</code> now"},
		{"code keeps entities decoded and escaped", "`a &lt;b&gt; &amp;`", "<code>a &lt;b&gt; &amp;</code>"},
		{"empty code", "``", "``"},
		{"pre", "```\nSELECT *\nFROM t\n```", "<pre>SELECT *\nFROM t</pre>"},
		{"pre mid-line", "see ```x *y*``` ok", "see <pre>x *y*</pre> ok"},
		{"unclosed pre", "```abc", "```abc"},
		{"quote", "> first\n> second\nafter", "<blockquote>first\nsecond</blockquote>after"},
		{"escaped quote", "&gt; typed by a user", "<blockquote>typed by a user</blockquote>"},
		{"gt mid-line", "5 &gt; 3", "5 &gt; 3"},
		{"link with text", "<http://prometheus:9090/graph?g0.expr=a&amp;g0.tab=1|Source>",
			`<a href="http://prometheus:9090/graph?g0.expr=a&amp;g0.tab=1" rel="noopener noreferrer nofollow" target="_blank">Source</a>`},
		{"bare link", "<https://example.com/x>", `<a href="https://example.com/x" rel="noopener noreferrer nofollow" target="_blank">https://example.com/x</a>`},
		{"mailto", "<mailto:sre@example.com|mail us>", `<a href="mailto:sre@example.com" rel="noopener noreferrer nofollow" target="_blank">mail us</a>`},
		{"upper-case scheme", "<HTTPS://example.com|x>", `<a href="HTTPS://example.com" rel="noopener noreferrer nofollow" target="_blank">x</a>`},
		{"javascript is no link", "<javascript:alert(1)|click>", "click"},
		{"data is no link", "<data:text/html,<b>x</b>|y>", "data:text/html,&lt;bx/b|y&gt;"},
		{"spaces in a URL", "<http://a b|c>", "c"},
		{"link text is escaped", `<https://x.example|"><script>>`, `<a href="https://x.example" rel="noopener noreferrer nofollow" target="_blank">&#34;</a>script&gt;`},
		{"quote in a URL is escaped", `<https://x.example/"onmouseover="a|t>`, `<a href="https://x.example/&#34;onmouseover=&#34;a" rel="noopener noreferrer nofollow" target="_blank">t</a>`},
		{"user", "Commander: <@U0001>", `Commander: <span class="mention">@alice</span>`},
		{"unknown user", "<@U0404>", `<span class="mention">@U0404</span>`},
		{"user name is escaped", "<@U0666>", `<span class="mention">@&lt;b&gt;evil&lt;/b&gt;</span>`},
		{"channel", "in <#C0001>", `in <span class="mention">#incidents</span>`},
		{"channel with a label", "<#C0404|inc-7-db>", `<span class="mention">#inc-7-db</span>`},
		{"here", "<!here> and <!channel>", `<span class="mention">@here</span> and <span class="mention">@channel</span>`},
		{"user group", "<!subteam^S0001>", `<span class="mention">@oncall-primary</span>`},
		{"unknown user group", "<!subteam^S0404|@sre>", `<span class="mention">@sre</span>`},
		{"date fallback", "<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014"},
		{"entities", "a &amp; b &lt;c&gt; &quot;", "a &amp; b &lt;c&gt; &amp;quot;"},
		{"raw html is escaped", `<b>bold</b> "q" 'a'`, "bbold/b &#34;q&#34; &#39;a&#39;"},
		{"emoji", ":fire: *HighErrorRate* — firing", `<span class="emoji" title=":fire:">🔥</span> <b>HighErrorRate</b> — firing`},
		{"emoji with underscores is no italic", ":white_check_mark: done", `<span class="emoji" title=":white_check_mark:">✅</span> done`},
		{"unknown emoji stays", ":not_an_emoji: ok", ":not_an_emoji: ok"},
		{"time is no emoji", "at 09:00:00", "at 09:00:00"},
		{"emoji inside bold", "*:tada: resolved*", `<b><span class="emoji" title=":tada:">🎉</span> resolved</b>`},
		{"bold around a link", "*<https://x.example|x>*", `<b><a href="https://x.example" rel="noopener noreferrer nofollow" target="_blank">x</a></b>`},
		{"empty sequence", "<>", ""},
		{"lone angle bracket", "a < b", "a &lt; b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(HTML(tt.in, testNames)); got != tt.want {
				t.Errorf("HTML(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestRenderPlain(t *testing.T) {
	tests := []struct {
		in    string
		emoji bool
		want  string
	}{
		{":rotating_light: Incident #7 <b>", true, `<span class="emoji" title=":rotating_light:">🚨</span> Incident #7 &lt;b&gt;`},
		{":rotating_light: *x*", false, ":rotating_light: *x*"},
		{"&amp; stays", true, "&amp;amp; stays"},
	}
	for _, tt := range tests {
		if got := string(Plain(tt.in, tt.emoji)); got != tt.want {
			t.Errorf("Plain(%q, %v) = %s, want %s", tt.in, tt.emoji, got, tt.want)
		}
	}
}

// ownTags are the only tags the renderer writes.
var (
	ownTags = regexp.MustCompile(`</?(b|i|s|code|pre|blockquote)>|<span class="(mention|emoji)"( title=":[a-z0-9_+'-]+:")?>|</span>|<a href="[^"<>]*" rel="noopener noreferrer nofollow" target="_blank">|</a>`)
	hrefs   = regexp.MustCompile(`href="([^"]*)"`)
)

// checkSafe fails when out has markup the renderer did not write or a link that is
// not http(s) or mailto.
func checkSafe(t *testing.T, in, out string) {
	t.Helper()
	if rest := ownTags.ReplaceAllString(out, ""); strings.ContainsAny(rest, "<>") && strings.Contains(rest, "<") {
		t.Fatalf("input %q gives markup the renderer did not write: %s", in, out)
	}
	for _, m := range hrefs.FindAllStringSubmatch(out, -1) {
		u := strings.ToLower(m[1])
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "mailto:") {
			t.Fatalf("input %q gives the link %q", in, m[1])
		}
	}
	if strings.Count(out, "<a ") != strings.Count(out, "</a>") {
		t.Fatalf("input %q gives unbalanced links: %s", in, out)
	}
}

func FuzzRenderMrkdwn(f *testing.F) {
	for _, seed := range []string{
		"*Severity*\nsev1", "<http://x.example|Source>", "<javascript:alert(1)|x>", "<@U0001> <#C0001|c> <!here>",
		":fire: :white_check_mark: :nope:", "```pre *x*```", "> quote\n&gt; quote", "`code <b>`", "*_~all~_*",
		`<https://x.example/"><img src=x onerror=alert(1)>|t>`, "<JaVaScRiPt:alert(1)>", "<\thttp://x>", "&lt;script&gt;",
		"<!subteam^S0001|@x>", "<!date^1^{date}|d>", "<mailto:a@b.example>", "a*b*c _d_e ~f~", "<<>>", "```\n```", "*`*`*",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := string(HTML(in, testNames))
		checkSafe(t, in, out)
		checkSafe(t, in, string(Plain(in, true)))
	})
}

// TestEmojiTableCoversTheBot checks that every shortcode in the bot's messages renders:
// a new one in bot/ or in a message template must be added to the table.
func TestEmojiTableCoversTheBot(t *testing.T) {
	files, err := filepath.Glob("../../bot/*.go")
	if err != nil || len(files) == 0 {
		t.Skipf("no bot sources next to the simulator: %v", err)
	}
	// The sentences themselves live in the message templates.
	tmpls, _ := filepath.Glob("../../templates/default/slack/*.tmpl")
	files = append(files, tmpls...)
	shortcode := regexp.MustCompile("(?:^|[\\s\"`(])(:[a-z0-9_+-]+:)(?:[\\s\"`.,;)]|$)")
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range shortcode.FindAllStringSubmatch(string(src), -1) {
			found++
			if _, ok := emoji[strings.Trim(m[1], ":")]; !ok {
				t.Errorf("%s uses %s, which the web view would show as text", f, m[1])
			}
		}
	}
	if found < 5 {
		t.Errorf("found %d shortcodes in bot/; the pattern must be broken", found)
	}
}
