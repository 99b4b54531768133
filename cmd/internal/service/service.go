// Package service is what the sample consumers (cmd/inventory,
// cmd/shipping) share around their domain logic: the NATS connection, and a
// read path served next to a durable consumer until shutdown.
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

// Connect dials NATS for service name and keeps reconnecting for as long as
// the process runs.
func Connect(url, name string, log *slog.Logger) (*nats.Conn, jetstream.JetStream, error) {
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

// Spec is one sample service: its read path and its consumer.
type Spec struct {
	// Name is used in logs ("inventory").
	Name string
	// Listen is the read path's address; it also serves /healthz and /metrics.
	Listen string
	// Read serves the paths in ReadPaths ("/stock" and "/stock/").
	Read      http.Handler
	ReadPaths []string
	// Consumer and Handle run with consumers.Run; Consumer's Logger and
	// Metrics are filled in here.
	Consumer consumers.Config
	Handle   consumers.Handler
	Log      *slog.Logger
}

// Run serves the read path and runs the consumer side by side until ctx is
// cancelled (either failing stops the other), then shuts both down: the
// consumer lets its handlers finish, the read path gets 5 s.
func Run(ctx context.Context, js jetstream.JetStream, s Spec) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	cfg := s.Consumer
	cfg.Logger = s.Log
	cfg.Metrics = consumers.NewMetrics(reg)

	ln, err := net.Listen("tcp", s.Listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	mux := http.NewServeMux()
	for _, p := range s.ReadPaths {
		mux.Handle(p, s.Read)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn),
	}
	read := ""
	if len(s.ReadPaths) > 0 {
		read = "http://" + ln.Addr().String() + s.ReadPaths[0]
	}
	s.Log.Info(s.Name+" listening", "read", read, "concurrency", cfg.Concurrency)

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

	runErr := consumers.Run(runCtx, js, cfg, s.Handle)
	graceCtx, cancelGrace := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancelGrace()
	_ = srv.Shutdown(graceCtx)
	if err := <-serveErr; err != nil && runErr == nil {
		runErr = err
	}
	if runErr == nil {
		s.Log.Info(s.Name + " stopped")
	}
	return runErr
}
