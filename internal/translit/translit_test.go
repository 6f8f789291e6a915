package translit

import (
	"strings"
	"testing"
)

// spell joins the words of s with "-", the way both callers build names.
func spell(s string) string {
	var words []string
	var w strings.Builder
	for _, r := range s {
		t, ok := Rune(r)
		if !ok {
			if w.Len() > 0 {
				words = append(words, w.String())
				w.Reset()
			}
			continue
		}
		w.WriteString(t)
	}
	if w.Len() > 0 {
		words = append(words, w.String())
	}
	return strings.Join(words, "-")
}

func TestRune(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ascii lowercased", "DB Down 5xx", "db-down-5xx"},
		{"latin diacritics", "Café Straße Łódź", "cafe-strasse-lodz"},
		{"russian (channel names)", "Упала база данных", "upala-baza-dannykh"},
		{"russian (postmortem files)", "Оплата картой не проходит", "oplata-kartoy-ne-prokhodit"},
		{"yo and upper case", "Ёлки-палки: всё упало", "elki-palki-vse-upalo"},
		{"signs stay inside the word", "Подъезд, мальчик", "podezd-malchik"},
		{"ukrainian and kazakh", "Їжак Қазақстан", "izhak-kazakstan"},
		{"ukrainian ye and ґ", "Європа ґанок", "yevropa-ganok"},
		{"other scripts and emoji split words", "数据库🔥down", "down"},
		{"punctuation splits words", "a_b'c’d", "a-b-c-d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := spell(tt.in); got != tt.want {
				t.Errorf("spell(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzRune(f *testing.F) {
	f.Add("Упала база 🔥 Café")
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range s {
			t, ok := Rune(r)
			for i := 0; i < len(t); i++ {
				if c := t[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
					panic("not lowercase ASCII: " + t)
				}
			}
			if t != "" && !ok {
				panic("spelled but not in a word: " + t)
			}
		}
	})
}
