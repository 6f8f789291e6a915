package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestServeNamesTheMissingSettingAndExits(t *testing.T) {
	for _, k := range []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "ALERTMANAGER_WEBHOOK_TOKEN", "INCIDENTBOT_WEBHOOK_AUTH", "INCIDENTBOT_CONFIG", "MONGODB_URI"} {
		t.Setenv(k, "")
	}
	t.Chdir(t.TempDir())
	cases := []struct {
		set  map[string]string
		want string
	}{
		{nil, "SLACK_BOT_TOKEN"},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, "ALERTMANAGER_WEBHOOK_TOKEN"},
	}
	for _, c := range cases {
		for k, v := range c.set {
			t.Setenv(k, v)
		}
		code, _, stderr := runCmd(t, "serve")
		if code == 0 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("serve with %v: exit %d, stderr %q; want non-zero and one line naming %s", c.set, code, stderr, c.want)
		}
	}
}

func TestVersionAndUsage(t *testing.T) {
	code, out, _ := runCmd(t, "version")
	if code != 0 || !strings.Contains(out, "incidentbot") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("version: exit %d, %q", code, out)
	}
	if code, _, stderr := runCmd(t, "frobnicate"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Errorf("unknown command: exit %d, %q", code, stderr)
	}
	if code, _, _ := runCmd(t); code != 2 {
		t.Errorf("no command: exit %d, want 2", code)
	}
}

// dev --help says how ports and the config are chosen, and exits 0.
func TestDevHelp(t *testing.T) {
	code, _, stderr := runCmd(t, "dev", "--help")
	if code != 0 {
		t.Errorf("dev --help: exit %d, want 0", code)
	}
	for _, want := range []string{"--config", "--data-dir", "INCIDENTBOT_LISTEN", "next port"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("dev --help lacks %q:\n%s", want, stderr)
		}
	}
	if code, _, _ := runCmd(t, "dev", "--frobnicate"); code != 2 {
		t.Errorf("dev with an unknown flag: exit %d, want 2", code)
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("timezone: Asia/Almaty\n"), 0o600)
	os.WriteFile(bad, []byte("timezone: Mars/Olympus\nstorm:\n  max_new: 0\n"), 0o600)
	if code, out, _ := runCmd(t, "check-config", good); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("good config: exit %d, %q", code, out)
	}
	code, out, _ := runCmd(t, "check-config", bad)
	if code != 1 || !strings.Contains(out, "bad.yaml:1:") || !strings.Contains(out, "bad.yaml:3:") {
		t.Errorf("bad config: exit %d, %q; want exit 1 with errors on lines 1 and 3", code, out)
	}
	if code, _, _ := runCmd(t, "check-config", filepath.Join(dir, "missing.yaml")); code != 1 {
		t.Errorf("missing file: exit %d, want 1", code)
	}
	if code, _, _ := runCmd(t, "check-config", "../../incidentbot.example.yaml"); code != 0 {
		t.Errorf("the example config does not check: exit %d", code)
	}
}

func TestBackupCommand(t *testing.T) {
	t.Setenv("MONGODB_URI", "")
	dir := t.TempDir()
	t.Setenv("INCIDENTBOT_DATA_DIR", dir)
	if code, _, stderr := runCmd(t, "backup"); code != 2 || !strings.Contains(stderr, "--to is required") {
		t.Errorf("backup without --to: exit %d, stderr %q; want 2 naming --to", code, stderr)
	}
	to := filepath.Join(t.TempDir(), "copy.db")
	if code, _, stderr := runCmd(t, "backup", "--to", to); code != 1 || !strings.Contains(stderr, "no database in") {
		t.Errorf("backup of an empty data dir: exit %d, stderr %q; want 1 saying there is no database", code, stderr)
	}
}
