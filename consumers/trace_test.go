package consumers_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/logtest"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// publishTraced stores a CloudEvent whose traceparent is that of a publish
// span, as the bridge writes it, and returns that span's context and the
// header.
func (e *env) publishTraced(subject, id string) (trace.SpanContext, string) {
	e.t.Helper()
	pub := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
	})
	header := "00-" + pub.TraceID().String() + "-" + pub.SpanID().String() + "-01"
	ev := event.New()
	ev.SetID(id)
	ev.SetType("com.shopify.orders.create")
	ev.SetSource("acme.myshopify.com")
	_ = ev.SetData(event.ApplicationJSON, map[string]any{"id": id})
	msg, err := consumers.EncodeEvent(context.Background(), subject, ev)
	if err != nil {
		e.t.Fatal(err)
	}
	msg.Header["traceparent"] = []string{header}
	if _, err := e.js.PublishMsg(context.Background(), msg, jetstream.WithMsgID(id)); err != nil {
		e.t.Fatal(err)
	}
	return pub, header
}

func tracedConfig(name string) (consumers.Config, *tracetest.InMemoryExporter, trace.TracerProvider) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	cfg := baseConfig(name)
	cfg.TracerProvider = tp
	return cfg, exp, tp
}

// ended waits for n spans named name and returns them in the order they ended.
func ended(t *testing.T, exp *tracetest.InMemoryExporter, name string, n int) tracetest.SpanStubs {
	t.Helper()
	var got tracetest.SpanStubs
	natstest.Eventually(t, natstest.Patience, name+" spans", func() bool {
		got = got[:0]
		for _, s := range exp.GetSpans() {
			if s.Name == name {
				got = append(got, s)
			}
		}
		return len(got) >= n
	})
	if len(got) != n {
		t.Fatalf("%d %q spans, want %d", len(got), name, n)
	}
	return got
}

func attrOf(s tracetest.SpanStub, k string) attribute.Value {
	for _, kv := range s.Attributes {
		if string(kv.Key) == k {
			return kv.Value
		}
	}
	return attribute.Value{}
}

