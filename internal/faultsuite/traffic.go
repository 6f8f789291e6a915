package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/incidentbot/incidentbot/internal/slacksim"
)

// ledger is what the clients were told: the alerts, notes and
// acknowledgements the bot acknowledged (2xx, or a reply saying it was
// done), and what was only tried. The sweep holds the bot to it.
type ledger struct {
	mu sync.Mutex
	// alerts: fingerprint → its group; acked holds those in a post answered 200.
	alerts map[string]string
	acked  map[string]bool
	// groups sent, and posts: sent, answered 200, 4xx (lost: Alertmanager
	// does not retry those), retried after a 5xx or a network error.
	groups                         map[string]bool
	posts, ok, rejected, retries   int
	rejectedCodes                  map[int]int
	notesTried, notesAcked         map[string]bool
	acksTried, acksOK              map[int64]string
	cmdsSent, cmdsOK, clicks, smss int
}

func newLedger() *ledger {
	return &ledger{alerts: map[string]string{}, acked: map[string]bool{}, groups: map[string]bool{},
		rejectedCodes: map[int]int{}, notesTried: map[string]bool{}, notesAcked: map[string]bool{}, acksTried: map[int64]string{}, acksOK: map[int64]string{}}
}

// alertPost is one Alertmanager notification.
type alertPost struct {
	group string
	fps   []string
	body  []byte
}

// stormPlan is a storm of groups as Alertmanager sends it: each group first
// with one alert, then whole, then re-sent whole once or twice (group_interval
// and repeat_interval), the posts of different groups interleaved.
func stormPlan(rng *rand.Rand, run string, groups int, start time.Time) []alertPost {
	type slot struct {
		at   int
		post alertPost
	}
	var slots []slot
	for g := range groups {
		group := fmt.Sprintf("{}:{alertname=\"FS%s-%d\"}", run, g)
		n := 1 + g%3
		sev := "warning"
		if g%5 == 0 {
			sev = "critical"
		}
		var fps []string
		for i := range n {
			fps = append(fps, fmt.Sprintf("%s%04x%02x", run, g, i))
		}
		starts := start.Add(time.Duration(g) * time.Millisecond)
		first := alertPost{group: group, fps: fps[:1], body: amBody(group, fmt.Sprintf("FS%s-%d", run, g), sev, fps[:1], starts)}
		whole := alertPost{group: group, fps: fps, body: amBody(group, fmt.Sprintf("FS%s-%d", run, g), sev, fps, starts)}
		at := g * 4
		slots = append(slots, slot{at, first}, slot{at + 1 + rng.IntN(40), whole})
		for range 1 + rng.IntN(2) {
			slots = append(slots, slot{at + 10 + rng.IntN(200), whole})
		}
	}
	slices.SortStableFunc(slots, func(a, b slot) int { return a.at - b.at })
	out := make([]alertPost, len(slots))
	for i, s := range slots {
		out[i] = s.post
	}
	return out
}

// amBody is an Alertmanager v4 webhook body of firing alerts.
func amBody(group, name, severity string, fps []string, starts time.Time) []byte {
	var alerts []map[string]any
	for _, fp := range fps {
		alerts = append(alerts, map[string]any{
			"status": "firing", "fingerprint": fp,
			"labels":      map[string]string{"alertname": name, "severity": severity, "service": "checkout", "instance": fp},
			"annotations": map[string]string{"summary": name + " on " + fp},
			"startsAt":    starts.UTC().Format(time.RFC3339Nano), "endsAt": "0001-01-01T00:00:00Z",
			"generatorURL": "http://prometheus.example/graph",
		})
	}
	b, _ := json.Marshal(map[string]any{
		"version": "4", "groupKey": group, "status": "firing", "receiver": "incidentbot",
		"groupLabels": map[string]string{"alertname": name}, "commonLabels": map[string]string{"alertname": name, "severity": severity},
		"commonAnnotations": map[string]string{"summary": name}, "externalURL": "http://alertmanager.example",
		"alerts": alerts,
	})
	return b
}

// sender posts notifications as Alertmanager does: until a 2xx, retrying
// 5xx answers and network errors with backoff, dropping 4xx.
type sender struct {
	url    string
	client *http.Client
	l      *ledger
}

func newSender(botURL string, l *ledger) *sender {
	return &sender{url: botURL + "/webhooks/alertmanager", client: &http.Client{Timeout: 15 * time.Second}, l: l}
}

