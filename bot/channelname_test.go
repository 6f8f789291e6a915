package bot

import (
	"strconv"
	"strings"
	"testing"
)

func TestChannelName(t *testing.T) {
	long := strings.Repeat("database primary failover ", 8) // 200 characters
	tests := []struct {
		name   string
		prefix string
		number int64
		title  string
		want   string
	}{
		{"simple", "inc", 42, "DB down", "inc-42-db-down"},
		{"punctuation collapses", "inc", 42, "  Payments API: 5xx!!  (eu-west-1)  ", "inc-42-payments-api-5xx-eu-west-1"},
		{"underscores kept", "inc", 7, "node_disk_full on host__a", "inc-7-node_disk_full-on-host_a"},
		{"mixed separators", "inc", 7, "a _-_ b", "inc-7-a-b"},
		{"russian", "inc", 3, "Упала база данных", "inc-3-upala-baza-dannykh"},
		{"ukrainian and kazakh", "inc", 3, "Їжак Қазақстан", "inc-3-izhak-kazakstan"},
		{"latin diacritics", "inc", 5, "Café Straße Łódź", "inc-5-cafe-strasse-lodz"},
		{"emoji dropped", "inc", 9, "🔥 checkout 💥 down 🚒", "inc-9-checkout-down"},
		{"only symbols", "inc", 42, "!!! ??? ***", "inc-42"},
		{"only emoji", "inc", 42, "🔥🔥🔥", "inc-42"},
		{"empty title", "inc", 42, "", "inc-42"},
		{"chinese dropped", "inc", 1, "数据库 down", "inc-1-down"},
		{"custom prefix sanitized", "SEV Incident!", 12, "x", "sev-incident-12-x"},
		{"empty prefix", "", 12, "x", "inc-12-x"},
		{"symbol prefix", "!!!", 12, "x", "inc-12-x"},
		{"long prefix cut", strings.Repeat("p", 30), 1, "x", strings.Repeat("p", MaxChannelPrefix) + "-1-x"},
		{"200-character title cut at a word", "inc", 42, long, "inc-42-database-primary-failover-database-primary-failover-database-primary"},
		{"long single word cut mid-word", "inc", 42, strings.Repeat("a", 200), "inc-42-" + strings.Repeat("a", 73)},
		{"big number kept whole", "inc", 9223372036854775807, long, "inc-9223372036854775807-database-primary-failover-database-primary-failover"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ChannelName(tt.prefix, tt.number, tt.title)
			if got != tt.want {
				t.Errorf("ChannelName(%q, %d, %q) = %q, want %q", tt.prefix, tt.number, tt.title, got, tt.want)
			}
			checkChannelName(t, got)
		})
	}
}

func TestWithSuffix(t *testing.T) {
	long := ChannelName("inc", 42, strings.Repeat("abcdefghi", 20)) // exactly 80
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"short", "inc-42-db-down", 2, "inc-42-db-down-2"},
		{"no slug", "inc-42", 3, "inc-42-3"},
		{"first try unchanged", "inc-42-db-down", 1, "inc-42-db-down"},
		{"zero unchanged", "inc-42-db-down", 0, "inc-42-db-down"},
		{"full length cut", long, 2, long[:78] + "-2"},
		{"full length, two-digit n", long, 17, long[:77] + "-17"},
		{"dangling separator trimmed", "inc-42-" + strings.Repeat("a", 70) + "-b", 2, "inc-42-" + strings.Repeat("a", 70) + "-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := WithSuffix(tt.in, tt.n)
			if got != tt.want {
				t.Errorf("WithSuffix(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
			checkChannelName(t, got)
		})
	}
}

// checkChannelName asserts Slack's rules for channel names and ours.
func checkChannelName(t *testing.T, name string) {
	t.Helper()
	if name == "" || len(name) > MaxChannelName {
		t.Errorf("channel name %q has %d characters, want 1..%d", name, len(name), MaxChannelName)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			t.Errorf("channel name %q has %q at %d, want only [a-z0-9-_]", name, c, i)
			break
		}
	}
	if strings.HasSuffix(name, "-") || strings.HasSuffix(name, "_") {
		t.Errorf("channel name %q ends with a separator", name)
	}
	if strings.Contains(name, "--") {
		t.Errorf("channel name %q has a doubled separator", name)
	}
}

func FuzzChannelName(f *testing.F) {
	f.Add("inc", int64(42), "DB down")
	f.Add("inc", int64(1), "Упала база 🔥")
	f.Add("", int64(9223372036854775807), strings.Repeat("x-", 100))
	f.Add("SEV!!", int64(7), "!!!")
	f.Add(strings.Repeat("ü", 40), int64(3), strings.Repeat("ß", 100))
	f.Fuzz(func(t *testing.T, prefix string, number int64, title string) {
		if number <= 0 {
			return // incident numbers start at 1
		}
		name := ChannelName(prefix, number, title)
		checkChannelName(t, name)
		// The number is always there, whole, after the prefix.
		p := slugify(prefix, MaxChannelPrefix)
		if p == "" {
			p = DefaultChannelPrefix
		}
		base := p + "-" + strconv.FormatInt(number, 10)
		if name != base && !strings.HasPrefix(name, base+"-") {
			t.Errorf("ChannelName(%q, %d, %q) = %q, want it to start with %q", prefix, number, title, name, base)
		}
		for _, n := range []int{2, 10, 999999} {
			s := WithSuffix(name, n)
			checkChannelName(t, s)
			if !strings.HasPrefix(s, base) || !strings.HasSuffix(s, "-"+strconv.Itoa(n)) {
				t.Errorf("WithSuffix(%q, %d) = %q, want %q…-%d", name, n, s, base, n)
			}
		}
	})
}