// wantProcess checks a consumer span: the child of pub and linked to it,
// the n-th delivery, settled as settle.
func wantProcess(t *testing.T, s tracetest.SpanStub, pub trace.SpanContext, n int64, settle string) {
	t.Helper()
	if s.SpanKind != trace.SpanKindConsumer {
		t.Errorf("kind %v, want consumer", s.SpanKind)
	}
	if s.Parent.TraceID() != pub.TraceID() || s.Parent.SpanID() != pub.SpanID() || !s.Parent.IsRemote() {
		t.Errorf("parent %v, want the publish span %v", s.Parent, pub)
	}
	if len(s.Links) != 1 || s.Links[0].SpanContext.SpanID() != pub.SpanID() {
		t.Errorf("links %v, want the publish span", s.Links)
	}
	for k, want := range map[string]string{
		"messaging.system": "nats", "messaging.operation.type": "process",
		"messaging.destination.name": "webhooks.shopify.acme.orders.create",
		"messaging.message.id":       "ev-1", "cloudevents.event_id": "ev-1",
		"messaging.consumer.group.name": "traced", "hookbridge.settle": settle,
	} {
		if got := attrOf(s, k).Emit(); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if got := attrOf(s, "hookbridge.delivery.count").AsInt64(); got != n {
		t.Errorf("hookbridge.delivery.count = %d, want %d", got, n)
	}
}

func TestTraceHandled(t *testing.T) {
	e := newEnv(t)
	cfg, exp, tp := tracedConfig("traced")
	e.run(cfg, func(ctx context.Context, ev event.Event) error {
		_, span := tp.Tracer("team").Start(ctx, "team work")
		span.End()
		derived := ev.Clone()
		derived.SetID("derived-1")
		_, err := consumers.PublishEvent(ctx, e.js, "webhooks.derived.acme.done", derived)
		return err
	})
	pub, _ := e.publishTraced("webhooks.shopify.acme.orders.create", "ev-1")
	proc := ended(t, exp, "process WEBHOOKS", 1)[0]
	wantProcess(t, proc, pub, 1, "ack")
	team := ended(t, exp, "team work", 1)[0]
	if team.Parent.SpanID() != proc.SpanContext.SpanID() || team.SpanContext.TraceID() != pub.TraceID() {
		t.Errorf("the handler's span is not the child of the consumer span: parent %v", team.Parent)
	}
	// What the handler publishes continues the trace from a producer span below.
	derived := ended(t, exp, "publish", 1)[0]
	if derived.Parent.SpanID() != proc.SpanContext.SpanID() || derived.SpanKind != trace.SpanKindProducer {
		t.Errorf("the handler's publish: parent %v kind %v", derived.Parent, derived.SpanKind)
	}
	s, err := e.js.Stream(context.Background(), "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(context.Background(), "webhooks.derived.acme.done")
	if err != nil {
		t.Fatal(err)
	}
	if want := "00-" + pub.TraceID().String() + "-" + derived.SpanContext.SpanID().String() + "-01"; m.Header.Get("traceparent") != want {
		t.Errorf("the derived event's traceparent %q, want %q", m.Header.Get("traceparent"), want)
	}
}

func TestTraceRetried(t *testing.T) {
	e := newEnv(t)
	cfg, exp, _ := tracedConfig("traced")
	var logs logtest.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	var calls atomic.Int32
	e.run(cfg, func(context.Context, event.Event) error {
		if calls.Add(1) == 1 {
			return errors.New("warehouse busy")
		}
		return nil
	})
	pub, _ := e.publishTraced("webhooks.shopify.acme.orders.create", "ev-1")
	spans := ended(t, exp, "process WEBHOOKS", 2)
	wantProcess(t, spans[0], pub, 1, "retry")
	wantProcess(t, spans[1], pub, 2, "ack")
	if got := attrOf(spans[0], "hookbridge.retry.delay_ms").AsInt64(); got != 100 {
		t.Errorf("retry delay %d ms, want 100", got)
	}
	if spans[0].Status.Description != "retry: warehouse busy" {
		t.Errorf("status %q", spans[0].Status.Description)
	}
	want := "trace_id=" + pub.TraceID().String() + " span_id=" + spans[0].SpanContext.SpanID().String()
	if !strings.Contains(logs.String(), want) {
		t.Errorf("the retry's log line does not name its span (%s):\n%s", want, logs.String())
	}
}

func TestTraceDeadLetteredAndRedriven(t *testing.T) {
	e := newEnv(t)
	cfg, exp, tp := tracedConfig("traced")
	e.run(cfg, func(context.Context, event.Event) error {
		return consumers.Permanent(errors.New("unknown sku"))
	})
	pub, header := e.publishTraced("webhooks.shopify.acme.orders.create", "ev-1")
	proc := ended(t, exp, "process WEBHOOKS", 1)[0]
	wantProcess(t, proc, pub, 1, "dead_letter")
	if got := attrOf(proc, "hookbridge.dead_letter.reason").Emit(); got != "permanent" {
		t.Errorf("reason %q, want permanent", got)
	}
	dlPub := ended(t, exp, "publish DEADLETTER", 1)[0]
	if dlPub.Parent.SpanID() != proc.SpanContext.SpanID() || dlPub.SpanKind != trace.SpanKindProducer {
		t.Errorf("dead-letter publish: parent %v kind %v, want a producer below the consumer span", dlPub.Parent, dlPub.SpanKind)
	}
	if got := attrOf(dlPub, "messaging.destination.name").Emit(); got != "deadletter.traced" {
		t.Errorf("dead-letter destination %q", got)
	}
	dls := e.deadLetters("deadletter.traced")
	if len(dls) != 1 || dls[0].Header.Get("traceparent") != header {
		t.Fatalf("dead letter's traceparent: %v, want the original %s", dls, header)
	}

	redriveCtx, redrive := tp.Tracer("operator").Start(context.Background(), "redrive")
	n, err := consumers.Redrive(redriveCtx, e.js, "", "traced")
	redrive.End()
	if err != nil || n != 1 {
		t.Fatalf("Redrive: %d, %v", n, err)
	}
	rePub := ended(t, exp, "publish WEBHOOKS", 1)[0]
	if rePub.Parent.SpanID() != redrive.SpanContext().SpanID() || len(rePub.Links) != 1 || rePub.Links[0].SpanContext.SpanID() != pub.SpanID() {
		t.Errorf("redrive's publish: parent %v links %v, want below the caller's span, linked to the original publish", rePub.Parent, rePub.Links)
	}
	s, err := e.js.Stream(context.Background(), "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	var redriven *jetstream.RawStreamMsg
	natstest.Eventually(t, natstest.Patience, "the redriven copy", func() bool {
		redriven, err = s.GetLastMsgForSubject(context.Background(), "webhooks.shopify.acme.orders.create")
		return err == nil && redriven.Sequence == 2
	})
	if got := redriven.Header.Get("traceparent"); got != header {
		t.Errorf("redriven traceparent %q, want the original %s", got, header)
	}
	// Its new delivery continues the original trace.
	again := ended(t, exp, "process WEBHOOKS", 2)[1]
	if again.Parent.SpanID() != pub.SpanID() {
		t.Errorf("the redriven delivery's parent %v, want the original publish", again.Parent)
	}
}

func TestTraceOffWithNoopProvider(t *testing.T) {
	e := newEnv(t)
	cfg := baseConfig("untraced")
	var sawSpan atomic.Bool
	e.run(cfg, func(ctx context.Context, _ event.Event) error {
		sawSpan.Store(trace.SpanContextFromContext(ctx).IsValid())
		return nil
	})
	e.publishTraced("webhooks.shopify.acme.orders.create", "ev-1")
	natstest.Eventually(t, natstest.Patience, "acked", func() bool { return e.settled("untraced") })
	if sawSpan.Load() {
		t.Error("with tracing off the handler's ctx carries a span")
	}
}

// TestLogHandler: a handler that logs with its ctx through LogHandler
// writes lines naming its consumer span; untraced, the same line has no
// ids. Wrapping twice names the span once.
func TestLogHandler(t *testing.T) {
	for _, traced := range []bool{true, false} {
		e := newEnv(t)
		cfg, exp, _ := tracedConfig("logged")
		if !traced {
			cfg.TracerProvider = nil
		}
		var logs logtest.Buffer
		log := slog.New(consumers.LogHandler(consumers.LogHandler(slog.NewTextHandler(&logs, nil)))).With("team", "stock")
		e.run(cfg, func(ctx context.Context, ev event.Event) error {
			log.InfoContext(ctx, "reserved", "id", ev.ID())
			return nil
		})
		e.publishTraced("webhooks.shopify.acme.orders.create", "ev-1")
		natstest.Eventually(t, natstest.Patience, "the handler's line", func() bool { return strings.Contains(logs.String(), "reserved") })
		line := logs.String()
		if !traced {
			if strings.Contains(line, "trace_id") || strings.Contains(line, "span_id") {
				t.Errorf("untraced, the line names a span: %s", line)
			}
			continue
		}
		proc := ended(t, exp, "process WEBHOOKS", 1)[0]
		want := "team=stock id=ev-1 trace_id=" + proc.SpanContext.TraceID().String() + " span_id=" + proc.SpanContext.SpanID().String() + "\n"
		if !strings.HasSuffix(line, want) || strings.Count(line, "trace_id") != 1 {
			t.Errorf("line %q, want it to end with %q, once", line, want)
		}
	}
}
