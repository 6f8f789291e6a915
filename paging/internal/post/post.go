// Package post sends the HTTP POSTs of the push and webhook senders: bounded
// by a timeout, never following a redirect, reading a bounded answer, and
// with errors that never carry the URL (a topic URL or a webhook URL is an
// address, and may hold a secret).
package post

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// maxAnswer is how much of an answer's body is read.
const maxAnswer = 64 << 10

// Client returns c (or a new client when nil) with timeout and without
// redirects: a 3xx is the answer, so a page never goes where it was not
// configured to go. c itself is not changed.
func Client(c *http.Client, timeout time.Duration) *http.Client {
	var cc http.Client
	if c != nil {
		cc = *c
	}
	cc.Timeout = timeout
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

// Answer is a provider's answer.
type Answer struct {
	Status int
	Body   []byte // at most maxAnswer bytes
}

// Do POSTs body to u with the headers and returns the answer, whatever its
// status. The error (a timeout, a refused connection) never names u.
func Do(ctx context.Context, c *http.Client, u string, hdr http.Header, body []byte) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return Answer{}, errors.New("the URL is not valid")
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return Answer{}, redact(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return Answer{Status: resp.StatusCode}, fmt.Errorf("reading the answer: %w", redact(err))
	}
	return Answer{Status: resp.StatusCode, Body: b}, nil
}

// redact drops the URL from a *url.Error, keeping what went wrong.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("%s: timed out: %w", ue.Op, ue.Err)
		}
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
