package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/bridge/keys"
	"github.com/hookbridge/hookbridge/cmd/internal/console"
	"github.com/hookbridge/hookbridge/cmd/internal/gather"
	"github.com/hookbridge/hookbridge/cmd/internal/logbuf"
	"github.com/hookbridge/hookbridge/cmd/internal/settings"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/internal/claimcheck"
	"github.com/hookbridge/hookbridge/internal/config"
	"github.com/hookbridge/hookbridge/internal/natsserver"
	"github.com/hookbridge/hookbridge/internal/tracing"
)

// startupWait bounds how long start-up waits for NATS and the stream.
const startupWait = 60 * time.Second

// serve runs the bridge (and, with commerce.enabled, the normaliser beside
// it) until ctx is cancelled, then shuts down in order: readiness goes 503,
// the listener stops accepting, in-flight deliveries finish (bounded by
// http.shutdown_grace), the normaliser lets its handlers finish, then the
// NATS connection closes and the embedded server stops; last, the spans
// still buffered are exported (tracing is on only when the config's tracing
// section or the OTEL_* variables ask for it, see internal/tracing).
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file (default $HOOKBRIDGE_CONFIG, else hookbridge.yaml)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	path := config.Path(*cfgPath, getenv)
	cfg, err := settings.Load(path, getenv, settings.Providers())
	if err != nil {
		return err
	}
	// One log line per delivery: batch them into fewer writes.
	logOut := logbuf.New(stdout, 64<<10, 200*time.Millisecond)
	defer logOut.Close()
	log, err := newLogger(cfg.Log, logOut)
	if err != nil {
		return err
	}
	log.Info("config loaded", "path", path)
	defer limitMemory(cfg.HTTP.MaxBodyBytesInFlight, getenv, log)()
	defer tuneGC(cfg.NATS.URL == "", getenv, log)()
	warnFallbacks(log, cfg.Fallbacks)
	// One key fetcher serves every source that verifies with its
	// platform's published keys (paypal, adobe, saleor), so that a key is
	// fetched once however many sources use it.
	fetcher := keys.New(keys.Config{})
	for i := range cfg.Sources {
		cfg.Sources[i].Keys = fetcher
	}
	sources, err := settings.BridgeSources(cfg.Sources)
	if err != nil {
		return err
	}
	warnUnsignedBodies(log, sources)
	warnDevelopmentKeys(log, sources)
	tp, stopTracing, err := tracing.StartFrom(ctx, cfg.Tracing, getenv, "hookbridge", log)
	if err != nil {
		return err
	}
	defer stopTracing()
	return serveWith(ctx, cfg, sources, tp, log)
}

