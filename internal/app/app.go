// Package app wires incidentbot together from its configuration: the store,
// the durable jobs, the incidents service, the Alertmanager webhook, Slack and
// the web view. It starts them and stops them cleanly.
package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/sirupsen/logrus"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/alertmanager"
	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/amapi"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/deployhook"
	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/internal/jobs"
	"github.com/incidentbot/incidentbot/internal/store"
	"github.com/incidentbot/incidentbot/internal/web"
	"github.com/incidentbot/incidentbot/internal/webhookauth"
	"github.com/incidentbot/incidentbot/paging"
	"github.com/incidentbot/incidentbot/templates"
)

// BuildInfo identifies the binary.
type BuildInfo struct{ Version, Commit string }

func (b BuildInfo) String() string {
	return fmt.Sprintf("incidentbot %s (commit %s, %s)", b.Version, b.Commit, runtime.Version())
}

// Options build an App. Env and Config are required; the rest have defaults.
type Options struct {
	Env    config.Env
	Config *config.Config
	Logger *logrus.Logger
	// Now is the clock of everything in the app; tests pass a fake one.
	Now func() time.Time
	// Listener serves HTTP; nil listens on Env.Listen.
	Listener net.Listener
	// Store, when set, is used instead of opening one, and is not closed by
	// the app: two apps in one test share a store as two replicas share MongoDB.
	Store store.Store
	// Manual leaves the background loops (job workers, alert applier) stopped;
	// the test harness drives them with RunDue and ApplyPending on a fake clock.
	Manual bool
	// Registry receives the metrics; nil makes a new one.
	Registry *prometheus.Registry
	// SlackMaxWait bounds how long a job waits its turn for a Slack method
	// before it is rescheduled (pace.Options.MaxWait; 0: its default). The
	// harness, on a fake clock, sets it tiny so every wait is a reschedule.
	SlackMaxWait time.Duration
	// SlackTimeout bounds one Slack Web API call (0: slackTimeout, 20s);
	// the fault stories shorten it to see Slack not answering.
	SlackTimeout time.Duration
}

