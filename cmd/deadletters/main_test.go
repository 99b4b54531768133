package main

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/otlptest"
)

// origTraceParent is the dead letter's traceparent in the tests: the
// publish that first stored the message.
const origTraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

// withDeadLetter starts an embedded server holding WEBHOOKS and one dead
// letter of the consumer inventory, as the consumers library writes it
// for a message first stored on WEBHOOKS under origTraceParent, and
// returns the server's URL and a client.
func withDeadLetter(t *testing.T) (string, jetstream.JetStream) {
	t.Helper()
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	ctx := t.Context()
	for _, cfg := range []jetstream.StreamConfig{
		{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}},
		consumers.DeadLetterStreamConfig(consumers.DefaultDeadLetterStream),
	} {
		if _, err := js.CreateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	dl := nats.NewMsg("deadletter.inventory")
	dl.Header.Set("ce-id", "evt-1")
	dl.Header.Set("ce-specversion", "1.0")
	dl.Header.Set("traceparent", origTraceParent)
	dl.Header.Set(consumers.HeaderConsumer, "inventory")
	dl.Header.Set(consumers.HeaderReason, "permanent: no order id")
	dl.Header.Set(consumers.HeaderStream, "WEBHOOKS")
	dl.Header.Set(consumers.HeaderOriginalSubject, "webhooks.shopify.acme.orders.create")
	dl.Data = []byte(`{}`)
	if _, err := js.PublishMsg(ctx, dl); err != nil {
		t.Fatal(err)
	}
	return "nats://" + ns.Listen, js
}

func TestListAndRedrive(t *testing.T) {
	url, js := withDeadLetter(t)
	ctx := t.Context()
	env := func(string) string { return "" }

	var out bytes.Buffer
	if err := run(ctx, []string{"--nats", url, "list"}, env, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "permanent: no order id") || !strings.Contains(out.String(), "evt-1") {
		t.Errorf("list printed %q", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"--nats", url, "redrive", "inventory"}, env, &out, &out); err != nil {
		t.Fatal(err)
	}
	s, _ := js.Stream(ctx, "WEBHOOKS")
	m, err := s.GetLastMsgForSubject(ctx, "webhooks.shopify.acme.orders.create")
	if err != nil || m.Header.Get("ce-id") != "evt-1" || m.Header.Get(consumers.HeaderReason) != "" {
		t.Fatalf("redriven message: %v %v", m, err)
	}
	out.Reset()
	if err := run(ctx, []string{"--nats", url, "list", "inventory"}, env, &out, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "evt-1") {
		t.Errorf("the dead letter is still listed after the redrive: %q", out.String())
	}
}

// TestRedriveTracesOverOTLP: with an OTLP endpoint in the environment, a
// redrive is exported, by the time the program returns, as a span
// "redrive <consumer>" of hookbridge-deadletters with a producer span per
// re-publish below it, linked to the message's first publish; the
// redriven message keeps that publish as its traceparent, so its
// consumers continue the trace it started in.
func TestRedriveTracesOverOTLP(t *testing.T) {
	url, js := withDeadLetter(t)
	recv, endpoint := otlptest.Start(t)
	env := func(k string) string {
		if k == "OTEL_EXPORTER_OTLP_ENDPOINT" {
			return endpoint
		}
		return ""
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"--nats", url, "redrive", "inventory"}, env, &out, &out); err != nil {
		t.Fatal(err)
	}
	spans := recv.Spans()
	redrive := recv.Named("redrive inventory")
	if len(redrive) != 1 || redrive[0].Service != "hookbridge-deadletters" || redrive[0].ParentID() != "" {
		t.Fatalf("redrive spans %v, want one root of hookbridge-deadletters", redrive)
	}
	if n, _ := redrive[0].Attr("hookbridge.redriven"); n != "1" {
		t.Errorf("hookbridge.redriven = %q, want 1", n)
	}
	pub := otlptest.ChildOf(t, spans, redrive[0], "publish WEBHOOKS")
	if pub.GetKind() != tracepb.Span_SPAN_KIND_PRODUCER {
		t.Errorf("re-publish kind %v", pub.GetKind())
	}
	for k, want := range map[string]string{"messaging.system": "nats", "messaging.destination.name": "webhooks.shopify.acme.orders.create"} {
		if got, _ := pub.Attr(k); got != want {
			t.Errorf("re-publish %s = %q, want %q", k, got, want)
		}
	}
	links := pub.GetLinks()
	if len(links) != 1 || "00-"+hex.EncodeToString(links[0].GetTraceId())+"-"+hex.EncodeToString(links[0].GetSpanId())+"-01" != origTraceParent {
		t.Errorf("re-publish links %v, want the first publish of %s", links, origTraceParent)
	}
	s, err := js.Stream(t.Context(), "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(t.Context(), "webhooks.shopify.acme.orders.create")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("traceparent"); got != origTraceParent {
		t.Errorf("redriven traceparent = %q, want the first publish's %q", got, origTraceParent)
	}
}

// TestRedriveTracesFromConfigFile: deadletters given a config file (here by
// DEADLETTERS_CONFIG, the default of --config) follows its tracing section
// alone, the file's other sections unread: the redrive's span reaches the
// file's endpoint; a bad key there stops it before NATS is dialled.
func TestRedriveTracesFromConfigFile(t *testing.T) {
	url, _ := withDeadLetter(t)
	recv, endpoint := otlptest.Start(t)
	path := filepath.Join(t.TempDir(), "hookbridge.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf("sources: []\ntracing: {endpoint: %q}\n", endpoint)), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "DEADLETTERS_CONFIG" {
			return path
		}
		return ""
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"--nats", url, "redrive", "inventory"}, getenv, &out, &out); err != nil {
		t.Fatalf("redrive: %v\n%s", err, out.String())
	}
	if redrive := recv.Named("redrive inventory"); len(redrive) != 1 || redrive[0].Service != "hookbridge-deadletters" {
		t.Errorf("redrive spans %v, want one of hookbridge-deadletters", redrive)
	}

	if err := os.WriteFile(path, []byte("tracing: {sampler: [x]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) string { return "" }
	err := run(t.Context(), []string{"--nats", "nats://127.0.0.1:1", "--config", path, "list"}, noEnv, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "--config: ") || !strings.Contains(err.Error(), "tracing.sampler: expected a string") {
		t.Errorf("bad tracing section: %v", err)
	}
}
