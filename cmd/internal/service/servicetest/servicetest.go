// Package servicetest runs a sample program (cmd/inventory, cmd/shipping)
// in its own test as its main runs it: its run function, with arguments,
// an environment and output streams, until the test stops it.
package servicetest

import (
	"context"
	"io"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/hookbridge/hookbridge/cmd/internal/service"
	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/consumers/commerce/commercetest"
	"github.com/hookbridge/hookbridge/internal/logtest"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/otlptest"
)

// Run is a sample program's run function.
type Run func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// readRE finds the read path's URL in the listening line service.Main logs.
var readRE = regexp.MustCompile(`"read":"(http://[^"]+)"`)

// Start runs run with args and getenv, logging to stdout, until it has
// logged that it listens; it returns the read path's base URL
// (http://host:port) and stop, which cancels the program and waits for it
// to return (its handlers' grace, then the read path's), failing the test
// on an error. A program that returns before it listens fails the test.
func Start(t testing.TB, run Run, args []string, getenv func(string) string, stdout *logtest.Buffer) (base string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, getenv, stdout, io.Discard) }()
	natstest.Eventually(t, natstest.Within(service.SetupWait), "the listening line", func() bool {
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v\n%s", err, stdout.String())
		default:
		}
		if m := readRE.FindStringSubmatch(stdout.String()); m != nil {
			u, err := url.Parse(m[1])
			if err != nil {
				t.Fatal(err)
			}
			base = u.Scheme + "://" + u.Host
			return true
		}
		return false
	})
	return base, func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run after cancel: %v", err)
			}
		case <-time.After(natstest.Within(consumers.DefaultShutdownGrace)):
			t.Fatal("run did not return after cancel")
		}
	}
}

// TracedNormaliser runs a normaliser on js until the test ends (js must
// hold WEBHOOKS), traced to the in-memory exporter it returns: the spans a
// sample's consumer spans continue from. It starts once the sample has
// made its consumer (AwaitConsumer), as TestRun's normalisers do.
func TracedNormaliser(t testing.TB, js jetstream.JetStream) *tracetest.InMemoryExporter {
	t.Helper()
	AwaitConsumer(t, js)
	exp := tracetest.NewInMemoryExporter()
	commercetest.RunNormaliser(t, js, commerce.Config{TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))})
	return exp
}

// CheckTrace checks what the sample named name exported to an OTLP
// receiver (spans) against the normaliser's spans (norm): every span
// carries service.name hookbridge-<name>, and each "process COMMERCE", a
// delivery to the sample's consumer, is the child of the normaliser's
// "publish COMMERCE" in its trace, with the messaging attributes. It
// returns those consumer spans; the test fails without any.
func CheckTrace(t testing.TB, spans []otlptest.Span, norm []tracetest.SpanStub, name string) []otlptest.Span {
	t.Helper()
	publishes := map[string]tracetest.SpanStub{}
	for _, s := range norm {
		if s.Name == "publish "+commerce.Stream {
			publishes[s.SpanContext.SpanID().String()] = s
		}
	}
	var procs []otlptest.Span
	for _, s := range spans {
		if s.Service != "hookbridge-"+name {
			t.Errorf("%q came from service.name %q, want hookbridge-%s", s.GetName(), s.Service, name)
		}
		if s.GetName() != "process "+commerce.Stream {
			continue
		}
		procs = append(procs, s)
		pub, ok := publishes[s.ParentID()]
		if !ok || pub.SpanContext.TraceID().String() != s.TraceID() {
			t.Errorf("consumer span %s is not below a publish of the normaliser", s.SpanID())
		}
		if s.GetKind() != tracepb.Span_SPAN_KIND_CONSUMER {
			t.Errorf("consumer span kind %v", s.GetKind())
		}
		for k, v := range map[string]string{"messaging.system": "nats", "messaging.consumer.group.name": name} {
			if got, _ := s.Attr(k); got != v {
				t.Errorf("consumer span %s = %q, want %q", k, got, v)
			}
		}
		for _, k := range []string{"messaging.destination.name", "messaging.message.id", "cloudevents.event_id", "cloudevents.event_type", "hookbridge.delivery.count", "hookbridge.settle"} {
			if v, _ := s.Attr(k); v == "" {
				t.Errorf("consumer span without %s", k)
			}
		}
	}
	if len(procs) == 0 {
		t.Fatalf("no %q span among the %d exported", "process "+commerce.Stream, len(spans))
	}
	return procs
}

// Broker starts an embedded server for the test holding the raw stream
// WEBHOOKS (subjects webhooks.>), where the bridge stores deliveries, and
// returns its URL for --nats and a client.
func Broker(t testing.TB) (string, jetstream.JetStream) {
	t.Helper()
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}}); err != nil {
		t.Fatal(err)
	}
	return "nats://" + ns.Listen, js
}

// StartTraced is Start with OTEL_EXPORTER_OTLP_ENDPOINT (the only
// variable set) at the OTLP receiver it returns; after stop, the receiver
// holds every span the program made.
func StartTraced(t testing.TB, run Run, args []string) (recv *otlptest.Receiver, stop func()) {
	t.Helper()
	recv, endpoint := otlptest.Start(t)
	getenv := func(k string) string {
		if k == "OTEL_EXPORTER_OTLP_ENDPOINT" {
			return endpoint
		}
		return ""
	}
	_, stop = Start(t, run, args, getenv, &logtest.Buffer{})
	return recv, stop
}

// AwaitConsumer waits until a sample started with Start has made its
// consumer on COMMERCE. A normaliser started after it updates the stream's
// config as it takes the stream over, and nats-server v2.15.2 races (its
// race detector says so) between a stream update and a consumer being
// created on the same stream: a test starts the normaliser after this, as
// a deployment would start it long after the sample's consumer exists.
func AwaitConsumer(t testing.TB, js jetstream.JetStream) {
	t.Helper()
	natstest.Eventually(t, natstest.Patience, "the sample's consumer on "+commerce.Stream, func() bool {
		st, err := js.Stream(t.Context(), commerce.Stream)
		if err != nil {
			return false
		}
		info, err := st.Info(t.Context())
		return err == nil && info.State.Consumers > 0
	})
}
