// Command deadletters lists and re-publishes the dead letters of hookbridge
// consumers. It traces a redrive as the tracing section of the --config file
// and the OTEL_* variables say, a set variable winning over its key (see
// internal/tracing; off unless they ask).
//
//	deadletters [--nats URL] [--config FILE] list [CONSUMER]
//	deadletters [--nats URL] [--config FILE] redrive CONSUMER
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/tracing"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "deadletters:", err)
		os.Exit(1)
	}
}

// tracerName is the instrumentation scope of the program's own span.
const tracerName = "github.com/hookbridge/hookbridge/cmd/deadletters"

const usage = `Usage:
  deadletters [flags] list [CONSUMER]    show dead letters (all consumers, or one)
  deadletters [flags] redrive CONSUMER   re-publish a consumer's dead letters to their original subjects

Flags:
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deadletters", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	url := fs.String("nats", envOr(getenv, "DEADLETTERS_NATS_URL", "nats://127.0.0.1:4222"), "NATS server URL ($DEADLETTERS_NATS_URL)")
	stream := fs.String("stream", consumers.DefaultDeadLetterStream, "dead-letter stream")
	cfgPath := fs.String("config", getenv("DEADLETTERS_CONFIG"), "hookbridge config file whose tracing section to follow; its other sections are not read ($DEADLETTERS_CONFIG)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("missing command")
	}
	traceFile, err := tracing.LoadSettings(*cfgPath, getenv)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	log := slog.New(consumers.LogHandler(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	tp, stopTracing, err := tracing.StartFrom(ctx, traceFile, getenv, "hookbridge-deadletters", log)
	if err != nil {
		return err
	}
	defer stopTracing()
	nc, err := nats.Connect(*url, nats.Timeout(5*time.Second))
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", *url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	switch cmd, rest := fs.Arg(0), fs.Args()[1:]; {
	case cmd == "list" && len(rest) <= 1:
		filter := consumers.DeadLetterPrefix + ".>"
		if len(rest) == 1 {
			filter = consumers.DeadLetterSubject(rest[0])
		}
		return list(ctx, js, *stream, filter, stdout)
	case cmd == "redrive" && len(rest) == 1:
		// One span for the run; each re-publish is a span below it, linked
		// to the message's first publish (see consumers.Redrive).
		ctx, span := tp.Tracer(tracerName).Start(ctx, "redrive "+rest[0])
		defer span.End()
		n, err := consumers.Redrive(ctx, js, *stream, rest[0])
		span.SetAttributes(attribute.Int("hookbridge.redriven", n))
		if err != nil {
			span.SetStatus(codes.Error, "redrive stopped")
		}
		fmt.Fprintf(stdout, "re-published %d dead letters of %s\n", n, rest[0])
		return err
	default:
		fs.Usage()
		return fmt.Errorf("bad command %q", fs.Args())
	}
}

func list(ctx context.Context, js jetstream.JetStream, stream, filter string, w io.Writer) error {
	s, err := js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		fmt.Fprintln(w, "no dead letters (the stream does not exist yet)")
		return nil
	}
	if err != nil {
		return err
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		return err
	}
	var total uint64
	for _, n := range info.State.Subjects {
		total += n
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tCONSUMER\tDELIVERIES\tORIGINAL SUBJECT\tCE-ID\tREASON")
	if total > 0 {
		oc, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
		if err != nil {
			return err
		}
		for range total {
			m, err := oc.Next(jetstream.FetchMaxWait(5 * time.Second))
			if err != nil {
				return err
			}
			md, _ := m.Metadata()
			h := m.Headers()
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", md.Sequence.Stream, h.Get(consumers.HeaderConsumer),
				h.Get(consumers.HeaderDeliveries), h.Get(consumers.HeaderOriginalSubject), h.Get("ce-id"), h.Get(consumers.HeaderReason))
		}
	}
	return tw.Flush()
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