// serveWith runs the bridge for a loaded config. Each step undoes itself
// (deferred) in the reverse order of set-up.
func serveWith(ctx context.Context, cfg *settings.Config, sources []bridge.Source, tp trace.TracerProvider, log *slog.Logger) error {
	// Bind before any side effect (the embedded server, its store, the
	// stream): a port that is taken stops start-up here, with nothing done.
	hookLn, adminLn, err := listen(cfg)
	if err != nil {
		return err
	}
	defer hookLn.Close()
	defer adminLn.Close()

	b, err := connect(cfg, log)
	if err != nil {
		return err
	}
	defer b.close(log)
	js, err := setUpStream(ctx, cfg, b.nc, log)
	if err != nil {
		return err
	}
	buckets, err := setUpBodyBuckets(ctx, cfg, js, log)
	if err != nil {
		return err
	}
	names := cfg.StreamNames()
	readiness := bridge.Readiness{Conn: b.nc, JS: js, Streams: names, Failures: new(bridge.LastFailure)}
	if b.ns != nil {
		defer recoverStorage(ctx, b.ns, b.embedded, log)()
		readiness.Storage = func() error { return natsserver.StoreError(b.ns) }
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h, err := newHandlers(cfg, sources, js, b.nc, buckets, readiness, reg, tp, log)
	if err != nil {
		return err
	}
	if cfg.Commerce.Enabled {
		stop, err := startNormaliser(ctx, cfg, js, reg, tp, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	return h.serve(ctx, cfg.HTTP, hookLn, adminLn, log)
}

// broker is the NATS side: the embedded server (nil when nats.url is set)
// and the connection.
type broker struct {
	ns       *server.Server
	embedded natsserver.Config
	nc       *nats.Conn
}

// connect starts the embedded server unless nats.url is set, and connects.
func connect(cfg *settings.Config, log *slog.Logger) (*broker, error) {
	// The embedded server keeps NATS's default max payload (1 MiB): a body
	// too large for a message is stored in the Object Store in chunks, and
	// its message stays small.
	b := &broker{embedded: cfg.NATS.Embedded}
	var err error
	if cfg.NATS.URL == "" {
		b.ns, err = natsserver.Start(b.embedded, log)
		switch {
		case errors.Is(err, natsserver.ErrStoreDir):
			return nil, cfg.ValueError("nats.embedded.store_dir", b.embedded.StoreDir, err)
		case errors.Is(err, natsserver.ErrListen):
			return nil, cfg.ValueError("nats.embedded.listen", b.embedded.Listen, err)
		case err != nil:
			return nil, err
		}
		log.Info("embedded nats listening", "url", b.ns.ClientURL(), "store_dir", b.embedded.StoreDir, "sync_always", b.embedded.SyncAlways)
		b.nc, err = nats.Connect(b.ns.ClientURL(), nats.InProcessServer(gather.InProcess{Server: b.ns}), nats.Name("hookbridge"))
	} else {
		// RetryOnFailedConnect: a server that is not up yet is waited for
		// (within startupWait, by the stream set-up) instead of failing at
		// once; compose and Kubernetes start things in any order.
		b.nc, err = nats.Connect(cfg.NATS.URL, append(natsOptions(log), nats.RetryOnFailedConnect(true))...)
	}
	if err != nil {
		b.close(log)
		return nil, fmt.Errorf("connecting to nats: %w", err)
	}
	log.Info("nats connection", "status", b.nc.Status().String(), "url", b.nc.ConnectedUrlRedacted())
	return b, nil
}

// close closes the connection, then stops the embedded server.
func (b *broker) close(log *slog.Logger) {
	if b.nc != nil {
		b.nc.Close()
	}
	if b.ns != nil {
		b.ns.Shutdown()
		b.ns.WaitForShutdown()
		log.Info("embedded nats stopped")
	}
}

// setUpStream creates or updates the webhook streams (one unless sources
// name streams of their own). A broker or cluster that is still starting is
// waited for, within a bound: a fresh cluster has no JetStream leader for
// several seconds.
func setUpStream(ctx context.Context, cfg *settings.Config, nc *nats.Conn, log *slog.Logger) (jetstream.JetStream, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	streams := cfg.Streams()
	setupCtx, cancel := context.WithTimeout(ctx, startupWait)
	defer cancel()
	_, err = bridge.SetUpStreams(setupCtx, js, streams, 5*time.Second, func(err error) {
		log.Warn("stream not ready yet; retrying", "stream", strings.Join(cfg.StreamNames(), ","), "nats", nc.Status().String(), "error", err)
	})
	if err != nil {
		return nil, err
	}
	for _, sc := range streams {
		log.Info("stream ready", "stream", sc.Name, "subjects", strings.Join(sc.Subjects(), ","),
			"replicas", sc.Replicas, "duplicate_window", sc.Duplicates.String())
	}
	return js, nil
}

// setUpBodyBuckets creates or updates the body bucket of each webhook
// stream, with the stream's max age as TTL.
func setUpBodyBuckets(ctx context.Context, cfg *settings.Config, js jetstream.JetStream, log *slog.Logger) (map[string]bridge.ObjectStore, error) {
	setupCtx, cancel := context.WithTimeout(ctx, startupWait)
	defer cancel()
	buckets, err := bridge.SetUpBodyBuckets(setupCtx, js, cfg.Streams(), 5*time.Second, func(err error) {
		log.Warn("body bucket not ready yet; retrying", "stream", strings.Join(cfg.StreamNames(), ","), "error", err)
	})
	if err != nil {
		return nil, err
	}
	for _, sc := range cfg.Streams() {
		log.Info("body bucket ready", "stream", sc.Name, "bucket", bridge.BodyBucket(sc.Name))
	}
	return buckets, nil
}

// handlers are what the two HTTP servers serve.
type handlers struct {
	hook, admin http.Handler
	console     *console.Console // nil when admin.console.enabled is false
	sources     string           // for the start-up log: "name (kind), ..."
	draining    *atomic.Bool
}

// newHandlers builds the webhook handler and the admin endpoints, whose
// readiness turns 503 as soon as the bridge starts draining, with the
// console at every other path of the admin listener.
func newHandlers(cfg *settings.Config, sources []bridge.Source, js jetstream.JetStream, nc *nats.Conn, buckets map[string]bridge.ObjectStore, readiness bridge.Readiness, reg *prometheus.Registry, tp trace.TracerProvider, log *slog.Logger) (*handlers, error) {
	inline := nc.MaxPayload() - claimcheck.HeaderRoom
	if inline <= 0 {
		return nil, fmt.Errorf("the nats server's max_payload (%d bytes) leaves no room for a CloudEvent's headers (%d bytes)", nc.MaxPayload(), claimcheck.HeaderRoom)
	}
	var activity *bridge.Activity // what the console shows of each source
	if cfg.Admin.Console.On() {
		activity = new(bridge.Activity)
	}
	hook, err := bridge.NewServer(bridge.Config{
		Stream:         cfg.NATS.Stream.Name,
		SubjectPrefix:  cfg.NATS.Stream.SubjectPrefix,
		Limits:         cfg.HTTP.Limits,
		Bodies:         &bridge.Bodies{InlineMax: inline, Buckets: buckets, ReuseWithin: cfg.NATS.Stream.Duplicates},
		PublishTimeout: cfg.NATS.PublishTimeout,
		Failures:       readiness.Failures,
		Activity:       activity,
		TracerProvider: tp,
	}, sources, bridge.NewStreamPublisher(nc), log, bridge.NewMetrics(reg)) // deliveries only: claim checks and the rest use js
	if err != nil {
		return nil, err
	}
	h := &handlers{hook: hook, draining: new(atomic.Bool)}
	isReady := bridge.Ready(readiness)
	ready := func(ctx context.Context) error {
		if h.draining.Load() {
			return errors.New("shutting down")
		}
		return isReady(ctx)
	}
	h.admin = bridge.NewAdmin(ready, reg)
	names := make([]string, len(sources))
	for i, s := range sources {
		names[i] = s.Name + " (" + s.Provider.Kind() + ")"
	}
	h.sources = strings.Join(names, ", ")
	if cfg.Admin.Console.On() {
		if h.console, err = newConsole(cfg, sources, js, ready, readiness.Failures, activity, reg, log); err != nil {
			return nil, err
		}
		h.admin = adminMux(h.admin, h.console)
	}
	return h, nil
}

// newConsole builds the console from what the bridge already has: its
// metrics registry, readiness, memory of failures and of each source's
// last answers, and JetStream.
func newConsole(cfg *settings.Config, sources []bridge.Source, js jetstream.JetStream, ready bridge.ReadyFunc, failures *bridge.LastFailure, activity *bridge.Activity, reg prometheus.Gatherer, log *slog.Logger) (*console.Console, error) {
	c := cfg.Admin.Console
	streams := cfg.StreamNames()
	if cfg.Commerce.Enabled {
		streams = append(streams, commerce.Stream)
	}
	srcs := make([]console.Source, len(sources))
	for i, s := range sources {
		srcs[i] = console.Source{Name: s.Name, Provider: s.Provider.Kind()}
	}
	return console.New(console.Config{
		Sources:       srcs,
		Gatherer:      reg,
		Ready:         ready,
		Failures:      failures,
		Activity:      activity,
		JS:            js,
		Streams:       streams,
		SubjectPrefix: cfg.NATS.Stream.SubjectPrefix,
		Auth:          console.Auth{Token: c.Token, Username: c.Username, Password: c.Password},
		HideBodies:    c.HideBodies,
		Log:           log.With("component", "console"),
	})
}

// adminMux serves admin's three paths as they always were (unauthenticated:
// orchestrators and Prometheus probe them) and the console at every other.
func adminMux(admin, c http.Handler) http.Handler {
	mux := http.NewServeMux()
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		mux.Handle(path, admin)
	}
	mux.Handle("/", c)
	return mux
}

// serve serves h on the two listeners until ctx is cancelled or a server
// fails, then drains: readiness goes 503, and deliveries in flight get
// http.shutdown_grace to finish.
func (h *handlers) serve(ctx context.Context, c settings.HTTP, hookLn, adminLn net.Listener, log *slog.Logger) error {
	errLog := slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	hookSrv := &http.Server{
		Handler:           h.hook,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       c.ReadTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       c.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          errLog,
	}
	adminSrv := &http.Server{Handler: h.admin, ReadHeaderTimeout: 5 * time.Second, ErrorLog: errLog}
	if h.console != nil {
		adminSrv.RegisterOnShutdown(h.console.Close) // live views would hold the shutdown for its whole grace
	}
	log.Info("hookbridge listening",
		"webhooks", "http://"+hookLn.Addr().String()+"/webhooks/{source}",
		"admin", "http://"+adminLn.Addr().String(),
		"console", h.console != nil,
		"sources", h.sources)

	if h.console != nil {
		sampling, stopSampling := context.WithCancel(ctx)
		sampled := make(chan struct{})
		go func() { defer close(sampled); h.console.Run(sampling) }()
		defer func() { stopSampling(); <-sampled }()
	}
	serveErr := make(chan error, 2)
	go func() { serveErr <- hookSrv.Serve(bridge.GuardFraming(hookSrv, hookLn)) }()
	go func() { serveErr <- adminSrv.Serve(adminLn) }()

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "grace", c.ShutdownGrace.String())
	case err := <-serveErr:
		runErr = fmt.Errorf("http server: %w", err)
	}
	h.draining.Store(true)
	graceCtx, cancelGrace := context.WithTimeout(context.WithoutCancel(ctx), c.ShutdownGrace)
	defer cancelGrace()
	if err := hookSrv.Shutdown(graceCtx); err != nil {
		log.Error("deliveries still in flight after the grace period were cut off", "error", err)
		hookSrv.Close()
	}
	_ = adminSrv.Shutdown(graceCtx)
	log.Info("http stopped; closing nats")
	return runErr
}

