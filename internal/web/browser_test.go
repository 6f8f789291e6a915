package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's chromium (or another Chrome) for the browser test.
func chromiumPath() string {
	if p := os.Getenv("INCIDENTBOT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// artifactDir is where screenshots go: $INCIDENTBOT_ARTIFACTS/web when set
// (CI keeps it), else a test temp dir.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("INCIDENTBOT_ARTIFACTS"); d != "" {
		d = filepath.Join(d, "web")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// A real browser opens /, follows the links to an incident, its postmortem
// and /stats, reads the visible text and saves screenshots, on a laptop-sized
// and a phone-sized window.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	bin := chromiumPath()
	if bin == "" {
		t.Skip("no chromium binary found (apt-get install -y chromium, or set INCIDENTBOT_CHROMIUM); skipping the browser test")
	}
	o := testOptions()
	o.Names = fakeNames{}
	srv := serve(t, o)
	dir := artifactDir(t)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	// About 3 s on an idle machine; the bound leaves room for a CI machine
	// that runs every package's tests at once.
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			buf, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
		})
	}
	// into runs a query and keeps its answer, so it fits in a Do sequence.
	into := func(p *string, a chromedp.Action[string]) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
			*p, err = a(ctx, tg)
			return err
		})
	}
	expect := func(what string, text *string, wants ...string) {
		t.Helper()
		for _, w := range wants {
			if !strings.Contains(*text, w) {
				t.Errorf("%s: visible text lacks %q\n--- text ---\n%s", what, w, *text)
			}
		}
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	var index, incident, postmortem, statsText, location, open, bold, link string
	err := chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(css("main h1")),
		into(&index, chromedp.Text(css("main"))),
		shot("index"),
		// Follow the link of the first open incident.
		chromedp.Click(css(`a[href="/incidents/3"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(css("#timeline-h")),
		into(&location, chromedp.Location()),
		into(&open, chromedp.Text(css("main"))),
		// The note's mrkdwn, rendered: its bold and its link.
		into(&bold, chromedp.Text(css(".ev-note .ev-text b"))),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			a, err := chromedp.AttributeValue(css(".ev-note .ev-text a"), "href")(ctx, tg)
			link = a.Value
			return err
		}),
		shot("incident-open"),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	expect("/", &index, "Open incidents", "#3", "Payments API returns 502", "sev1", "identified", "Dave Diaz", "Recently resolved",
		"Checkout latency above 2s", "<script>alert(1)</script>")
	if !strings.HasSuffix(location, "/incidents/3") {
		t.Errorf("clicking #3 went to %s", location)
	}
	// People by name, as Slack shows them; mentions never in Slack's raw form.
	expect("/incidents/3", &open, "Dave Diaz", "@Dave Diaz", "Carol Chen", "@Carol Chen", "@Bob Baker", "@here",
		"open 45m since detection", "Thu 2026-12-03", "deploy-123", "<b>typed</b>")
	for _, raw := range []string{"<@U", "U0DAVE", "U0CAROL", "*slowly*"} {
		if strings.Contains(open, raw) {
			t.Errorf("/incidents/3 shows %q", raw)
		}
	}
	if bold != "slowly" || link != "https://grafana.example.com/d/x" {
		t.Errorf("the note renders bold %q and links %q; want slowly and the dashboard", bold, link)
	}

	// The resolved incident with a postmortem, from the index, then /stats.
	err = chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.Click(css(`tbody a[href="/incidents/1"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(css("#timeline-h")),
		into(&incident, chromedp.Text(css("main"))),
		shot("incident"),
		chromedp.Click(css(`a[href="/postmortems/1"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(css("article.postmortem h1")),
		into(&postmortem, chromedp.Text(css("main"))),
		shot("postmortem"),
		chromedp.Click(css(`header nav a[href="/stats"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(css("#dora-h")),
		into(&statsText, chromedp.Text(css("main"))),
		shot("stats"),
		chromedp.Navigate(srv.URL+"/incidents/2"),
		chromedp.WaitVisible(css("#timeline-h")),
		shot("incident-hostile"),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	expect("/incidents/1", &incident, "#1 Checkout latency above 2s", "Asia/Almaty", "Rolling back to v2.3.0", "in Slack",
		"scribe", "Bob Baker", "Add a canary stage", "CheckoutLatency", "Postmortem", "Acknowledged", "Mitigated", "Resolved")
	expect("/postmortems/1", &postmortem, "Postmortem: Checkout latency above 2s", "A bad release raised p99 latency", "Incident #1")
	expect("/stats", &statsText, "Stats", "Last 7d", "Last 30d", "Last 90d", "Incidents per week by severity", "MTTA",
		"Delivery (DORA)", "checkout", "production", "Change fail rate")
	// The hostile incident's markup stayed text: no script or image element.
	injected, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.querySelectorAll("main script, main img, main [onerror]").length > 0`))
	if err != nil || injected {
		t.Errorf("the hostile incident page has injected elements (%v)", err)
	}

	// A phone: the same pages in a narrow window; nothing wider than the screen.
	for _, p := range []struct{ name, path, wait string }{
		{"phone-index", "/", "main h1"}, {"phone-incident", "/incidents/1", "#timeline-h"}, {"phone-stats", "/stats", "#dora-h"},
	} {
		err := chromedp.Do(bctx,
			chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
			chromedp.Navigate(srv.URL+p.path),
			chromedp.WaitVisible(css(p.wait)),
			shot(p.name),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error { // what the phone shows first
				buf, err := chromedp.CaptureScreenshot()(ctx, tg)
				if err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(dir, p.name+"-screen.png"), buf, 0o644)
			}),
		)
		if err != nil {
			t.Fatalf("browser (phone %s): %v", p.path, err)
		}
		wide, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
		if err != nil || wide {
			t.Errorf("%s scrolls sideways on a 390px phone (%v)", p.path, err)
		}
	}
	t.Logf("screenshots in %s", dir)
}
