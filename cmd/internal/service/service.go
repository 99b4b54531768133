// Package service is the shell the sample consumers (cmd/inventory,
// cmd/shipping) share around their domain logic: environment and flags, the
// healthcheck subcommand, the NATS connection, and a read path served next
// to a durable consumer until shutdown. Each sample's run.go holds only a
// Sample, what is its own.
package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookbridge/hookbridge/consumers"
)

// SetupWait bounds how long a sample waits at start-up for its buckets and
// streams: a broker that is still starting gets this long to answer.
const SetupWait = 30 * time.Second

// connect dials NATS for service name and keeps reconnecting for as long as
// the process runs.
func connect(url, name string, log *slog.Logger) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(url,
		nats.Name("hookbridge-"+name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil: our own Close at shutdown
				log.Warn("nats disconnected", "error", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted()) }),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to nats at %s: %w (is `go run ./cmd/hookbridge` running?)", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream: %w", err)
	}
	return nc, js, nil
}

// serve serves d's read path on listen, with /healthz and /metrics, and runs
// its consumer side by side until ctx is cancelled (either failing stops the
// other), then shuts both down: the consumer lets its handlers finish, the
// read path gets 5 s.
func serve(ctx context.Context, js jetstream.JetStream, s Sample, listen string, d Domain, log *slog.Logger) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	cfg := d.Consumer
	cfg.Logger = log
	cfg.Metrics = consumers.NewMetrics(reg)

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	mux := http.NewServeMux()
	for _, p := range s.ReadPaths {
		mux.Handle(p, d.Read)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	read := ""
	if len(s.ReadPaths) > 0 {
		read = "http://" + ln.Addr().String() + s.ReadPaths[0]
	}
	log.Info(s.Name+" listening", "read", read, "concurrency", cfg.Concurrency)

	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	serveErr := make(chan error, 1)
	go func() {
		err := srv.Serve(ln)
		if !errors.Is(err, http.ErrServerClosed) {
			serveErr <- fmt.Errorf("read path: %w", err)
			stopRun()
		}
		close(serveErr)
	}()

	runErr := consumers.Run(runCtx, js, cfg, d.Handle)
	graceCtx, cancelGrace := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancelGrace()
	_ = srv.Shutdown(graceCtx)
	if err := <-serveErr; err != nil && runErr == nil {
		runErr = err
	}
	if runErr == nil {
		log.Info(s.Name + " stopped")
	}
	return runErr
}
