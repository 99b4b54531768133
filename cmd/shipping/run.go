package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/hookbridge/hookbridge/cmd/internal/healthcheck"
	"github.com/hookbridge/hookbridge/cmd/internal/service"
	"github.com/hookbridge/hookbridge/consumers/shipping"
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

	nc, js, err := service.Connect(*natsURL, "shipping", log)
	if err != nil {
		return err
	}
	defer nc.Close()

	setupCtx, cancel := context.WithTimeout(ctx, service.SetupWait)
	svc, err := shipping.New(setupCtx, js, shipping.Config{Logger: log})
	cancel()
	if err != nil {
		return err
	}
	cfg := shipping.ConsumerConfig()
	cfg.Concurrency = *concurrency
	return service.Run(ctx, js, service.Spec{
		Name: "shipping", Listen: *listen,
		Read: svc.ReadHandler(), ReadPaths: []string{"/shipments", "/shipments/"},
		Consumer: cfg, Handle: svc.Handle, Log: log,
	})
}
