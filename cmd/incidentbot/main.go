// Command incidentbot is a self-hosted, Slack-native incident bot.
// main only turns flags and environment into options; internal/app does the rest.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/incidentbot/incidentbot/internal/app"
)

// Set at build time with -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "dev"
	commit  = "unknown"
)

const usage = `incidentbot — Slack-native incident management

Usage:
  incidentbot serve                        run the server (Slack, Alertmanager webhook, web view)
  incidentbot dev                          run everything locally with no accounts
  incidentbot check-config [FILE]          validate the YAML config
  incidentbot export-postmortems --dir DIR write every postmortem as Markdown
  incidentbot backup --to FILE             copy the embedded store, also while serve runs
  incidentbot verify [--incident N]        recompute the timelines' hash chains; exit 1 naming the first broken link
  incidentbot evidence N --out FILE        write a signed evidence archive of incident N
  incidentbot evidence verify FILE --public-key KEY
                                           check an evidence archive offline
  incidentbot evidence keygen --out KEY    make an Ed25519 signing key (KEY, KEY.pub)
  incidentbot healthcheck                  exit 0 if the local server answers /healthz
  incidentbot version                      print version, commit and Go version
`

const devUsage = `Usage: incidentbot dev [--config FILE] [--data-dir DIR]

Runs everything on this machine with no accounts: the embedded store, a
Slack simulator, simulated phones (SMS and calls) and inboxes (email and
push), and the bot. The bot listens on INCIDENTBOT_LISTEN (default
127.0.0.1:8080), the simulators on the next port when it is free, else on
any free one; the URLs are printed at start.

`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	info := app.BuildInfo{Version: version, Commit: commit}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return exit(stderr, app.Serve(ctx, os.Getenv, info))
	case "dev":
		fs := flag.NewFlagSet("dev", flag.ContinueOnError)
		fs.SetOutput(stderr)
		var o app.DevOptions
		fs.StringVar(&o.DataDir, "data-dir", "", "keep the embedded store here (default: a new temporary directory)")
		fs.StringVar(&o.Config, "config", "", "run with this config file instead of the sample one (default: INCIDENTBOT_CONFIG);\n"+
			"its paging providers are replaced by the simulators")
		fs.Usage = func() {
			fmt.Fprint(fs.Output(), devUsage)
			fs.PrintDefaults()
		}
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		return exit(stderr, app.Dev(ctx, os.Getenv, stdout, stderr, o, info))
	case "check-config":
		path := ""
		if len(rest) > 0 {
			path = rest[0]
		}
		return app.CheckConfig(os.Getenv, path, stdout, stderr)
	case "export-postmortems":
		fs := flag.NewFlagSet("export-postmortems", flag.ContinueOnError)
		fs.SetOutput(stderr)
		dir := fs.String("dir", "", "directory to write the Markdown files to (required)")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		if *dir == "" {
			fmt.Fprintln(stderr, "export-postmortems: --dir is required")
			return 2
		}
		return exit(stderr, app.ExportPostmortems(ctx, os.Getenv, *dir, stdout))
	case "backup":
		fs := flag.NewFlagSet("backup", flag.ContinueOnError)
		fs.SetOutput(stderr)
		to := fs.String("to", "", "file to write the copy to; must not exist (required)")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		if *to == "" {
			fmt.Fprintln(stderr, "backup: --to is required")
			return 2
		}
		return exit(stderr, app.Backup(ctx, os.Getenv, *to, stdout))
	case "verify":
		fs := flag.NewFlagSet("verify", flag.ContinueOnError)
		fs.SetOutput(stderr)
		n := fs.Int64("incident", 0, "verify only this incident (default: every incident)")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		if fs.NArg() > 0 || *n < 0 {
			fmt.Fprintln(stderr, "verify: takes only --incident N")
			return 2
		}
		return exit(stderr, app.Verify(ctx, os.Getenv, *n, stdout))
	case "evidence":
		return evidenceCommand(ctx, rest, stdout, stderr, info)
	case "healthcheck":
		return exit(stderr, app.Healthcheck(ctx, os.Getenv))
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, info.String())
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

func exit(stderr io.Writer, err error) int {
	if err == nil || errors.Is(err, context.Canceled) {
		return 0
	}
	fmt.Fprintln(stderr, "incidentbot:", err)
	return 1
}

// evidenceCommand runs `evidence N --out FILE`, `evidence verify FILE
// --public-key KEY` and `evidence keygen --out KEY`; flags may come before
// or after the positional arguments.
func evidenceCommand(ctx context.Context, args []string, stdout, stderr io.Writer, info app.BuildInfo) int {
	fs := flag.NewFlagSet("evidence", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "the file to write (evidence N, evidence keygen)")
	pub := fs.String("public-key", "", "the signer's public key, PEM (evidence verify)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	bad := func(msg string) int {
		fmt.Fprintln(stderr, "evidence: "+msg)
		return 2
	}
	switch {
	case len(pos) == 2 && pos[0] == "verify":
		if *pub == "" {
			return bad("verify needs --public-key KEY")
		}
		return exit(stderr, app.EvidenceVerify(pos[1], *pub, stdout))
	case len(pos) == 1 && pos[0] == "keygen":
		if *out == "" {
			return bad("keygen needs --out KEY")
		}
		return exit(stderr, app.EvidenceKeygen(*out, stdout))
	case len(pos) == 1:
		n, err := strconv.ParseInt(strings.TrimPrefix(pos[0], "#"), 10, 64)
		if err != nil || n <= 0 {
			return bad(fmt.Sprintf("%q is not an incident number", pos[0]))
		}
		if *out == "" {
			return bad("--out FILE is required")
		}
		return exit(stderr, app.Evidence(ctx, os.Getenv, n, *out, stdout, info))
	}
	return bad("usage: evidence N --out FILE | evidence verify FILE --public-key KEY | evidence keygen --out KEY")
}

// parseInterspersed parses flags wherever they stand among the positional
// arguments, which it returns.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
