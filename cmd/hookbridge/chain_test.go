package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/consumers/inventory"
	"github.com/hookbridge/hookbridge/internal/logtest"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/otlptest"
)

// TestTraceChain follows one delivery through every hop in one trace:
// serve (bridge and its in-process normaliser, exported over OTLP) and a
// consumer of canonical events (the SDK's in-memory exporter), whose
// handler's own span nests below its consumer span.
//
//	POST /webhooks/{source} -> publish WEBHOOKS -> process WEBHOOKS
//	  -> publish COMMERCE -> process COMMERCE -> the team's span
func TestTraceChain(t *testing.T) {
	recv, in, stopServe := startTraced(t)
	js := jsOf(t, in)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	stopSample := runConsumer(t, js, consumers.Config{
		Stream: commerce.Stream, Name: "orders", FilterSubjects: []string{"commerce.order.>"}, TracerProvider: tp,
	}, func(ctx context.Context, _ event.Event) error {
		_, span := tp.Tracer("team").Start(ctx, "reserve stock")
		span.End()
		return nil
	})

	fixture := filepath.Join("..", "..", "consumers", "commerce", "testdata", "shopify", "orders.paid.json")
	sendOrder(t, in, "chain-1", "orders/paid", "--file", fixture)
	team := waitSpan(t, exp, "the team's span", func(s tracetest.SpanStub) bool { return s.Name == "reserve stock" })
	proc := waitSpan(t, exp, "the consumer span", func(s tracetest.SpanStub) bool { return s.Name == "process COMMERCE" })
	stopSample()
	stopServe()

	serveChain(t, recv.Spans(), proc)
	if team.Parent.SpanID() != proc.SpanContext.SpanID() {
		t.Errorf("the team's span is not below the consumer span")
	}
}

// retryDelay and retries are the inventory consumer's back-off and
// MaxDeliver in TestTraceChainRetryAndDeadLetter: a short delay, so that
// the test does not wait long, which is usually enough for the test to
// bring the missing stream back before the first redelivery; and enough
// deliveries that a run stalled for seconds on a busy machine still ends
// in a retry that succeeds rather than in a dead letter.
const (
	retryDelay = 300 * time.Millisecond
	retries    = 20
)

