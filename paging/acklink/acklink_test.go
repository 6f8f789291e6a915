package acklink

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/clocktest"
)

var (
	testKey = []byte("0123456789abcdef0123456789abcdef")
	t0      = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
)

func newSigner(t testing.TB, clock *clocktest.Clock) *Signer {
	t.Helper()
	s, err := New(testKey, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// typical are claims as the engine makes them: a 26-character notification
// ID (a ULID) and a Slack user ID.
var typical = Claims{
	Incident:     4242,
	Notification: "01JNX6Q8Z3K4M5N6P7Q8R9S0TV",
	Person:       "U0123ABCDEF",
	Expires:      t0.Add(time.Hour),
}

func TestSignVerifyRoundTrip(t *testing.T) {
	clock := clocktest.New(t0)
	s := newSigner(t, clock)
	tests := []struct {
		name string
		c    Claims
	}{
		{"typical", typical},
		{"people key", Claims{Incident: 1, Notification: "n1", Person: "alice", Expires: t0.Add(time.Minute)}},
		{"empty strings", Claims{Incident: 7, Expires: t0.Add(time.Second)}},
		{"large numbers", Claims{Incident: 1 << 40, Notification: "x", Person: "y", Expires: t0.Add(24 * 365 * time.Hour)}},
		{"non-ASCII person", Claims{Incident: 3, Notification: "id", Person: "алиса", Expires: t0.Add(time.Hour)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := s.Sign(tt.c)
			got, err := s.Verify(tok)
			if err != nil {
				t.Fatalf("Verify(Sign(c)) = %v", err)
			}
			want := tt.c
			want.Expires = want.Expires.Truncate(time.Second).UTC()
			if got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestTokenIsShortAndURLSafe(t *testing.T) {
	s := newSigner(t, clocktest.New(t0))
	tok := s.Sign(typical)
	if len(tok) >= 120 {
		t.Errorf("token has %d characters, want < 120: %s", len(tok), tok)
	}
	if !urlSafe(tok) {
		t.Errorf("token %q has characters outside base64url", tok)
	}
}

func TestExpiresToTheSecond(t *testing.T) {
	s := newSigner(t, clocktest.New(t0))
	c := typical
	c.Expires = t0.Add(time.Hour + 900*time.Millisecond)
	got, err := s.Verify(s.Sign(c))
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(time.Hour); !got.Expires.Equal(want) {
		t.Errorf("Expires = %v, want %v", got.Expires, want)
	}
}

func TestExpired(t *testing.T) {
	clock := clocktest.New(t0)
	s := newSigner(t, clock)
	tok := s.Sign(typical)

	clock.Set(typical.Expires.Add(-time.Second))
	if _, err := s.Verify(tok); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	for _, at := range []time.Time{typical.Expires, typical.Expires.Add(time.Hour)} {
		clock.Set(at)
		c, err := s.Verify(tok)
		if !errors.Is(err, ErrExpired) {
			t.Fatalf("at %v: err = %v, want ErrExpired", at, err)
		}
		if c.Incident != typical.Incident || c.Notification != typical.Notification {
			t.Errorf("expired token's claims = %+v, want the incident and notification", c)
		}
	}
}

func TestEveryChangedCharacterFails(t *testing.T) {
	s := newSigner(t, clocktest.New(t0))
	tok := s.Sign(typical)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range len(tok) {
		for _, r := range []byte{alphabet[(strings.IndexByte(alphabet, tok[i])+1)%64], alphabet[(strings.IndexByte(alphabet, tok[i])+32)%64]} {
			bad := tok[:i] + string(r) + tok[i+1:]
			if c, err := s.Verify(bad); err == nil || errors.Is(err, ErrExpired) {
				t.Fatalf("changing character %d to %q verified: %+v, %v", i, r, c, err)
			}
		}
	}
}

func TestVerifyErrors(t *testing.T) {
	s := newSigner(t, clocktest.New(t0))
	other, err := New([]byte("another key, also thirty-two bytes long"), clocktest.New(t0).Now)
	if err != nil {
		t.Fatal(err)
	}
	tok := s.Sign(typical)
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", ErrMalformed},
		{"too short", tok[:10], ErrMalformed},
		{"cut by one", tok[:len(tok)-1], ErrMalformed},
		{"one more character", tok + "A", ErrMalformed},
		{"padding", tok + "=", ErrMalformed},
		{"newline inside", tok[:20] + "\n" + tok[20:], ErrMalformed},
		{"standard base64 characters", strings.NewReplacer("-", "+", "_", "/").Replace(tok) + "+/", ErrMalformed},
		{"path", "../" + tok, ErrMalformed},
		{"very long", strings.Repeat("A", 4096), ErrMalformed},
		{"other key", other.Sign(typical), ErrBadSignature},
		{"tag of another token", swapTag(t, tok, s.Sign(Claims{Incident: 1, Expires: t0.Add(time.Hour)})), ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Verify(tt.token)
			if err == nil {
				t.Fatalf("Verify verified %q", tt.token)
			}
			// "cut by one" may also read as a bad signature, depending on
			// where the base64 groups fall; it must never verify.
			if tt.want == ErrMalformed && errors.Is(err, ErrBadSignature) && strings.HasPrefix(tt.name, "cut") {
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// swapTag returns a's payload with b's tag.
func swapTag(t *testing.T, a, b string) string {
	t.Helper()
	ra, err := enc.DecodeString(a)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := enc.DecodeString(b)
	if err != nil {
		t.Fatal(err)
	}
	return enc.EncodeToString(append(ra[:len(ra)-tagLen:len(ra)-tagLen], rb[len(rb)-tagLen:]...))
}

func TestSignCutsLongFields(t *testing.T) {
	s := newSigner(t, clocktest.New(t0))
	c := Claims{Incident: 1, Notification: strings.Repeat("n", 300), Person: strings.Repeat("p", 300), Expires: t0.Add(time.Hour)}
	got, err := s.Verify(s.Sign(c))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Notification) != maxField || len(got.Person) != maxField {
		t.Errorf("fields have %d and %d bytes, want %d each", len(got.Notification), len(got.Person), maxField)
	}
}

func TestNewNeedsALongKey(t *testing.T) {
	if _, err := New(make([]byte, minKeyLen-1), nil); err == nil {
		t.Errorf("New accepted a %d-byte key", minKeyLen-1)
	}
	s, err := New(make([]byte, minKeyLen), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.now == nil {
		t.Error("nil clock not replaced by time.Now")
	}
}

func TestKeyIsCopied(t *testing.T) {
	key := append([]byte(nil), testKey...)
	s, err := New(key, clocktest.New(t0).Now)
	if err != nil {
		t.Fatal(err)
	}
	tok := s.Sign(typical)
	key[0] ^= 0xff
	if _, err := s.Verify(tok); err != nil {
		t.Errorf("changing the caller's key slice changed the signer: %v", err)
	}
}

// FuzzVerify checks that Verify never panics and accepts only what Sign
// makes: every token it accepts (or finds merely expired) is exactly the
// token Sign gives for the claims it returned.
func FuzzVerify(f *testing.F) {
	clock := clocktest.New(t0)
	s := newSigner(f, clock)
	f.Add(s.Sign(typical))
	f.Add(s.Sign(Claims{Incident: 1, Expires: t0.Add(-time.Hour)}))
	f.Add(s.Sign(Claims{Incident: -5, Notification: "a,b;c", Person: "é", Expires: t0.Add(time.Minute)}))
	f.Add("")
	f.Add("AQ")
	f.Add(strings.Repeat("A", 40))
	f.Add("AQAA" + strings.Repeat("_", 30))
	f.Fuzz(func(t *testing.T, token string) {
		c, err := s.Verify(token)
		switch {
		case err == nil:
			if !clock.Now().Before(c.Expires) {
				t.Fatalf("accepted a token that expired at %v", c.Expires)
			}
		case errors.Is(err, ErrExpired):
		case errors.Is(err, ErrMalformed), errors.Is(err, ErrBadSignature):
			if c != (Claims{}) {
				t.Fatalf("rejected token returned claims %+v", c)
			}
			return
		default:
			t.Fatalf("unknown error %v", err)
		}
		if again := s.Sign(c); again != token {
			t.Fatalf("accepted %q, but Sign(%+v) = %q", token, c, again)
		}
	})
}
