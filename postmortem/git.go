package postmortem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/incidentbot/incidentbot/templates"
)

// The bot's identity in commits, so a wiki's history shows its drafts
// apart from people's edits.
const (
	gitName  = "incidentbot"
	gitEmail = "incidentbot@localhost"
)

// commit commits paths (relative to the export dir) when the dir is inside
// a git work tree, as the bot, and returns the new commit's hash. Only
// these paths are committed: whatever people have staged or changed
// elsewhere stays theirs. No git, or no work tree, is no commit.
func (e *Exporter) commit(ctx context.Context, paths []string, msg string) (string, error) {
	if _, err := exec.LookPath(e.o.Git); err != nil {
		return "", nil
	}
	if out, err := e.git(ctx, "rev-parse", "--is-inside-work-tree"); err != nil || strings.TrimSpace(out) != "true" {
		return "", nil
	}
	paths = dedupe(paths)
	// A path that is gone and was never tracked cannot be named to git.
	tracked := map[string]bool{}
	out, err := e.git(ctx, append([]string{"ls-files", "-z", "--"}, paths...)...)
	if err != nil {
		return "", err
	}
	for _, p := range strings.Split(out, "\x00") {
		tracked[p] = true
	}
	var keep []string
	for _, p := range paths {
		if tracked[p] || e.exists(p) {
			keep = append(keep, p)
		}
	}
	if len(keep) == 0 {
		return "", nil
	}
	if _, err := e.git(ctx, append([]string{"add", "-A", "--"}, keep...)...); err != nil {
		return "", err
	}
	if _, err := e.git(ctx, append([]string{"diff", "--cached", "--quiet", "--"}, keep...)...); err == nil {
		return "", nil // nothing changed
	}
	msg = templates.CleanText(msg) // the subject comes from a title: no escapes in `git log`
	if _, err := e.git(ctx, append([]string{"commit", "--quiet", "--no-gpg-sign", "-m", msg, "--"}, keep...)...); err != nil {
		return "", err
	}
	head, err := e.git(ctx, "rev-parse", "HEAD")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(head), nil
}

// git runs git in the export dir as the bot.
func (e *Exporter) git(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, e.o.Git, append([]string{"-C", e.dir}, args...)...)
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME="+gitName, "GIT_AUTHOR_EMAIL="+gitEmail,
		"GIT_COMMITTER_NAME="+gitName, "GIT_COMMITTER_EMAIL="+gitEmail,
		"GIT_TERMINAL_PROMPT=0",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && len(args) > 0 && args[0] == "diff" {
			return "", err // diff --quiet: exit 1 means "differs"
		}
		return "", fmt.Errorf("%w: git %s: %w: %s", ErrExport, args[0], err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