// recoverStorage runs the embedded server's storage recovery (a full disk
// heals once space is freed) until the returned stop is called, which
// waits for it: stop it before the server shuts down.
func recoverStorage(ctx context.Context, ns *server.Server, cfg natsserver.Config, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		natsserver.Recovery{Server: ns, Config: cfg, Log: log.With("component", "nats-recovery")}.Run(ctx)
	}()
	return func() { cancel(); <-done }
}

// listen binds the webhook and admin listeners and, for the embedded server,
// checks that its address can be bound too. The operating system judges
// clashes, so 127.0.0.1:P next to localhost:P, 0.0.0.0:P or [::]:P is caught
// like a port another process holds; the error names the field, and the
// other field when the clash is between two of ours. The embedded server's
// address is only tried (nats-server binds it itself, moments later; a
// process that takes it in between is reported by natsserver.Start).
func listen(cfg *settings.Config) (hook, admin net.Listener, err error) {
	type bound struct {
		field string
		ln    net.Listener
	}
	var ours []bound
	bind := func(field, addr string) (net.Listener, error) {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			ours = append(ours, bound{field, ln})
			return ln, nil
		}
		_, port, _ := net.SplitHostPort(addr)
		inUse := errors.Is(err, syscall.EADDRINUSE)
		err = cfg.ValueError(field, addr, err)
		for _, b := range ours {
			if inUse && port != "0" && port == strconv.Itoa(b.ln.Addr().(*net.TCPAddr).Port) {
				err = fmt.Errorf("%w (%s, which this bridge has just bound, has the same port: the two clash)", err, b.field)
			}
			b.ln.Close()
		}
		return nil, err
	}
	if hook, err = bind("http.listen", cfg.HTTP.Listen); err != nil {
		return nil, nil, err
	}
	if admin, err = bind("admin.listen", cfg.Admin.Listen); err != nil {
		return nil, nil, err
	}
	if addr := cfg.NATS.Embedded.Listen; cfg.NATS.URL == "" && !strings.HasSuffix(addr, ":0") {
		probe, err := bind("nats.embedded.listen", addr)
		if err != nil {
			return nil, nil, err
		}
		probe.Close()
	}
	return hook, admin, nil
}

