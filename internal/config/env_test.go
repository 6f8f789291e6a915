package config

import (
	"fmt"
	"strings"
	"testing"
)

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func noFile(string) bool { return false }

func TestLoadEnvDefaults(t *testing.T) {
	e := LoadEnv(getenv(nil), noFile)
	want := Env{
		SlackAPIURL:     "https://slack.com/api/",
		MongoDBDatabase: "incidentbot",
		DataDir:         "./data",
		Listen:          ":8080",
		PublicURL:       "http://localhost:8080",
		WebhookAuth:     "token",
		LogLevel:        "info",
		LogFormat:       "json",
	}
	if e != want {
		t.Errorf("got  %#v\nwant %#v", e, want)
	}
	if e.SocketMode() || !e.EmbeddedStore() || !e.WebhookAuthRequired() {
		t.Errorf("SocketMode %v EmbeddedStore %v WebhookAuthRequired %v", e.SocketMode(), e.EmbeddedStore(), e.WebhookAuthRequired())
	}
	if err := e.Validate(); err != nil {
		t.Errorf("Validate() = %v; the defaults must be valid", err)
	}
}

func TestLoadEnvAll(t *testing.T) {
	e := LoadEnv(getenv(map[string]string{
		"SLACK_BOT_TOKEN":            "xoxb-1",
		"SLACK_SIGNING_SECRET":       "sign",
		"SLACK_APP_TOKEN":            "xapp-1",
		"SLACK_API_URL":              "http://127.0.0.1:9999/api",
		"MONGODB_URI":                "mongodb://db:27017",
		"MONGODB_DATABASE":           "ib",
		"INCIDENTBOT_DATA_DIR":       "/var/lib/ib",
		"INCIDENTBOT_LISTEN":         "127.0.0.1:9000",
		"INCIDENTBOT_PUBLIC_URL":     "https://ib.example.com",
		"INCIDENTBOT_CONFIG":         "/etc/ib.yaml",
		"ALERTMANAGER_WEBHOOK_TOKEN": "hook",
		"INCIDENTBOT_WEBHOOK_AUTH":   " None ",
		"INCIDENTBOT_WEB_AUTH":       "ops:pw",
		"LOG_LEVEL":                  "DEBUG",
		"LOG_FORMAT":                 "text",
		"TWILIO_AUTH_TOKEN":          "tw",
		"TWILIO_FALLBACK_AUTH_TOKEN": "tw2",
		"SMTP_PASSWORD":              "mail",
		"ALERTMANAGER_API_TOKEN":     "am-token",
	}), noFile)
	want := Env{"xoxb-1", "sign", "xapp-1", "http://127.0.0.1:9999/api/", "mongodb://db:27017", "ib", "/var/lib/ib",
		"127.0.0.1:9000", "https://ib.example.com", "/etc/ib.yaml", "hook", "none", "ops:pw", "debug", "text", "tw", "tw2", "mail", "am-token"}
	if e != want {
		t.Errorf("got  %#v\nwant %#v", e, want)
	}
	if !e.SocketMode() || e.EmbeddedStore() || e.WebhookAuthRequired() {
		t.Errorf("SocketMode %v EmbeddedStore %v WebhookAuthRequired %v", e.SocketMode(), e.EmbeddedStore(), e.WebhookAuthRequired())
	}
	if err := e.ValidateServe(); err != nil {
		t.Errorf("ValidateServe() = %v", err)
	}
}

func TestLoadEnvConfigPath(t *testing.T) {
	exists := func(p string) bool { return p == "./incidentbot.yaml" }
	tests := []struct {
		name   string
		env    map[string]string
		exists func(string) bool
		want   string
	}{
		{"default file present", nil, exists, "./incidentbot.yaml"},
		{"no file", nil, noFile, ""},
		{"explicit wins", map[string]string{"INCIDENTBOT_CONFIG": "/etc/x.yaml"}, exists, "/etc/x.yaml"},
		{"explicit even if absent", map[string]string{"INCIDENTBOT_CONFIG": "/etc/x.yaml"}, noFile, "/etc/x.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LoadEnv(getenv(tt.env), tt.exists).ConfigPath; got != tt.want {
				t.Errorf("ConfigPath = %q, want %q", got, tt.want)
			}
		})
	}
	// nil asks the file system; the test directory has no incidentbot.yaml.
	if got := LoadEnv(getenv(nil), nil).ConfigPath; got != "" {
		t.Errorf("ConfigPath = %q with no file present", got)
	}
}

func TestEnvLoadConfig(t *testing.T) {
	c, err := Env{}.LoadConfig()
	if err != nil || c.DefaultSeverity != "sev2" {
		t.Errorf("no path: %v, %v", c, err)
	}
	c, err = Env{ConfigPath: "testdata/contract.yaml"}.LoadConfig()
	if err != nil || len(c.Schedules) != 1 {
		t.Errorf("contract: %v", err)
	}
	if _, err = (Env{ConfigPath: "testdata/missing.yaml"}).LoadConfig(); err == nil {
		t.Errorf("missing explicit file: no error")
	}
}

