package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net"
	"net/url"
	"slices"
	"strings"
)

// HeaderSignature is the header Twilio signs every webhook request with.
const HeaderSignature = "X-Twilio-Signature"

// Sign computes Twilio's signature of a webhook request, as Twilio's
// "Webhooks security" documents it: Base64(HMAC-SHA1(authToken, s)), where s
// is the full URL Twilio requested (scheme, host, path and query) followed
// by every POST parameter's name and value, with no separators, in order of
// name. A name with several values contributes each value, in sorted order,
// as Twilio's helper libraries do.
func Sign(authToken, rawURL string, form url.Values) string {
	names := make([]string, 0, len(form))
	for k := range form {
		names = append(names, k)
	}
	slices.Sort(names)
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(rawURL))
	for _, k := range names {
		vals := slices.Clone(form[k])
		slices.Sort(vals)
		for _, v := range vals {
			mac.Write([]byte(k))
			mac.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify reports whether sig is Twilio's signature of a request to rawURL
// with the POST parameters form. The comparison is constant-time. An empty
// token or signature never verifies. Like Twilio's helper libraries it also
// accepts the URL with the scheme's default port added or removed (":443",
// ":80"), because Twilio is not consistent about including it.
func Verify(authToken, rawURL string, form url.Values, sig string) bool {
	if authToken == "" || sig == "" {
		return false
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(got) != sha1.Size {
		return false
	}
	ok := false
	for _, u := range urlVariants(rawURL) {
		want, _ := base64.StdEncoding.DecodeString(Sign(authToken, u, form))
		// Every variant is compared, so the time taken does not say which matched.
		if hmac.Equal(got, want) {
			ok = true
		}
	}
	return ok
}

// urlVariants is rawURL and, when it has the scheme's default port, the URL
// without it, or when it has no port, the URL with it.
func urlVariants(rawURL string) []string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return []string{rawURL}
	}
	def := map[string]string{"https": "443", "http": "80"}[strings.ToLower(u.Scheme)]
	if def == "" {
		return []string{rawURL}
	}
	v := *u
	switch u.Port() {
	case "":
		v.Host = net.JoinHostPort(u.Hostname(), def)
	case def:
		v.Host = u.Hostname()
		if strings.Contains(v.Host, ":") { // IPv6 literal
			v.Host = "[" + v.Host + "]"
		}
	default:
		return []string{rawURL}
	}
	return []string{rawURL, v.String()}
}
