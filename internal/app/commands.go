package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/store"
)

// shutdownGrace bounds a clean stop after SIGINT/SIGTERM.
const shutdownGrace = 30 * time.Second

// Serve runs `incidentbot serve` until ctx ends. A missing required setting
// fails at once with one line naming it.
func Serve(ctx context.Context, getenv func(string) string, info BuildInfo) error {
	env := config.LoadEnv(getenv, nil)
	if err := env.ValidateServe(); err != nil {
		return err
	}
	cfg, err := env.LoadConfig()
	if err != nil {
		return err
	}
	log, err := NewLogger(env, os.Stderr)
	if err != nil {
		return err
	}
	return Run(ctx, Options{Env: env, Config: cfg, Logger: log}, info)
}

// Run builds and starts an app, waits for ctx, then shuts it down cleanly.
func Run(ctx context.Context, o Options, info BuildInfo) error {
	a, err := New(ctx, o)
	if err != nil {
		return err
	}
	a.Start()
	a.log.WithFields(logrus.Fields{"version": info.Version, "commit": info.Commit, "listen": a.listener.Addr().String(),
		"embedded_store": o.Env.EmbeddedStore()}).Info("incidentbot started")
	warnUnauthenticated(a.log, o.Env, a.listener.Addr())
	<-ctx.Done()
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	return a.Shutdown(sctx)
}

// NewLogger builds the logrus logger LOG_LEVEL and LOG_FORMAT ask for.
func NewLogger(env config.Env, w io.Writer) (*logrus.Logger, error) {
	log := logrus.New()
	log.SetOutput(w)
	level, err := logrus.ParseLevel(env.LogLevel)
	if err != nil {
		return nil, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	log.SetLevel(level)
	if env.LogFormat == "text" {
		log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
	} else {
		log.SetFormatter(&logrus.JSONFormatter{})
	}
	return log, nil
}

// CheckConfig runs `incidentbot check-config [FILE]`; without FILE it checks
// INCIDENTBOT_CONFIG or ./incidentbot.yaml.
func CheckConfig(getenv func(string) string, path string, stdout, stderr io.Writer) int {
	if path == "" {
		path = config.LoadEnv(getenv, nil).ConfigPath
	}
	if path == "" {
		fmt.Fprintln(stderr, "check-config: no file given, INCIDENTBOT_CONFIG is unset and ./incidentbot.yaml does not exist")
		return 1
	}
	return config.CheckConfig(path, stdout, time.Now)
}

// ExportPostmortems runs `incidentbot export-postmortems --dir DIR`.
func ExportPostmortems(ctx context.Context, getenv func(string) string, dir string, stdout io.Writer) error {
	return exportPostmortems(ctx, getenv, dir, stdout)
}

// Backup runs `incidentbot backup --to FILE`: a consistent copy of the
// embedded store (SQLite VACUUM INTO), which works beside a running serve;
// written beside FILE, checked and renamed into place (sqlite.Backup).
func Backup(ctx context.Context, getenv func(string) string, to string, stdout io.Writer) error {
	env := config.LoadEnv(getenv, nil)
	if !env.EmbeddedStore() {
		return errors.New("backup: MONGODB_URI is set; back up MongoDB with its own tools (mongodump)")
	}
	if err := store.Backup(ctx, env.DataDir, to); err != nil {
		return err
	}
	fi, err := os.Stat(to)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backed up the store in %s to %s (%d bytes)\n", env.DataDir, to, fi.Size())
	return nil
}

// Healthcheck asks the local server's /healthz; for container health checks,
// where the image has no curl.
func Healthcheck(ctx context.Context, getenv func(string) string) error {
	env := config.LoadEnv(getenv, nil)
	host, port, err := net.SplitHostPort(env.Listen)
	if err != nil {
		return fmt.Errorf("INCIDENTBOT_LISTEN %q: %w", env.Listen, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	return nil
}
