package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/internal/logtest"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/otlptest"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// TestServeTraces: with an OTLP endpoint in the environment, a delivery
// that carries a traceparent is exported as a server span below it, by the
// time run has returned, and its stored message carries the trace.
func TestServeTraces(t *testing.T) {
	recv, endpoint := otlptest.Start(t)
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_SERVICE_NAME": "bridge-under-test"}

	in := newInstance(t)
	var logs logtest.Buffer
	cancel, wait := in.startEnv(t, &logs, func(k string) string { return env[k] })
	defer cancel()

	p, err := provider.New(provider.Config{Kind: "shopify", Secrets: []string{"dev-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	body, hdr, err := sample.Delivery("shopify", sample.Locators{}, "", "traced-run-1", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Sign(body, hdr, now); err != nil {
		t.Fatal(err)
	}
	const traceID, parentID = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	hdr.Set("Traceparent", "00-"+traceID+"-"+parentID+"-01")
	req, _ := http.NewRequest(http.MethodPost, "http://"+in.hook+"/webhooks/shop", bytes.NewReader(body))
	req.Header = hdr
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("delivery: %d", resp.StatusCode)
	}

	nc, err := nats.Connect("nats://" + in.nats)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	stream, err := js.Stream(t.Context(), "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.GetMsg(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()

	cancel()
	if err := wait(); err != nil {
		t.Fatalf("run: %v", err)
	}
	var server, publish otlptest.Span
	spans := recv.Spans()
	for _, s := range spans {
		switch s.GetKind() {
		case tracepb.Span_SPAN_KIND_SERVER:
			server = s
		case tracepb.Span_SPAN_KIND_PRODUCER:
			publish = s
		}
	}
	if server.Span == nil || publish.Span == nil {
		t.Fatalf("exported %d spans, want a server and a producer span by the time run returns", len(spans))
	}
	if server.TraceID() != traceID || server.ParentID() != parentID {
		t.Errorf("server span is not below the sender's traceparent")
	}
	if server.Service != "bridge-under-test" {
		t.Errorf("service.name = %q", server.Service)
	}
	wantTP := "00-" + traceID + "-" + server.SpanID() + "-01"
	if got := msg.Header.Get("ce-traceparent"); got != wantTP {
		t.Errorf("ce-traceparent = %q, want %q", got, wantTP)
	}
	wantTP = "00-" + traceID + "-" + publish.SpanID() + "-01"
	if got := msg.Header.Get("traceparent"); got != wantTP {
		t.Errorf("traceparent = %q, want %q", got, wantTP)
	}
}

// TestServeTracingSettingsFail: a tracing variable that cannot be followed
// stops start-up before anything is started, naming the variable and not
// a header's value.
func TestServeTracingSettingsFail(t *testing.T) {
	store := filepath.Join(t.TempDir(), "js")
	addrs := natstest.FreeAddrs(t, 3)
	path := writeConfig(t, addrs[0], addrs[1], addrs[2], store)
	env := map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
		"OTEL_TRACES_SAMPLER":         "sometimes",
		"OTEL_EXPORTER_OTLP_HEADERS":  "Authorization=%zzs3cret",
	}
	err, logs := startFails(t, path, store, func(k string) string { return env[k] })
	for _, want := range []string{"OTEL_TRACES_SAMPLER", "OTEL_EXPORTER_OTLP_HEADERS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error()+logs, "s3cret") {
		t.Errorf("a header's value was shown: %q", err)
	}
}

// TestServeTracesFromConfigFile: the config's tracing section alone turns
// tracing on: its endpoint receives the bridge's spans, as its
// service_name; the delivery's log line names its span.
func TestServeTracesFromConfigFile(t *testing.T) {
	recv, endpoint := otlptest.Start(t)
	in := newInstance(t).appendConfig(t, fmt.Sprintf("tracing: {endpoint: %q, service_name: bridge-from-file, headers: {X-Tenant: acme}}\n", endpoint))
	var logs logtest.Buffer
	cancel, wait := in.startEnv(t, &logs, noEnv)
	defer cancel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"send", "--config", in.cfgPath, "--event", "orders/create", "--order", "1002", "shop"}, noEnv, &out, &out); err != nil {
		t.Fatalf("send: %v\n%s", err, out.String())
	}
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("run: %v", err)
	}
	server := recv.Named("POST /webhooks/{source}")
	if len(server) != 1 || server[0].Service != "bridge-from-file" {
		t.Fatalf("exported %d spans, want the delivery's server span as the file's service_name", len(recv.Spans()))
	}
	if want := `trace_id=` + server[0].TraceID() + ` span_id=` + server[0].SpanID(); !strings.Contains(logs.String(), want) {
		t.Errorf("no delivery line with %s:\n%s", want, logs.String())
	}
}

// TestNormaliseTracesFromConfigFile: hookbridge normalise follows the same
// tracing section, while a set variable wins over it: the serve beside it
// is told OTEL_TRACES_EXPORTER=none and exports nothing.
func TestNormaliseTracesFromConfigFile(t *testing.T) {
	recv, endpoint := otlptest.Start(t)
	in := newInstance(t).appendConfig(t, fmt.Sprintf("tracing: {endpoint: %q}\n", endpoint))
	off := map[string]string{"OTEL_TRACES_EXPORTER": "none"}
	var logs logtest.Buffer
	cancel, wait := in.startEnv(t, &logs, func(k string) string { return off[k] })
	defer func() { cancel(); _ = wait() }()
	normaliseOne(t, in)
	proc, pub := recv.Named("process WEBHOOKS"), recv.Named("publish COMMERCE")
	if len(proc) == 0 || len(pub) == 0 || proc[0].Service != "hookbridge-normaliser" {
		t.Errorf("exported %d spans; want the normaliser's, as hookbridge-normaliser", len(recv.Spans()))
	}
	if len(recv.Named("POST /webhooks/{source}")) > 0 {
		t.Errorf("serve exported spans although OTEL_TRACES_EXPORTER=none")
	}
}