// TestTraceChainRetryAndDeadLetter follows deliveries behind serve
// (exported over OTLP) into the inventory sample's own consumer and
// handler (inventory.ConsumerConfig and Service.Handle, as cmd/inventory
// runs them, on the in-memory exporter), where they fail as they would in
// production:
//
//   - an order that takes a SKU below zero while the sample's events
//     stream is gone cannot publish its backorder: the delivery is retried
//     (a second "process COMMERCE" under the same publish), and succeeds,
//     publishing the backorder in the same trace, once the stream is back;
//   - an order past inventory's quantity bound is dead-lettered at once
//     (a "publish DEADLETTER" span below its consumer span, the dead
//     letter keeping the trace headers), then redriven as cmd/deadletters
//     does: the redriven delivery continues the trace the order started,
//     and the re-publish links back to the first publish.
func TestTraceChainRetryAndDeadLetter(t *testing.T) {
	recv, in, stopServe := startTraced(t)
	js := jsOf(t, in)
	ctx := t.Context()

	// One mug in stock: the sample order (two mugs) backorders one.
	svc, err := inventory.New(ctx, js, inventory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Seed(ctx, map[string]int{"HB-MUG-01": 1}); err != nil {
		t.Fatal(err)
	}
	const events = "INVENTORY_EVENTS"
	if err := js.DeleteStream(ctx, events); err != nil {
		t.Fatal(err)
	}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	cfg := inventory.ConsumerConfig()
	cfg.TracerProvider, cfg.Backoff, cfg.MaxDeliver = tp, []time.Duration{retryDelay}, retries
	stopSample := runConsumer(t, js, cfg, svc.Handle)

	sendOrder(t, in, "retry-1", "orders/create")
	isProcess := func(s tracetest.SpanStub, settle string) bool {
		return s.Name == "process COMMERCE" && attrOf(s, "hookbridge.settle") == settle
	}
	failed := waitSpan(t, exp, "the failed delivery", func(s tracetest.SpanStub) bool { return isProcess(s, "retry") })
	// The stream back (as a restarted inventory makes it): the redelivery
	// publishes the backorder the first one could not.
	if _, err := inventory.New(ctx, js, inventory.Config{}); err != nil {
		t.Fatal(err)
	}
	acked := waitSpan(t, exp, "the retried delivery", func(s tracetest.SpanStub) bool { return isProcess(s, "ack") })

	bad := filepath.Join(t.TempDir(), "too-many.json")
	if err := os.WriteFile(bad, []byte(`{"id":4242,"currency":"USD","line_items":[{"sku":"HB-MUG-01","quantity":9000000000}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	sendOrder(t, in, "bad-1", "orders/create", "--file", bad)
	dead := waitSpan(t, exp, "the dead-lettered delivery", func(s tracetest.SpanStub) bool { return isProcess(s, "dead_letter") })
	dls, err := js.Stream(ctx, consumers.DefaultDeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	dl, err := dls.GetLastMsgForSubject(ctx, consumers.DeadLetterSubject(cfg.Name))
	if err != nil {
		t.Fatal(err)
	}

	// A redrive, as `deadletters redrive inventory` runs it.
	redriveCtx, redrive := tp.Tracer("redrive").Start(ctx, "redrive "+cfg.Name)
	n, err := consumers.Redrive(redriveCtx, js, "", cfg.Name)
	redrive.End()
	if err != nil || n != 1 {
		t.Fatalf("Redrive = %d, %v; want the one dead letter", n, err)
	}
	again := waitSpan(t, exp, "the redriven delivery", func(s tracetest.SpanStub) bool {
		return isProcess(s, "dead_letter") && s.SpanContext.SpanID() != dead.SpanContext.SpanID()
	})
	stopSample()
	// What the checks below read of the broker, before serve (and its
	// embedded server) stops to export the last of its spans.
	msgs := stored(t, js)
	es, err := js.Stream(ctx, events)
	if err != nil {
		t.Fatal(err)
	}
	backorderMsg, err := es.GetLastMsgForSubject(ctx, inventory.BackorderSubjectPrefix+"HB-MUG-01")
	if err != nil {
		t.Fatal(err)
	}
	stopServe()

	spans := recv.Spans()
	t.Run("retried", func(t *testing.T) {
		post := serveChain(t, spans, failed)
		checkProcess(t, msgs, failed, cfg.Name, 1)
		if got := attrOf(failed, "hookbridge.retry.delay_ms"); got != strconv.FormatInt(retryDelay.Milliseconds(), 10) {
			t.Errorf("retry delay = %q, want the back-off's %s", got, retryDelay)
		}
		// The same message, delivered again: a sibling under the same
		// publish, its delivery count one of the retries after the first.
		serveChain(t, spans, acked)
		checkProcess(t, msgs, acked, cfg.Name, -1)
		if acked.Parent.SpanID() != failed.Parent.SpanID() || attrOf(acked, "hookbridge.stream.sequence") != attrOf(failed, "hookbridge.stream.sequence") {
			t.Errorf("the acknowledged delivery is not the failed message's redelivery")
		}
		if n, _ := strconv.Atoi(attrOf(acked, "hookbridge.delivery.count")); n < 2 || n > retries {
			t.Errorf("acknowledged at delivery %d, want a retry", n)
		}
		backorder := childOf(t, exp, acked, "publish")
		if got := attrOf(backorder, "messaging.destination.name"); got != inventory.BackorderSubjectPrefix+"HB-MUG-01" {
			t.Errorf("the handler's publish went to %q", got)
		}
		// Whoever consumes backorders continues the same trace.
		if got, want := backorderMsg.Header.Get("traceparent"), traceParent(backorder.SpanContext.TraceID().String(), backorder.SpanContext.SpanID().String()); got != want {
			t.Errorf("backorder traceparent = %q, want %q", got, want)
		}
		if acked.SpanContext.TraceID().String() != post.TraceID() {
			t.Errorf("the retry left the delivery's trace")
		}
	})
	t.Run("dead-lettered", func(t *testing.T) {
		post := serveChain(t, spans, dead)
		checkProcess(t, msgs, dead, cfg.Name, 1)
		if got := attrOf(dead, "hookbridge.dead_letter.reason"); got != "permanent" {
			t.Errorf("dead-letter reason = %q, want permanent (a bad payload)", got)
		}
		pub := childOf(t, exp, dead, "publish "+consumers.DefaultDeadLetterStream)
		if pub.SpanKind != trace.SpanKindProducer || attrOf(pub, "messaging.destination.name") != consumers.DeadLetterSubject(cfg.Name) {
			t.Errorf("dead letter's publish: kind %v, destination %q", pub.SpanKind, attrOf(pub, "messaging.destination.name"))
		}
		// The dead letter keeps the message's trace headers: its
		// traceparent the normaliser's publish, its ce-traceparent the
		// bridge's server span, where the event started.
		if got, want := dl.Header.Get("traceparent"), traceParent(post.TraceID(), dead.Parent.SpanID().String()); got != want {
			t.Errorf("dead letter traceparent = %q, want %q", got, want)
		}
		if got, want := dl.Header.Get("ce-traceparent"), traceParent(post.TraceID(), post.SpanID()); got != want {
			t.Errorf("dead letter ce-traceparent = %q, want %q", got, want)
		}
	})
	t.Run("redriven", func(t *testing.T) {
		// The redriven delivery: a new message, first delivered, in the
		// trace the order started, below the same publish.
		serveChain(t, spans, again)
		checkProcess(t, msgs, again, cfg.Name, 1)
		if again.Parent.SpanID() != dead.Parent.SpanID() {
			t.Errorf("the redriven delivery is not below the order's first publish")
		}
		// The re-publish is in the redrive's own trace, linked to the
		// order's.
		pub := childOf(t, exp, spanNamed(t, exp, "redrive "+cfg.Name), "publish "+commerce.Stream)
		if len(pub.Links) != 1 || pub.Links[0].SpanContext.SpanID() != dead.Parent.SpanID() || pub.Links[0].SpanContext.TraceID() != dead.Parent.TraceID() {
			t.Errorf("the re-publish's links %v do not lead to the order's first publish %v", pub.Links, dead.Parent)
		}
		if got := attrOf(again, "messaging.message.id"); got != "redrive:"+consumers.DefaultDeadLetterStream+":"+strconv.FormatUint(dl.Sequence, 10) {
			t.Errorf("redriven message id = %q", got)
		}
	})
}

// startTraced runs serve with the commerce normaliser, exporting over OTLP
// to a receiver; stop cancels it and waits for it to return, by when every
// span it made has been exported.
func startTraced(t *testing.T) (recv *otlptest.Receiver, in instance, stop func()) {
	t.Helper()
	recv, endpoint := otlptest.Start(t)
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
	in = newInstance(t).withCommerce(t, `{enabled: true}`)
	var logs logtest.Buffer
	cancel, wait := in.startEnv(t, &logs, func(k string) string { return env[k] })
	t.Cleanup(cancel)
	return recv, in, func() {
		t.Helper()
		cancel()
		if err := wait(); err != nil {
			t.Fatalf("run: %v\n%s", err, logs.String())
		}
	}
}

// jsOf is a JetStream client of in's embedded server, closed when the
// test ends.
func jsOf(t *testing.T, in instance) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect("nats://" + in.nats)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// runConsumer runs consumers.Run(cfg, h) until the returned stop, which
// waits for it and fails the test on its error.
func runConsumer(t *testing.T, js jetstream.JetStream, cfg consumers.Config, h consumers.Handler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- consumers.Run(ctx, js, cfg, h) }()
	return func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// sendOrder runs `hookbridge send shop` for a delivery of event with id,
// and the further flags extra.
func sendOrder(t *testing.T, in instance, id, event string, extra ...string) {
	t.Helper()
	args := append([]string{"send", "--config", in.cfgPath, "--event", event, "--id", id}, extra...)
	var out bytes.Buffer
	if err := run(context.Background(), append(args, "shop"), noEnv, &out, &out); err != nil {
		t.Fatalf("send: %v\n%s", err, out.String())
	}
}

// waitSpan waits for a span that match accepts to be exported to exp and
// returns it.
func waitSpan(t *testing.T, exp *tracetest.InMemoryExporter, what string, match func(tracetest.SpanStub) bool) tracetest.SpanStub {
	t.Helper()
	var found tracetest.SpanStub
	natstest.Eventually(t, natstest.Patience, what, func() bool {
		for _, s := range exp.GetSpans() {
			if match(s) {
				found = s
				return true
			}
		}
		return false
	})
	return found
}

// spanNamed is the span named name exp holds; the test fails without one.
func spanNamed(t *testing.T, exp *tracetest.InMemoryExporter, name string) tracetest.SpanStub {
	t.Helper()
	for _, s := range exp.GetSpans() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no %q span", name)
	return tracetest.SpanStub{}
}

// childOf is parent's child named name in exp; the test fails without one.
func childOf(t *testing.T, exp *tracetest.InMemoryExporter, parent tracetest.SpanStub, name string) tracetest.SpanStub {
	t.Helper()
	for _, s := range exp.GetSpans() {
		if s.Name == name && s.Parent.SpanID() == parent.SpanContext.SpanID() {
			if s.SpanContext.TraceID() != parent.SpanContext.TraceID() {
				t.Errorf("%q is in another trace than its parent %q", name, parent.Name)
			}
			return s
		}
	}
	t.Fatalf("no %q span below %q", name, parent.Name)
	return tracetest.SpanStub{}
}

// attrOf is the attribute key of s as text; "" when s has none.
func attrOf(s tracetest.SpanStub, key string) string {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value.Emit()
		}
	}
	return ""
}

// traceParent is the W3C traceparent of a sampled span.
func traceParent(traceID, spanID string) string { return "00-" + traceID + "-" + spanID + "-01" }

// serveHops are serve's spans above a consumer's span on COMMERCE, from
// its parent up to the delivery's root.
var serveHops = []string{"publish COMMERCE", "process WEBHOOKS", "publish WEBHOOKS", "POST /webhooks/{source}"}

// serveChain checks that proc, a consumer's span on COMMERCE, continues
// the trace serve exported (spans): parent by parent up to the bridge's
// server span, which has no parent, all in proc's trace. It returns that
// server span.
func serveChain(t *testing.T, spans []otlptest.Span, proc tracetest.SpanStub) otlptest.Span {
	t.Helper()
	byID := map[string]otlptest.Span{}
	for _, s := range spans {
		byID[s.SpanID()] = s
	}
	traceID, parent := proc.SpanContext.TraceID().String(), proc.Parent.SpanID().String()
	var s otlptest.Span
	for i, name := range serveHops {
		var ok bool
		if s, ok = byID[parent]; !ok || s.GetName() != name {
			t.Fatalf("hop %d above %q: want serve's %q, got %q (%d spans exported)", i+1, proc.Name, name, s.GetName(), len(spans))
		}
		if s.TraceID() != traceID {
			t.Errorf("%q is in another trace than %q", name, proc.Name)
		}
		parent = s.ParentID()
	}
	if parent != "" {
		t.Errorf("%q has a parent %s: the delivery came without a traceparent", s.GetName(), parent)
	}
	return s
}

// stored is every message on COMMERCE by its stream sequence, read while
// the server still runs.
func stored(t *testing.T, js jetstream.JetStream) map[uint64]*jetstream.RawStreamMsg {
	t.Helper()
	s, err := js.Stream(t.Context(), commerce.Stream)
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint64]*jetstream.RawStreamMsg{}
	for seq := uint64(1); seq <= s.CachedInfo().State.LastSeq; seq++ {
		m, err := s.GetMsg(t.Context(), seq)
		if err != nil {
			t.Fatal(err)
		}
		out[seq] = m
	}
	return out
}

// checkProcess checks the attributes of proc, a delivery to consumer on
// COMMERCE, against the message it names by its stream sequence (in
// msgs): the attributes a dashboard or a query relies on. count is the
// delivery count wanted; -1 takes any.
func checkProcess(t *testing.T, msgs map[uint64]*jetstream.RawStreamMsg, proc tracetest.SpanStub, consumer string, count int) {
	t.Helper()
	seq, err := strconv.ParseUint(attrOf(proc, "hookbridge.stream.sequence"), 10, 64)
	if err != nil {
		t.Fatalf("hookbridge.stream.sequence: %v", err)
	}
	m := msgs[seq]
	if m == nil {
		t.Fatalf("%q names sequence %d, not stored on %s", proc.Name, seq, commerce.Stream)
	}
	if proc.SpanKind != trace.SpanKindConsumer {
		t.Errorf("span kind %v, want consumer", proc.SpanKind)
	}
	want := map[string]string{
		"messaging.system":              "nats",
		"messaging.operation.type":      "process",
		"messaging.destination.name":    m.Subject,
		"messaging.message.id":          m.Header.Get(jetstream.MsgIDHeader),
		"messaging.consumer.group.name": consumer,
		"cloudevents.event_id":          m.Header.Get("ce-id"),
		"cloudevents.event_type":        commerce.TypePrefix + "order.created",
		"hookbridge.delivery.count":     strconv.Itoa(count),
		"messaging.message.body.size":   strconv.Itoa(len(m.Data)),
	}
	if count < 0 {
		delete(want, "hookbridge.delivery.count")
	}
	if m.Header.Get("ce-type") != want["cloudevents.event_type"] {
		t.Errorf("stored ce-type %q, want an order.created", m.Header.Get("ce-type"))
	}
	for k, v := range want {
		if got := attrOf(proc, k); got != v || v == "" {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}