func TestValidateServe(t *testing.T) {
	base := map[string]string{
		"SLACK_BOT_TOKEN":            "xoxb-1",
		"SLACK_SIGNING_SECRET":       "sign",
		"ALERTMANAGER_WEBHOOK_TOKEN": "hook",
	}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
		want string // "" = valid
	}{
		{"complete", base, ""},
		{"nothing set", nil, "SLACK_BOT_TOKEN is required for serve"},
		{"no bot token", with("SLACK_BOT_TOKEN", ""), "SLACK_BOT_TOKEN is required for serve"},
		{"no signing secret", with("SLACK_SIGNING_SECRET", ""),
			"SLACK_SIGNING_SECRET is required for serve unless SLACK_APP_TOKEN (Socket Mode) is set"},
		{"socket mode needs no signing secret", with("SLACK_SIGNING_SECRET", "", "SLACK_APP_TOKEN", "xapp-1"), ""},
		{"no webhook token", with("ALERTMANAGER_WEBHOOK_TOKEN", ""),
			"ALERTMANAGER_WEBHOOK_TOKEN is required unless INCIDENTBOT_WEBHOOK_AUTH=none"},
		{"webhook opt-out", with("ALERTMANAGER_WEBHOOK_TOKEN", "", "INCIDENTBOT_WEBHOOK_AUTH", "none"), ""},
		{"bad webhook auth", with("INCIDENTBOT_WEBHOOK_AUTH", "maybe"),
			`INCIDENTBOT_WEBHOOK_AUTH="maybe" is not supported (use token or none)`},
		{"bad webhook auth beats missing token", with("ALERTMANAGER_WEBHOOK_TOKEN", "", "INCIDENTBOT_WEBHOOK_AUTH", "maybe"),
			`INCIDENTBOT_WEBHOOK_AUTH="maybe" is not supported (use token or none)`},
		{"bad log format", with("LOG_FORMAT", "xml"), `LOG_FORMAT="xml" is not supported (use json or text)`},
		{"bad log level", with("LOG_LEVEL", "loud"),
			`LOG_LEVEL="loud" is not a log level (use trace, debug, info, warn, error, fatal or panic)`},
		{"warning is a level", with("LOG_LEVEL", "warning"), ""},
		{"bad slack url", with("SLACK_API_URL", "slack.com/api/"), `SLACK_API_URL="slack.com/api/" must be an absolute http(s) URL`},
		{"bad public url", with("INCIDENTBOT_PUBLIC_URL", "ftp://x"), `INCIDENTBOT_PUBLIC_URL="ftp://x" must be an absolute http(s) URL`},
		{"bad mongo uri", with("MONGODB_URI", "localhost:27017"), "MONGODB_URI must start with mongodb:// or mongodb+srv://"},
		{"srv mongo uri", with("MONGODB_URI", "mongodb+srv://u:p@cluster.example.com/"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := LoadEnv(getenv(tt.env), noFile).ValidateServe()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("ValidateServe() = %v, want nil", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Errorf("ValidateServe() = %v, want %s", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
		})
	}
	// Validate (for dev) needs no secrets but still rejects bad values.
	if err := LoadEnv(getenv(nil), noFile).Validate(); err != nil {
		t.Errorf("Validate() with nothing set = %v", err)
	}
	if err := LoadEnv(getenv(map[string]string{"LOG_FORMAT": "xml"}), noFile).Validate(); err == nil {
		t.Errorf("Validate() accepted LOG_FORMAT=xml")
	}
}

func TestEnvRedactsSecrets(t *testing.T) {
	secrets := []string{"xoxb-secret-bot", "signing-secret-value", "xapp-secret-app", "hunter2", "webhook-secret-token", "optsecret", "ops:web-password"}
	e := LoadEnv(getenv(map[string]string{
		"SLACK_BOT_TOKEN":            secrets[0],
		"SLACK_SIGNING_SECRET":       secrets[1],
		"SLACK_APP_TOKEN":            secrets[2],
		"MONGODB_URI":                "mongodb://admin:" + secrets[3] + "@db1:27017,db2:27017/ib?replicaSet=rs0&tlsCertificateKeyFilePassword=" + secrets[5],
		"ALERTMANAGER_WEBHOOK_TOKEN": secrets[4],
		"INCIDENTBOT_WEB_AUTH":       secrets[6],
	}), noFile)
	outputs := map[string]string{
		"String": e.String(),
		"%v":     fmt.Sprintf("%v", e),
		"%+v":    fmt.Sprintf("%+v", e),
		"%#v":    fmt.Sprintf("%#v", e),
		// Through fmt, not e.String(): a *Env must print redacted too.
		"ptr":    fmt.Sprint(&e),
		"fields": fmt.Sprint(e.LogFields()),
	}
	for name, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s leaks %q: %s", name, s, out)
			}
		}
	}
	s := e.String()
	for _, want := range []string{
		"SLACK_BOT_TOKEN=(redacted)",
		"SLACK_SIGNING_SECRET=(redacted)",
		"MONGODB_URI=mongodb://admin:xxxxx@db1:27017,db2:27017/ib?replicaSet=rs0&tlsCertificateKeyFilePassword=xxxxx",
		"ALERTMANAGER_WEBHOOK_TOKEN=(redacted)",
		"INCIDENTBOT_WEB_AUTH=(redacted)",
		"INCIDENTBOT_CONFIG=(unset)",
		"LOG_LEVEL=info",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q: %s", want, s)
		}
	}
	if got := LoadEnv(getenv(nil), noFile).String(); !strings.Contains(got, "SLACK_BOT_TOKEN=(unset)") || !strings.Contains(got, "MONGODB_URI=(unset)") {
		t.Errorf("unset secrets should read (unset): %s", got)
	}
	if got := redactURI("not a uri with secret"); got != "(redacted)" {
		t.Errorf("redactURI(garbage) = %q", got)
	}
}