// App is one running incidentbot.
type App struct {
	opts     Options
	log      *logrus.Entry
	store    store.Store
	ownStore bool
	jobStore jobs.Store
	runner   *jobs.Runner
	service  *incidents.Service
	batcher  *alertmanager.Batcher
	applier  *alertmanager.Applier
	server   *http.Server
	listener net.Listener
	holder   string

	slack    *slack.Client // nil without SLACK_BOT_TOKEN
	notifier *bot.Notifier
	pager    *paging.Engine
	handler  *bot.Handler
	cron     *jobs.Cron
	pm       *postmortems

	// Settled before any wiring (settle), from the config.
	templates *templates.Set
	locale    templates.Locale
	lang      templates.Lang // the words of every message, in the config's locale

	directoryOnce sync.Once
	directory     *bot.Directory // people's names for drafts

	am *amapi.Client     // Alertmanager's API; nil without alertmanager.urls
	hb *heartbeatMetrics // nil without heartbeats

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New builds the app: it opens the store (or uses Options.Store) and wires
// every part, but serves nothing until Start.
func New(ctx context.Context, o Options) (a *App, err error) {
	if o.Config == nil {
		return nil, errors.New("app: no config")
	}
	if o.Logger == nil {
		o.Logger = discard.Logger().Logger
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
		o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	a = &App{opts: o, log: logrus.NewEntry(o.Logger), store: o.Store}
	a.holder = fmt.Sprintf("%s-%d-%d", hostname(), os.Getpid(), time.Now().UnixNano())
	if err := a.settle(ctx); err != nil {
		return nil, err
	}
	built := a // the error returns below set a to nil
	defer func() {
		if err != nil {
			built.closeStore()
		}
	}()
	if a.store == nil {
		a.store, err = store.Open(ctx, store.Options{
			URI: o.Env.MongoDBURI, Database: o.Env.MongoDBDatabase, DataDir: o.Env.DataDir,
			Logger: a.log.WithField("component", "store"),
		})
		if err != nil {
			return nil, err
		}
		a.ownStore = true
		if a.store.Embedded() {
			// The data-dir lock makes this the only process on the store, so
			// leases a crashed predecessor left behind are ours to take at once.
			a.holder = "embedded"
		}
	}
	a.jobStore = a.store.Jobs()
	a.runner = jobs.New(a.jobStore, jobs.Options{
		Owner: a.holder, Now: o.Now, Logger: a.log.WithField("component", "jobs"), Registerer: o.Registry,
		Context: jobContext, Expected: isConflict,
	})

	cfg := a.opts.Config // final: settle resolved it
	observer := newIncidentMetrics(o.Registry, func() *incidents.Service { return a.service })
	a.service = incidents.NewService(a.store, taskQueue{a.runner}, incidents.Options{
		Observer: observer, Severities: cfg.Severities, AutoResolve: cfg.AutoResolve.Enabled, AutoResolveAfter: cfg.AutoResolve.After,
		StormMaxNew: cfg.Storm.MaxNew, StormWindow: cfg.Storm.Window, Admins: cfg.Admins, Now: o.Now,
	})
	jobs.Handle(a.runner, jobAutoResolve, a.autoResolve)
	jobs.Handle(a.runner, jobSync, a.syncAndRegenerate)
	jobs.Handle(a.runner, jobOpened, a.openedWithPrevious)

	a.applier, err = alertmanager.NewApplier(alertmanager.ApplierOptions{
		Inbox: a.store, Service: a.service, Routes: cfg.Routing(), Now: o.Now, BatchSize: applyBatch, Beats: heartbeatBeats{a},
		Logger: a.log.WithField("component", "applier"), Lease: a.applierLease,
	})
	if err != nil {
		return nil, err
	}
	a.batcher, err = alertmanager.NewBatcher(a.store, alertmanager.BatcherOptions{
		OnStored: a.applier.Kick, Logger: a.log.WithField("component", "inbox"), Registerer: o.Registry,
	})
	if err != nil {
		return nil, err
	}
	webhook, err := alertmanager.NewHandler(a.batcher, alertmanager.HandlerOptions{
		Token: o.Env.WebhookToken, AuthNone: !o.Env.WebhookAuthRequired(), Now: o.Now,
		Logger: a.log.WithField("component", "webhook"), Registerer: o.Registry,
	})
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.Handle("/webhooks/alertmanager", webhook)
	deployAuth, err := webhookauth.New(o.Env.WebhookToken, !o.Env.WebhookAuthRequired())
	if err != nil {
		return nil, err
	}
	mux.Handle("/webhooks/deploy", deployhook.New(a.store, deployhook.Options{
		Auth: deployAuth, Now: o.Now, Logger: a.log.WithField("component", "deploy-webhook"), Registerer: o.Registry,
	}))
	a.wirePostmortems()
	a.wireReporting()
	if err := a.wireAlertmanager(); err != nil {
		return nil, err
	}
	if err := a.wireSlack(mux); err != nil {
		return nil, err
	}
	if err := a.wirePaging(ctx, mux); err != nil {
		return nil, err
	}
	if err := a.wireMaintenance(); err != nil {
		return nil, err
	}
	if err := a.wireHeartbeats(ctx, mux); err != nil {
		return nil, err
	}
	if a.cron != nil {
		if err := a.wireFollowUps(); err != nil {
			return nil, err
		}
	}
	webAuth, err := web.ParseAuth(o.Env.WebAuth)
	if err != nil {
		return nil, err
	}
	var onCall web.OnCall
	if len(cfg.Schedules) > 0 {
		onCall = webOnCall{a}
	}
	var beats web.Heartbeats
	if len(cfg.Heartbeats) > 0 {
		beats = webHeartbeats{a}
	}
	var regulatory web.Reporting
	if len(cfg.Reporting) > 0 {
		regulatory = webReporting{a}
	}
	web.New(web.Options{
		Incidents: a.service, Deployments: a.store, PageLog: statsSource{a}, OnCall: onCall, Postmortems: webPostmortems{a}, Reporting: regulatory, Names: webNames{a},
		Maintenance: webMaintenance{a}, Heartbeats: beats,
		Auth: webAuth, Severities: severityNames(cfg),
		Ready: a.store.Ping, Gatherer: o.Registry, Location: cfg.Timezone, Now: o.Now,
		Logger: a.log.WithField("component", "web"),
	}).Register(mux)
	a.server = &http.Server{
		Handler:           instrumentHTTP(o.Registry, mux),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	a.listener = o.Listener
	if a.listener == nil {
		if a.listener, err = net.Listen("tcp", o.Env.Listen); err != nil {
			return nil, fmt.Errorf("listen on %s (INCIDENTBOT_LISTEN): %w", o.Env.Listen, err)
		}
	}
	return a, nil
}

// Start serves HTTP and, unless Manual, starts the job workers and the alert applier.
func (a *App) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := a.server.Serve(a.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.WithError(err).Error("http server stopped")
		}
	}()
	if a.opts.Manual {
		return
	}
	a.loop(ctx, "job runner", a.runner.Run)
	a.loop(ctx, "alert applier", a.applier.Run)
	if a.cron != nil {
		a.loop(ctx, "cron", a.cron.Run)
	}
	if a.slack != nil && a.opts.Env.SocketMode() {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			a.runSocketMode(ctx)
		}()
	}
}