// send posts p until it is acknowledged or given up, or ctx ends.
func (s *sender) send(ctx context.Context, p alertPost) {
	s.l.mu.Lock()
	s.l.posts++
	s.l.groups[p.group] = true
	for _, fp := range p.fps {
		s.l.alerts[fp] = p.group
	}
	s.l.mu.Unlock()
	wait := 20 * time.Millisecond
	for attempt := 0; ctx.Err() == nil; attempt++ {
		code := s.post(ctx, p.body)
		s.l.mu.Lock()
		switch {
		case code >= 200 && code < 300:
			s.l.ok++
			for _, fp := range p.fps {
				s.l.acked[fp] = true
			}
			s.l.mu.Unlock()
			return
		case code >= 400 && code < 500:
			s.l.rejected++
			s.l.rejectedCodes[code]++
			s.l.mu.Unlock()
			return
		}
		s.l.retries++
		s.l.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

func (s *sender) post(ctx context.Context, body []byte) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer "+webhookToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// storm sends plan with workers concurrent senders, at most rate posts a
// second, until it is all acknowledged or ctx ends; done reports progress.
func storm(ctx context.Context, s *sender, plan []alertPost, workers int, rate float64, done *atomic.Int64) {
	ch := make(chan alertPost)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for p := range ch {
				s.send(ctx, p)
				done.Add(1)
			}
		})
	}
	tick := time.Duration(float64(time.Second) / rate)
	next := time.Now()
	for _, p := range plan {
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}
		next = next.Add(tick)
		select {
		case ch <- p:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(ch)
	wg.Wait()
}

// apiIncident is what the clients read of an incident from the JSON API.
type apiIncident struct {
	Number         int64      `json:"number"`
	Open           bool       `json:"open"`
	Storm          bool       `json:"storm"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
}

// openIncidents lists the open incidents, newest first; nil while the bot is down.
func openIncidents(ctx context.Context, botURL string) []apiIncident {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, botURL+"/api/v1/incidents?status=open&limit=200", nil)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var page struct {
		Incidents []apiIncident `json:"incidents"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&page) != nil {
		return nil
	}
	return page.Incidents
}

// people plays the team: notes by slash command, acknowledgements by SMS
// reply and by the page's button, every so often until ctx ends.
type people struct {
	e    *env
	l    *ledger
	rng  *rand.Rand
	seq  int
	run  string
	note time.Duration // between notes
	ack  time.Duration // between acknowledgements
}

func (p *people) play(ctx context.Context) {
	notes, acks := time.NewTicker(p.note), time.NewTicker(p.ack)
	defer notes.Stop()
	defer acks.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-notes.C:
			p.noteOnce(ctx)
		case <-acks.C:
			p.ackOnce(ctx)
		}
	}
}

// noteOnce adds a note with a unique text to a random open incident.
func (p *people) noteOnce(ctx context.Context) {
	open := openIncidents(ctx, p.e.url())
	if len(open) == 0 {
		return
	}
	inc := open[p.rng.IntN(len(open))]
	p.seq++
	text := fmt.Sprintf("fs-note-%s-%d", p.run, p.seq)
	ch, _ := p.e.slack.ChannelByName("incidents")
	p.l.mu.Lock()
	p.l.notesTried[text] = true
	p.l.cmdsSent++
	p.l.mu.Unlock()
	resp, err := p.e.slack.SlashCommand(ctx, alice, ch.ID, "/incident", fmt.Sprintf("#%d note %s", inc.Number, text))
	if err != nil {
		return
	}
	defer resp.Body.Close()
	var r struct {
		Text string `json:"text"`
	}
	if resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&r) == nil && strings.Contains(r.Text, "Added your note") {
		p.l.mu.Lock()
		p.l.notesAcked[text] = true
		p.l.cmdsOK++
		p.l.mu.Unlock()
	}
}

// ackOnce acknowledges a random open, unacknowledged incident: by an SMS
// reply, or by the Acknowledge button of its page in alice's DM.
func (p *people) ackOnce(ctx context.Context) {
	var cands []apiIncident
	for _, inc := range openIncidents(ctx, p.e.url()) {
		if inc.AcknowledgedAt == nil && !inc.Storm {
			cands = append(cands, inc)
		}
	}
	if len(cands) == 0 {
		return
	}
	inc := cands[p.rng.IntN(len(cands))]
	if p.rng.IntN(2) == 0 {
		p.l.mu.Lock()
		p.l.acksTried[inc.Number] = "sms"
		p.l.smss++
		p.l.mu.Unlock()
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		reply, err := p.e.twilio.Reply(rctx, alicePhone, twilioFrom, fmt.Sprintf("ACK %d", inc.Number))
		if err == nil && strings.Contains(reply, fmt.Sprintf("Acknowledged #%d", inc.Number)) {
			p.l.mu.Lock()
			p.l.acksOK[inc.Number] = "sms"
			p.l.mu.Unlock()
		}
		return
	}
	dm, ok := p.e.slack.DirectMessage(alice)
	if !ok {
		return
	}
	num := fmt.Sprint(inc.Number)
	for _, m := range p.e.slack.Messages(dm.ID) {
		if m.User == slacksim.BotUserID && strings.Contains(string(m.Blocks), `"action_id":"incident_ack"`) &&
			strings.Contains(string(m.Blocks), `"value":"`+num+`"`) {
			p.l.mu.Lock()
			p.l.acksTried[inc.Number] = "button"
			p.l.clicks++
			p.l.mu.Unlock()
			resp, err := p.e.slack.ClickButton(ctx, alice, dm.ID, m.TS, "incident_ack", num)
			if err == nil {
				resp.Body.Close()
			}
			return
		}
	}
}
