package service

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/cmd/internal/healthcheck"
	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/tracing"
)

// defaultNATS is the broker `go run ./cmd/hookbridge` embeds, where a sample
// started beside it finds its events without being told.
const defaultNATS = "nats://127.0.0.1:4222"

// Sample is what one sample program has of its own; Main gives it the rest:
// the environment, the flags every sample shares, the healthcheck
// subcommand, the NATS connection, the read path and the consumer.
type Sample struct {
	// Name names the program ("inventory"): its flag set, logs and NATS
	// connection, and, upper-cased, its environment variables <NAME>_LISTEN
	// (the default of --listen, and what `healthcheck` probes) and
	// <NAME>_NATS_URL (the default of --nats) and <NAME>_CONFIG (the default
	// of --config).
	Name string
	// DefaultListen is the default of --listen when <NAME>_LISTEN is empty.
	DefaultListen string
	// ReadPaths are the patterns the read path is served on; the first one
	// is logged as where to read.
	ReadPaths []string
	// ReadHelp names the read path's routes in the usage of --listen
	// ("GET /stock, /stock/{sku}").
	ReadHelp string
	// Flags, if set, adds the sample's own flags to the shared ones.
	Flags func(fs *flag.FlagSet)
	// Check, if set, runs after the flags are parsed and before NATS is
	// dialled, so that bad input fails at once rather than after a wait
	// for the broker.
	Check func() error
	// Start builds the domain service on a connected JetStream; ctx ends
	// after SetupWait, the bound on the broker's answers at start-up.
	Start func(ctx context.Context, js jetstream.JetStream, log *slog.Logger) (Domain, error)
}

// Domain is a started sample's own service, as Main serves and runs it.
type Domain struct {
	// Read serves the sample's ReadPaths.
	Read http.Handler
	// Consumer and Handle run with consumers.Run; Main sets Concurrency
	// from --concurrency and TracerProvider, and fills in Logger and
	// Metrics.
	Consumer consumers.Config
	Handle   consumers.Handler
}

// shared holds the flags every sample takes.
type shared struct {
	nats, listen, config string
	concurrency          int
}

// Main is a sample program's whole run, given the process's context,
// arguments, environment and streams. It traces as the tracing section of
// the --config file and the OTEL_* variables say, a set variable winning
// over its key (see internal/tracing; off unless they ask), as service.name
// "hookbridge-<Name>" unless they say otherwise. Its logger adds trace_id
// and span_id to the lines a handler logs with its ctx (consumers.LogHandler).
// It returns nil for --help, and after ctx is cancelled and the handlers in
// flight have finished.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, s Sample) error {
	env := strings.ToUpper(s.Name)
	listenDefault := getenv(env + "_LISTEN")
	if listenDefault == "" {
		listenDefault = s.DefaultListen
	}
	if len(args) > 0 && args[0] == "healthcheck" {
		// For container HEALTHCHECKs: the image has no shell or curl. It
		// probes the address <NAME>_LISTEN names, as the service listens there.
		return healthcheck.Run(ctx, args[1:], healthcheck.LocalURL(listenDefault, "/healthz"), stdout, stderr)
	}
	opts, err := parse(args, getenv, stderr, s, listenDefault)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	traceFile, err := tracing.LoadSettings(opts.config, getenv)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	log := slog.New(consumers.LogHandler(slog.NewJSONHandler(stdout, nil)))
	tp, stopTracing, err := tracing.StartFrom(ctx, traceFile, getenv, "hookbridge-"+s.Name, log)
	if err != nil {
		return err
	}
	// Deferred first, so it runs last: after the handlers and the connection.
	defer stopTracing()

	nc, js, err := connect(opts.nats, s.Name, log)
	if err != nil {
		return err
	}
	defer nc.Close()

	setupCtx, cancel := context.WithTimeout(ctx, SetupWait)
	d, err := s.Start(setupCtx, js, log)
	cancel()
	if err != nil {
		return err
	}
	d.Consumer.Concurrency = opts.concurrency
	d.Consumer.TracerProvider = tp
	return serve(ctx, js, s, opts.listen, d, log)
}

// parse reads the shared flags and the sample's own, then checks them all.
func parse(args []string, getenv func(string) string, stderr io.Writer, s Sample, listenDefault string) (shared, error) {
	env := strings.ToUpper(s.Name)
	fs := flag.NewFlagSet(s.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	natsDefault := getenv(env + "_NATS_URL")
	if natsDefault == "" {
		natsDefault = defaultNATS
	}
	var o shared
	fs.StringVar(&o.nats, "nats", natsDefault, "NATS server URL(s), comma-separated (env "+env+"_NATS_URL)")
	if s.Flags != nil {
		s.Flags(fs)
	}
	fs.StringVar(&o.listen, "listen", listenDefault, "(env "+env+"_LISTEN) address of the read path: "+s.ReadHelp+", /healthz, /metrics")
	fs.IntVar(&o.concurrency, "concurrency", 4, "webhook events handled at once")
	fs.StringVar(&o.config, "config", getenv(env+"_CONFIG"), "(env "+env+"_CONFIG) hookbridge config file whose tracing section to follow; its other sections are not read")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.concurrency < 1 {
		return o, fmt.Errorf("--concurrency must be at least 1, not %d", o.concurrency)
	}
	if s.Check != nil {
		return o, s.Check()
	}
	return o, nil
}