// loop runs a background loop until ctx ends, logging how it stopped if not cleanly.
func (a *App) loop(ctx context.Context, name string, run func(context.Context) error) {
	a.wg.Go(func() {
		if err := run(ctx); err != nil && ctx.Err() == nil {
			a.log.WithError(err).Errorf("%s stopped", name)
		}
	})
}

// URL is the base URL the app serves on.
func (a *App) URL() string { return "http://" + a.listener.Addr().String() }

// Service returns the incidents service.
func (a *App) Service() *incidents.Service { return a.service }

// Runner returns the job runner.
func (a *App) Runner() *jobs.Runner { return a.runner }

// Applier returns the alert applier.
func (a *App) Applier() *alertmanager.Applier { return a.applier }

// Store returns the store.
func (a *App) Store() store.Store { return a.store }

// Jobs returns the job store.
func (a *App) Jobs() jobs.Store { return a.jobStore }

// Shutdown stops cleanly: no new requests, in-flight requests and jobs
// finish, the inbox batcher drains, then the store closes.
func (a *App) Shutdown(ctx context.Context) error {
	err := a.server.Shutdown(ctx)
	if a.handler != nil {
		// late slash-command answers in flight
		if herr := a.handler.Shutdown(ctx); herr != nil && err == nil {
			err = herr
		}
	}
	a.batcher.Close()
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
	if a.ownStore {
		if cerr := a.store.Close(ctx); cerr != nil && err == nil {
			err = cerr
		}
	}
	return err
}

// Kill stops abruptly, as a crash would: connections are cut, nothing drains,
// and background loops are abandoned. What was stored stays stored. The
// store is closed so that a new app may open the same data dir.
func (a *App) Kill() {
	a.server.Close()
	if a.cancel != nil {
		a.cancel()
	}
	a.closeStore()
}

func (a *App) closeStore() {
	if a.ownStore && a.store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.store.Close(ctx); err != nil {
			a.log.WithError(err).Warn("closing the store failed")
		}
	}
}

// applyBatch is how many webhook notifications are applied together: each
// incident is read and written once per batch, which matters in a storm
// (thousands of notifications on one incident). Inbox reads and removals are
// by primary key on both stores, so the size costs nothing there.
const applyBatch = 1000

// applierLease lets one replica apply alerts at a time.
func (a *App) applierLease(ctx context.Context) (bool, error) {
	return a.store.AcquireLease(ctx, "alert-applier", a.holder, 30*time.Second, a.opts.Now())
}

func (a *App) autoResolve(ctx context.Context, _ jobs.Job, n int64) error {
	retryAt, err := a.service.AutoResolve(ctx, n)
	if errors.Is(err, incidents.ErrNotFound) {
		return jobs.Permanent(err)
	}
	if err != nil {
		return err
	}
	if !retryAt.IsZero() {
		return jobs.RetryAfter(retryAt.Sub(a.opts.Now()), nil)
	}
	return nil
}

// taskQueue schedules the service's tasks as durable jobs.
type taskQueue struct{ r *jobs.Runner }

func (q taskQueue) Schedule(ctx context.Context, t incidents.Task) error {
	for _, kind := range []jobs.Kind[int64]{jobSync, jobAutoResolve, jobOpened} {
		if kind.Name == t.Kind {
			return q.r.Enqueue(ctx, kind.Job(t.Key, t.Incident, t.RunAt))
		}
	}
	return fmt.Errorf("schedule %s: no job kind for task kind %q", t.Key, t.Kind)
}

func (q taskQueue) Wake() { q.r.Kick() }

// isConflict reports an optimistic-concurrency conflict of any store: a
// job that meets one runs again on fresh reads, as designed.
func isConflict(err error) bool {
	return errors.Is(err, incidents.ErrConflict) || errors.Is(err, paging.ErrConflict)
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "incidentbot"
	}
	return h
}
