package bot

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// slackResponseHosts are the hosts of the response_urls Slack hands out:
// hooks.slack.com, and hooks.slack-gov.com for GovSlack, which runs on its
// own domain, slack-gov.com. Only https, on the default port.
var slackResponseHosts = []string{"hooks.slack.com", "hooks.slack-gov.com"}

// errResponseURL says a response_url was refused before anything was sent.
var errResponseURL = errors.New("response_url refused")

// responseTargets decides where a response_url may point: Slack's hooks
// hosts over https, and the scheme and host of the configured Slack Web API
// URL (the simulator and tests run Slack on loopback).
type responseTargets struct {
	apiScheme, apiHost string // empty when no API URL is configured
}

func newResponseTargets(apiURL string) responseTargets {
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" || u.User != nil {
		return responseTargets{}
	}
	return responseTargets{apiScheme: strings.ToLower(u.Scheme), apiHost: strings.ToLower(u.Host)}
}

// check parses raw and returns it when a response may be posted there. The
// error names the scheme and host only: the path and query of a
// response_url are its secret.
func (t responseTargets) check(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: not a URL", errResponseURL)
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	switch {
	case u.User != nil:
		return nil, fmt.Errorf("%w: a URL with credentials", errResponseURL)
	case host == "" || u.Opaque != "":
		return nil, fmt.Errorf("%w: %s URL without a host", errResponseURL, safeScheme(scheme))
	case t.apiHost != "" && scheme == t.apiScheme && host == t.apiHost:
		return u, nil
	case scheme != "https":
		return nil, fmt.Errorf("%w: %s is not https", errResponseURL, safeScheme(scheme))
	}
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = host, ""
	}
	if port != "" && port != "443" {
		return nil, fmt.Errorf("%w: port %s is not Slack's", errResponseURL, port)
	}
	for _, h := range slackResponseHosts {
		if name == h {
			return u, nil
		}
	}
	return nil, fmt.Errorf("%w: %q is not a Slack host", errResponseURL, name)
}

// safeScheme shows a scheme in an error without letting it carry anything else.
func safeScheme(s string) string {
	if s == "" {
		return "a"
	}
	if len(s) > 16 || strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')
	}) >= 0 {
		return "an unknown scheme's"
	}
	return s + ":"
}

// noRedirects makes a copy of c (or of a client with a 10 s timeout) that
// never follows a redirect: a 3xx is the answer, and is an error.
func noRedirects(c *http.Client) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	out.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &out
}
