package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// Environment defaults, as documented in CONTRACT.md.
const (
	defaultSlackAPIURL     = "https://slack.com/api/"
	defaultMongoDBDatabase = "incidentbot"
	defaultDataDir         = "./data"
	defaultListen          = ":8080"
	defaultPublicURL       = "http://localhost:8080"
	defaultConfigPath      = "./incidentbot.yaml"
	defaultLogLevel        = "info"
	defaultLogFormat       = "json"
)

// Webhook authentication modes (INCIDENTBOT_WEBHOOK_AUTH).
const (
	webhookAuthToken = "token" // bearer token or basic-auth password required
	webhookAuthNone  = "none"  // explicit opt-out: the webhook is open
)

// logLevels are the levels logrus.ParseLevel accepts.
var logLevels = []string{"panic", "fatal", "error", "warn", "warning", "info", "debug", "trace"}

// Env is the process environment the binary reads, with defaults applied.
// Its String form redacts every secret, so an Env may be logged.
type Env struct {
	SlackBotToken      string // SLACK_BOT_TOKEN; secret
	SlackSigningSecret string // SLACK_SIGNING_SECRET; secret
	SlackAppToken      string // SLACK_APP_TOKEN; secret; set = Socket Mode
	SlackAPIURL        string // SLACK_API_URL, always ending in "/"
	MongoDBURI         string // MONGODB_URI; may hold a password; empty = embedded store
	MongoDBDatabase    string // MONGODB_DATABASE
	DataDir            string // INCIDENTBOT_DATA_DIR
	Listen             string // INCIDENTBOT_LISTEN
	PublicURL          string // INCIDENTBOT_PUBLIC_URL
	// ConfigPath is INCIDENTBOT_CONFIG, else ./incidentbot.yaml when that file
	// exists, else empty: run on the built-in defaults.
	ConfigPath   string
	WebhookToken string // ALERTMANAGER_WEBHOOK_TOKEN; secret
	WebhookAuth  string // INCIDENTBOT_WEBHOOK_AUTH: token | none
	WebAuth      string // INCIDENTBOT_WEB_AUTH: user:password (plain or bcrypt); secret; empty = open
	LogLevel     string // LOG_LEVEL, lower-cased
	LogFormat    string // LOG_FORMAT: json | text
	// The paging providers' secrets, kept out of the config file.
	TwilioAuthToken         string // TWILIO_AUTH_TOKEN; secret
	TwilioFallbackAuthToken string // TWILIO_FALLBACK_AUTH_TOKEN; secret
	SMTPPassword            string // SMTP_PASSWORD; secret
	// AlertmanagerAPIToken is ALERTMANAGER_API_TOKEN: the bearer token or
	// basic-auth password of the Alertmanager API (alertmanager.auth); secret.
	AlertmanagerAPIToken string
}

// LoadEnv reads the environment through getenv (os.Getenv in main, a map in
// tests) and applies the defaults. fileExists decides whether the default
// config file is present; nil means "ask the file system". LoadEnv never
// fails: ValidateServe (or Validate) reports bad or missing values.
func LoadEnv(getenv func(string) string, fileExists func(path string) bool) Env {
	if fileExists == nil {
		fileExists = func(p string) bool {
			fi, err := os.Stat(p)
			return err == nil && !fi.IsDir()
		}
	}
	get := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	e := Env{
		SlackBotToken:      get("SLACK_BOT_TOKEN", ""),
		SlackSigningSecret: get("SLACK_SIGNING_SECRET", ""),
		SlackAppToken:      get("SLACK_APP_TOKEN", ""),
		SlackAPIURL:        get("SLACK_API_URL", defaultSlackAPIURL),
		MongoDBURI:         get("MONGODB_URI", ""),
		MongoDBDatabase:    get("MONGODB_DATABASE", defaultMongoDBDatabase),
		DataDir:            get("INCIDENTBOT_DATA_DIR", defaultDataDir),
		Listen:             get("INCIDENTBOT_LISTEN", defaultListen),
		PublicURL:          get("INCIDENTBOT_PUBLIC_URL", defaultPublicURL),
		ConfigPath:         get("INCIDENTBOT_CONFIG", ""),
		WebhookToken:       get("ALERTMANAGER_WEBHOOK_TOKEN", ""),
		WebhookAuth:        strings.ToLower(get("INCIDENTBOT_WEBHOOK_AUTH", webhookAuthToken)),
		WebAuth:            get("INCIDENTBOT_WEB_AUTH", ""),
		LogLevel:           strings.ToLower(get("LOG_LEVEL", defaultLogLevel)),
		LogFormat:          strings.ToLower(get("LOG_FORMAT", defaultLogFormat)),

		TwilioAuthToken:         get("TWILIO_AUTH_TOKEN", ""),
		TwilioFallbackAuthToken: get("TWILIO_FALLBACK_AUTH_TOKEN", ""),
		SMTPPassword:            get("SMTP_PASSWORD", ""),
		AlertmanagerAPIToken:    get("ALERTMANAGER_API_TOKEN", ""),
	}
	// The Slack client appends method names to the base URL.
	if !strings.HasSuffix(e.SlackAPIURL, "/") {
		e.SlackAPIURL += "/"
	}
	if e.ConfigPath == "" && fileExists(defaultConfigPath) {
		e.ConfigPath = defaultConfigPath
	}
	return e
}

