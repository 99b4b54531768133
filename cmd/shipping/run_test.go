package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/cmd/internal/service/servicetest"
	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/consumers/commerce/commercetest"
	"github.com/hookbridge/hookbridge/consumers/shipping"
	"github.com/hookbridge/hookbridge/internal/logtest"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/otlptest"
)

func noEnv(string) string { return "" }

func TestRunFlags(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(t.Context(), []string{"--help"}, noEnv, io.Discard, &stderr); err != nil {
		t.Errorf("--help: %v", err)
	}
	for _, f := range []string{"-nats", "SHIPPING_NATS_URL", "-listen", "-concurrency"} {
		if !strings.Contains(stderr.String(), f) {
			t.Errorf("usage does not mention %s:\n%s", f, stderr.String())
		}
	}
	for _, args := range [][]string{{"--bogus"}, {"--concurrency", "0"}, {"extra"}} {
		if err := run(t.Context(), args, noEnv, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
	// SHIPPING_NATS_URL is the default of --nats; nothing listens there.
	env := func(k string) string {
		if k == "SHIPPING_NATS_URL" {
			return "nats://127.0.0.1:1"
		}
		return ""
	}
	err := run(t.Context(), nil, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "nats://127.0.0.1:1") {
		t.Errorf("unreachable nats: %v", err)
	}
}

// TestRun runs the program against an embedded server beside a real
// normaliser, as `hookbridge serve` with the commerce section on runs it:
// a paid Shopify order stored on WEBHOOKS as the bridge stores it becomes
// order.paid on COMMERCE, and the program turns that into a shipment read
// back over HTTP; then it stops.
func TestRun(t *testing.T) {
	url, js := servicetest.Broker(t)
	ctx := t.Context()

	var stdout logtest.Buffer
	base, stop := servicetest.Start(t, run, []string{"--nats", url, "--listen", "127.0.0.1:0", "--concurrency", "2"}, noEnv, &stdout)

	// The program started before any normaliser (it creates COMMERCE
	// itself); one starts now.
	servicetest.AwaitConsumer(t, js)
	commercetest.RunNormaliser(t, js, commerce.Config{})

	key := publishPaid(t, js)
	var sh shipping.Shipment
	natstest.Eventually(t, natstest.Patience, "the shipment", func() bool {
		resp, err := http.Get(base + "/shipments/" + key)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&sh) == nil
	})
	// The sample order has no shipping address: a shipment all the same.
	if sh.Status != shipping.StatusCreated || len(sh.Items) != 1 || sh.Items[0].SKU != "HB-MUG-01" || sh.Address != (shipping.Address{}) {
		t.Errorf("shipment = %+v", sh)
	}
	s, err := js.Stream(ctx, "SHIPPING")
	if err != nil {
		t.Fatal(err)
	}
	// The shipment is written before its event is published (the outbox),
	// so the event may follow a moment later.
	natstest.Eventually(t, natstest.Patience, "the shipment.created event", func() bool {
		m, err := s.GetLastMsgForSubject(ctx, "shipping.shipment.created.shopify")
		return err == nil && m.Header.Get("ce-subject") == key
	})
	for _, path := range []string{"/healthz", "/metrics", "/shipments"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", path, resp.StatusCode)
		}
	}

	stop()
	if resp, err := http.Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Error("the read path still serves after shutdown")
	}
}

// publishPaid stores what the bridge stores for `hookbridge send acme-shop
// --event orders/paid` on WEBHOOKS, and returns the key of the order's
// shipment.
func publishPaid(t *testing.T, js jetstream.JetStream) string {
	t.Helper()
	const shop, order = "hookbridge-dev.myshopify.com", "1000000000000042"
	ev := event.New()
	ev.SetID("paid-1")
	ev.SetType("com.shopify.orders.paid")
	ev.SetSource(shop)
	ev.SetSubject(order)
	ev.SetTime(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	_ = ev.SetData(event.ApplicationJSON, []byte(`{"id":`+order+`,"currency":"USD","line_items":[{"sku":"HB-MUG-01","quantity":2,"price":"12.00","name":"Mug"}]}`))
	msg, err := consumers.EncodeEvent(t.Context(), "webhooks.shopify.acme-shop.orders.paid", ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(t.Context(), msg, jetstream.WithMsgID("acme-shop:paid-1")); err != nil {
		t.Fatal(err)
	}
	key, err := shipping.Key("shopify", shop, order)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// TestRunTracesOverOTLP runs the program with OTEL_EXPORTER_OTLP_ENDPOINT
// at an OTLP receiver, behind a traced normaliser: by the time it has
// returned, it has exported, as hookbridge-shipping, the consumer span of
// the paid order below the normaliser's publish of it, acknowledged, with
// the publish of shipment.created below it; the stored shipment.created
// carries that publish as its traceparent, so its consumers continue the
// trace.
func TestRunTracesOverOTLP(t *testing.T) {
	url, js := servicetest.Broker(t)
	ctx := t.Context()
	recv, stop := servicetest.StartTraced(t, run, []string{"--nats", url, "--listen", "127.0.0.1:0"})
	norm := servicetest.TracedNormaliser(t, js)

	key := publishPaid(t, js)
	const subject = "shipping.shipment.created.shopify"
	var created *jetstream.RawStreamMsg
	natstest.Eventually(t, natstest.Patience, "the shipment.created event", func() bool {
		s, err := js.Stream(ctx, "SHIPPING")
		if err != nil {
			return false
		}
		created, err = s.GetLastMsgForSubject(ctx, subject)
		return err == nil && created.Header.Get("ce-subject") == key
	})
	stop()

	spans := recv.Spans()
	procs := servicetest.CheckTrace(t, spans, norm.GetSpans(), "shipping")
	if len(procs) != 1 {
		t.Fatalf("%d consumer spans, want the paid order's", len(procs))
	}
	if got, _ := procs[0].Attr("hookbridge.settle"); got != "ack" {
		t.Errorf("settle = %q, want ack", got)
	}
	pub := otlptest.ChildOf(t, spans, procs[0], "publish")
	if got, _ := pub.Attr("messaging.destination.name"); got != subject {
		t.Errorf("shipment.created published on %q", got)
	}
	if got, want := created.Header.Get("traceparent"), "00-"+pub.TraceID()+"-"+pub.SpanID()+"-01"; got != want {
		t.Errorf("shipment.created traceparent = %q, want %q", got, want)
	}
}