// natsOptions keeps the bridge connected to an external server for as long
// as it runs: publishes made while it reconnects wait (up to the publish
// timeout) instead of failing at once.
func natsOptions(log *slog.Logger) []nats.Option {
	return []nats.Option{
		nats.Name("hookbridge"),
		// Publishes made together leave in one write (see cmd/internal/gather).
		nats.SetCustomDialer(&gather.Dialer{Dialer: net.Dialer{Timeout: nats.DefaultTimeout}}),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("nats disconnected", "error", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted())
		}),
	}
}

// warnFallbacks says loudly when a secret is a development default.
func warnFallbacks(log *slog.Logger, fallbacks []config.Fallback) {
	for _, f := range fallbacks {
		if strings.Contains(f.Path, "secret") {
			log.Warn("INSECURE: using the development default secret from the config file; set the variable before exposing this bridge",
				"path", f.Path, "variable", f.Var)
		}
	}
}

// warnUnsignedBodies says loudly, once per source, when a platform does
// not sign the body (Ecwid signs only the event's id and time): the events
// it publishes are authentic in their id and time alone, and consumers
// must fetch the entity from the platform's API before trusting the rest;
// and when it signs the body only through a CRC (PayPal), which a forger
// can match.
func warnUnsignedBodies(log *slog.Logger, sources []bridge.Source) {
	for _, s := range sources {
		switch {
		case !s.Provider.SignsBody():
			log.Warn("UNSIGNED BODY: this platform signs only the event's id and time, not the body; consumers must fetch the entity from the platform's API before trusting anything else in the event",
				"source", s.Name, "provider", s.Provider.Kind())
		case s.Provider.SignsBodyWeakly():
			log.Warn("WEAK BODY SIGNATURE: this platform signs the body only through its CRC-32, which a forger holding one genuine delivery can match within the tolerance; consumers must fetch the resource from the platform's API before acting on money",
				"source", s.Name, "provider", s.Provider.Kind())
		}
	}
}

// warnDevelopmentKeys says loudly, once per source, when a source trusts
// the published development key (development_keys: true) in place of its
// platform's: anybody can sign deliveries that it accepts.
func warnDevelopmentKeys(log *slog.Logger, sources []bridge.Source) {
	for _, s := range sources {
		if s.Provider.TrustsDevelopmentKey() {
			log.Warn("INSECURE: DEVELOPMENT KEYS: this source trusts hookbridge's published development key instead of its platform's keys; anybody can forge its deliveries; never expose this bridge",
				"source", s.Name, "provider", s.Provider.Kind())
		}
	}
}

func newLogger(c settings.Log, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(w, opts)), nil
}
