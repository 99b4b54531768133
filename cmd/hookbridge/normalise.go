package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/cmd/internal/settings"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/internal/config"
	"github.com/hookbridge/hookbridge/internal/tracing"
)

// normalise runs the commerce normaliser alone, apart from any bridge, so
// that it scales and restarts on its own: the config file gives the raw
// stream, its subject prefix, the commerce and the tracing sections; --nats,
// else nats.url, names the server. It stops when ctx is cancelled, after the
// events in flight.
func normalise(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("normalise", flag.ContinueOnError)
	cfg, url, err := loadForNATS(fs, args, getenv, stderr)
	if err != nil {
		return err
	}
	if url == "" {
		return errors.New("normalise: no NATS server: pass --nats URL or set nats.url " +
			"(the embedded server lives inside serve; to normalise there, set commerce.enabled)")
	}
	log, err := newLogger(cfg.Log, stdout)
	if err != nil {
		return err
	}
	tp, stopTracing, err := tracing.StartFrom(ctx, cfg.Tracing, getenv, "hookbridge-normaliser", log)
	if err != nil {
		return err
	}
	defer stopTracing()
	nc, err := nats.Connect(url, append(natsOptions(log), nats.Name("hookbridge-normaliser"), nats.RetryOnFailedConnect(true))...)
	if err != nil {
		return fmt.Errorf("connecting to nats: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	n, err := commerce.New(js, normaliserConfig(cfg, log, nil, tp))
	if err != nil {
		return err
	}
	if err := setUpWithin(ctx, startupWait, n.SetUp); err != nil {
		return err
	}
	log.Info("commerce normaliser running", "nats", nc.ConnectedUrlRedacted(), "stream", commerce.Stream,
		"personal_data", cmp.Or(cfg.Commerce.PersonalData, commerce.PersonalKeep))
	return n.Run(ctx)
}

// setUpWithin tries setUp until it succeeds or the bound passes: a server
// that is still starting (or a cluster without a JetStream leader yet) is
// waited for.
func setUpWithin(ctx context.Context, bound time.Duration, setUp func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 5*time.Second)
		err := setUp(attempt)
		cancelAttempt()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up after %s)", err, bound)
		case <-tick.C:
		}
	}
}

// normaliserConfig is the normaliser's config for the bridge's streams.
func normaliserConfig(cfg *settings.Config, log *slog.Logger, reg prometheus.Registerer, tp trace.TracerProvider) commerce.Config {
	nc := cfg.Commerce.Config
	out := commerceStream(cfg)
	nc.InStreams, nc.InPrefix = cfg.StreamNames(), cfg.NATS.Stream.SubjectPrefix
	nc.OutStream, nc.Replicas, nc.Duplicates = out.Name, out.Replicas, out.Duplicates
	nc.Logger, nc.Registerer, nc.TracerProvider = log.With("component", "commerce"), reg, tp
	return nc
}

// commerceStream is the canonical stream as the normaliser of cfg sets it
// up: the default stream's replicas and duplicate window, which is also
// how long the normaliser reuses a claim-checked event's object (what
// bridge.PruneBodies must be told).
func commerceStream(cfg *settings.Config) bridge.StreamConfig {
	sc := cfg.NATS.Stream
	return bridge.StreamConfig{Name: commerce.Stream, Replicas: sc.Replicas, Duplicates: sc.Duplicates}
}

// startNormaliser sets up the COMMERCE stream (a failure stops start-up)
// and runs the normaliser beside the bridge until the returned stop, which
// lets its handlers in flight finish: call it before the connection closes.
func startNormaliser(ctx context.Context, cfg *settings.Config, js jetstream.JetStream, reg prometheus.Registerer, tp trace.TracerProvider, log *slog.Logger) (stop func(), err error) {
	n, err := commerce.New(js, normaliserConfig(cfg, log, reg, tp))
	if err != nil {
		return nil, err
	}
	setupCtx, cancel := context.WithTimeout(ctx, startupWait)
	defer cancel()
	if err := n.SetUp(setupCtx); err != nil {
		return nil, err
	}
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- n.Run(runCtx) }()
	log.Info("commerce normaliser running", "stream", commerce.Stream, "personal_data", cmp.Or(cfg.Commerce.PersonalData, commerce.PersonalKeep))
	return func() {
		stopRun()
		if err := <-done; err != nil {
			log.Error("commerce normaliser stopped", "error", err)
		}
	}, nil
}

// loadForNATS parses the flags of a command that works against a NATS
// server apart from serve: --config and --nats beside fs's own. It returns
// the config and the server's URL: --nats, else nats.url (empty when
// neither is set, for the caller to explain).
func loadForNATS(fs *flag.FlagSet, args []string, getenv func(string) string, stderr io.Writer) (*settings.Config, string, error) {
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file (default $HOOKBRIDGE_CONFIG, else hookbridge.yaml)")
	natsURL := fs.String("nats", "", "NATS server URL(s), comma-separated (default nats.url from the config)")
	if err := fs.Parse(args); err != nil {
		return nil, "", err
	}
	if fs.NArg() > 0 {
		return nil, "", fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	cfg, err := settings.Load(config.Path(*cfgPath, getenv), getenv)
	if err != nil {
		return nil, "", err
	}
	return cfg, cmp.Or(*natsURL, cfg.NATS.URL), nil
}
