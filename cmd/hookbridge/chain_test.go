package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/internal/logtest"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// TestTraceChain follows one delivery through every hop in one trace:
// serve (bridge and its in-process normaliser, exported over OTLP) and a
// consumer of canonical events (the SDK's in-memory exporter), whose
// handler's own span nests below its consumer span.
//
//	POST /webhooks/{source} -> publish WEBHOOKS -> process WEBHOOKS
//	  -> publish COMMERCE -> process COMMERCE -> the team's span
func TestTraceChain(t *testing.T) {
	recv := &otlpReceiver{}
	collector := httptest.NewServer(recv)
	defer collector.Close()
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL}
	in := newInstance(t).withCommerce(t, `{enabled: true}`)
	var logs logtest.Buffer
	cancel, wait := in.startEnv(t, &logs, func(k string) string { return env[k] })
	defer cancel()

	nc, err := nats.Connect("nats://" + in.nats)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	ctx, stopSample := context.WithCancel(t.Context())
	sampleDone := make(chan error, 1)
	go func() {
		sampleDone <- consumers.Run(ctx, js, consumers.Config{
			Stream: commerce.Stream, Name: "orders", FilterSubjects: []string{"commerce.order.>"}, TracerProvider: tp,
		}, func(ctx context.Context, _ event.Event) error {
			_, span := tp.Tracer("team").Start(ctx, "reserve stock")
			span.End()
			return nil
		})
	}()

	fixture := filepath.Join("..", "..", "consumers", "commerce", "testdata", "shopify", "orders.paid.json")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"send", "--config", in.cfgPath, "--event", "orders/paid", "--file", fixture, "--id", "chain-1", "shop"}, noEnv, &out, &out); err != nil {
		t.Fatalf("send: %v\n%s", err, out.String())
	}
	var team tracetest.SpanStub
	natstest.Eventually(t, natstest.Patience, "the team's span", func() bool {
		for _, s := range exp.GetSpans() {
			if s.Name == "reserve stock" {
				team = s
				return true
			}
		}
		return false
	})
	stopSample()
	if err := <-sampleDone; err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("run: %v", err)
	}

	byName := map[string]*tracepb.Span{}
	recv.mu.Lock()
	for _, s := range recv.spans {
		byName[s.GetName()] = s
	}
	recv.mu.Unlock()
	hops := []string{"POST /webhooks/{source}", "publish WEBHOOKS", "process WEBHOOKS", "publish COMMERCE"}
	for i, name := range hops {
		s := byName[name]
		if s == nil {
			t.Fatalf("serve exported no %q span (got %d spans)", name, len(byName))
		}
		if i > 0 && !bytes.Equal(s.GetParentSpanId(), byName[hops[i-1]].GetSpanId()) {
			t.Errorf("%q is not the child of %q", name, hops[i-1])
		}
		if !bytes.Equal(s.GetTraceId(), byName[hops[0]].GetTraceId()) {
			t.Errorf("%q is in another trace", name)
		}
	}
	var proc tracetest.SpanStub
	for _, s := range exp.GetSpans() {
		if s.Name == "process COMMERCE" {
			proc = s
		}
	}
	last := byName["publish COMMERCE"]
	if proc.Parent.SpanID().String() != hex.EncodeToString(last.GetSpanId()) || proc.SpanContext.TraceID().String() != hex.EncodeToString(last.GetTraceId()) {
		t.Errorf("the sample's consumer span %v is not the child of the normaliser's publish", proc.Parent)
	}
	if team.Parent.SpanID() != proc.SpanContext.SpanID() {
		t.Errorf("the team's span is not below the consumer span")
	}
}