// SocketMode reports whether Slack traffic goes over Socket Mode
// (SLACK_APP_TOKEN is set) rather than HTTP requests.
func (e Env) SocketMode() bool { return e.SlackAppToken != "" }

// EmbeddedStore reports whether the embedded store is used (no MONGODB_URI).
func (e Env) EmbeddedStore() bool { return e.MongoDBURI == "" }

// WebhookAuthRequired reports whether the Alertmanager webhook demands a token.
func (e Env) WebhookAuthRequired() bool { return e.WebhookAuth != webhookAuthNone }

// ValidateServe checks what `incidentbot serve` needs and returns the first
// problem as one line naming the variable, e.g.
// "SLACK_BOT_TOKEN is required for serve".
func (e Env) ValidateServe() error {
	switch {
	case e.SlackBotToken == "":
		return errors.New("SLACK_BOT_TOKEN is required for serve")
	case e.SlackSigningSecret == "" && !e.SocketMode():
		return errors.New("SLACK_SIGNING_SECRET is required for serve unless SLACK_APP_TOKEN (Socket Mode) is set")
	}
	if err := e.validateWebhookAuth(); err != nil {
		return err
	}
	if e.WebhookAuthRequired() && e.WebhookToken == "" {
		return errors.New("ALERTMANAGER_WEBHOOK_TOKEN is required unless INCIDENTBOT_WEBHOOK_AUTH=none")
	}
	return e.Validate()
}

// Validate checks the values that every command uses (log settings, URLs,
// webhook auth mode) without requiring any secret; `incidentbot dev` runs
// with it. It returns the first problem as one line naming the variable.
func (e Env) Validate() error {
	if err := e.validateWebhookAuth(); err != nil {
		return err
	}
	if !contains(logLevels, e.LogLevel) {
		return fmt.Errorf("LOG_LEVEL=%q is not a log level (use trace, debug, info, warn, error, fatal or panic)", e.LogLevel)
	}
	if e.LogFormat != "json" && e.LogFormat != "text" {
		return fmt.Errorf("LOG_FORMAT=%q is not supported (use json or text)", e.LogFormat)
	}
	if err := checkHTTPURL("SLACK_API_URL", e.SlackAPIURL); err != nil {
		return err
	}
	if err := checkHTTPURL("INCIDENTBOT_PUBLIC_URL", e.PublicURL); err != nil {
		return err
	}
	if e.MongoDBURI != "" && !strings.HasPrefix(e.MongoDBURI, "mongodb://") && !strings.HasPrefix(e.MongoDBURI, "mongodb+srv://") {
		return errors.New("MONGODB_URI must start with mongodb:// or mongodb+srv://")
	}
	return nil
}

func (e Env) validateWebhookAuth() error {
	if e.WebhookAuth != webhookAuthToken && e.WebhookAuth != webhookAuthNone {
		return fmt.Errorf("INCIDENTBOT_WEBHOOK_AUTH=%q is not supported (use token or none)", e.WebhookAuth)
	}
	return nil
}

func checkHTTPURL(name, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s=%q must be an absolute http(s) URL", name, v)
	}
	return nil
}

// LoadConfig loads the config file named by ConfigPath, or returns the
// built-in defaults when there is none.
func (e Env) LoadConfig() (*Config, error) {
	if e.ConfigPath == "" {
		return Default(), nil
	}
	return Load(e.ConfigPath)
}

