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
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/shipping"
	"github.com/hookbridge/hookbridge/internal/healthcheck"
)

const defaultNATS = "nats://127.0.0.1:4222"

// run is the whole program; main only supplies the process's context,
// arguments, environment and streams. It returns nil after ctx is cancelled
// and the handlers in flight have finished.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	listenDefault := getenv("SHIPPING_LISTEN")
	if listenDefault == "" {
		listenDefault = "127.0.0.1:9192"
	}
	if len(args) > 0 && args[0] == "healthcheck" {
		// For container HEALTHCHECKs: the image has no shell or curl. It
		// probes the address $SHIPPING_LISTEN names, as the service listens there.
		return healthcheck.Run(ctx, args[1:], healthcheck.LocalURL(listenDefault, "/healthz"), stdout, stderr)
	}
	fs := flag.NewFlagSet("shipping", flag.ContinueOnError)
	fs.SetOutput(stderr)
	natsDefault := getenv("SHIPPING_NATS_URL")
	if natsDefault == "" {
		natsDefault = defaultNATS
	}
	natsURL := fs.String("nats", natsDefault, "NATS server URL(s), comma-separated (env SHIPPING_NATS_URL)")
	listen := fs.String("listen", listenDefault, "(env SHIPPING_LISTEN) address of the read path: GET /shipments, /shipments/{key}, /healthz, /metrics")
	concurrency := fs.Int("concurrency", 4, "webhook events handled at once")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *concurrency < 1 {
		return fmt.Errorf("--concurrency must be at least 1, not %d", *concurrency)
	}
	log := slog.New(slog.NewJSONHandler(stdout, nil))

	nc, err := nats.Connect(*natsURL,
		nats.Name("hookbridge-shipping"),
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
		return fmt.Errorf("connecting to nats at %s: %w (is `go run ./cmd/hookbridge` running?)", *natsURL, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}

	setupCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	svc, err := shipping.New(setupCtx, js, shipping.Config{Logger: log})
	cancel()
	if err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	cfg := shipping.ConsumerConfig()
	cfg.Concurrency = *concurrency
	cfg.Logger = log
	cfg.Metrics = consumers.NewMetrics(reg)

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	read := svc.ReadHandler()
	mux := http.NewServeMux()
	mux.Handle("/shipments", read)
	mux.Handle("/shipments/", read)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("shipping listening", "read", "http://"+ln.Addr().String()+"/shipments",
		"nats", nc.ConnectedUrlRedacted(), "concurrency", *concurrency)

	// The read path and the consumer run side by side; either failing
	// stops the other.
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

	runErr := consumers.Run(runCtx, js, cfg, svc.Handle)
	graceCtx, cancelGrace := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancelGrace()
	_ = srv.Shutdown(graceCtx)
	if err := <-serveErr; err != nil && runErr == nil {
		runErr = err
	}
	if runErr == nil {
		log.Info("shipping stopped")
	}
	return runErr
}