// LogFields returns the environment as key/value pairs for a startup log
// line, with every secret redacted.
func (e Env) LogFields() map[string]any {
	return map[string]any{
		"SLACK_BOT_TOKEN":            redact(e.SlackBotToken),
		"SLACK_SIGNING_SECRET":       redact(e.SlackSigningSecret),
		"SLACK_APP_TOKEN":            redact(e.SlackAppToken),
		"SLACK_API_URL":              e.SlackAPIURL,
		"MONGODB_URI":                redactURI(e.MongoDBURI),
		"MONGODB_DATABASE":           e.MongoDBDatabase,
		"INCIDENTBOT_DATA_DIR":       e.DataDir,
		"INCIDENTBOT_LISTEN":         e.Listen,
		"INCIDENTBOT_PUBLIC_URL":     e.PublicURL,
		"INCIDENTBOT_CONFIG":         e.ConfigPath,
		"ALERTMANAGER_WEBHOOK_TOKEN": redact(e.WebhookToken),
		"INCIDENTBOT_WEB_AUTH":       redact(e.WebAuth),
		"INCIDENTBOT_WEBHOOK_AUTH":   e.WebhookAuth,
		"LOG_LEVEL":                  e.LogLevel,
		"LOG_FORMAT":                 e.LogFormat,
		"TWILIO_AUTH_TOKEN":          redact(e.TwilioAuthToken),
		"TWILIO_FALLBACK_AUTH_TOKEN": redact(e.TwilioFallbackAuthToken),
		"SMTP_PASSWORD":              redact(e.SMTPPassword),
		"ALERTMANAGER_API_TOKEN":     redact(e.AlertmanagerAPIToken),
	}
}

// String describes the environment with secrets redacted; fmt's %v and %+v
// use it, so printing an Env never leaks a token.
func (e Env) String() string {
	return fmt.Sprintf("SLACK_BOT_TOKEN=%s SLACK_SIGNING_SECRET=%s SLACK_APP_TOKEN=%s SLACK_API_URL=%s "+
		"MONGODB_URI=%s MONGODB_DATABASE=%s INCIDENTBOT_DATA_DIR=%s INCIDENTBOT_LISTEN=%s "+
		"INCIDENTBOT_PUBLIC_URL=%s INCIDENTBOT_CONFIG=%s ALERTMANAGER_WEBHOOK_TOKEN=%s "+
		"INCIDENTBOT_WEBHOOK_AUTH=%s INCIDENTBOT_WEB_AUTH=%s LOG_LEVEL=%s LOG_FORMAT=%s "+
		"TWILIO_AUTH_TOKEN=%s TWILIO_FALLBACK_AUTH_TOKEN=%s SMTP_PASSWORD=%s ALERTMANAGER_API_TOKEN=%s",
		redact(e.SlackBotToken), redact(e.SlackSigningSecret), redact(e.SlackAppToken), e.SlackAPIURL,
		orUnset(redactURI(e.MongoDBURI)), e.MongoDBDatabase, e.DataDir, e.Listen,
		e.PublicURL, orUnset(e.ConfigPath), redact(e.WebhookToken),
		e.WebhookAuth, redact(e.WebAuth), e.LogLevel, e.LogFormat,
		redact(e.TwilioAuthToken), redact(e.TwilioFallbackAuthToken), redact(e.SMTPPassword), redact(e.AlertmanagerAPIToken))
}

// GoString keeps %#v from printing the raw struct with its secrets.
func (e Env) GoString() string { return "config.Env{" + e.String() + "}" }

func redact(s string) string {
	if s == "" {
		return "(unset)"
	}
	return "(redacted)"
}

// redactURI keeps a connection string readable (hosts, database, options)
// while hiding its password and any secret-looking option. It works on the
// text rather than net/url because replica-set URIs list several hosts.
func redactURI(s string) string {
	if s == "" {
		return ""
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return "(redacted)"
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		user, _, hasPass := strings.Cut(rest[:at], ":")
		if hasPass {
			user += ":xxxxx"
		}
		rest = user + rest[at:]
	}
	if base, query, ok := strings.Cut(rest, "?"); ok {
		opts := strings.Split(query, "&")
		for i, opt := range opts {
			name, _, _ := strings.Cut(opt, "=")
			n := strings.ToLower(name)
			if strings.Contains(n, "password") || strings.Contains(n, "secret") || strings.Contains(n, "token") {
				opts[i] = name + "=xxxxx"
			}
		}
		rest = base + "?" + strings.Join(opts, "&")
	}
	return scheme + "://" + rest
}

func orUnset(s string) string {
	if s == "" {
		return "(unset)"
	}
	return s
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
