package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/hookbridge/hookbridge/cmd/internal/service/servicetest"
	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/consumers/commerce/commercetest"
	"github.com/hookbridge/hookbridge/consumers/inventory"
	"github.com/hookbridge/hookbridge/internal/logtest"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/otlptest"
	"github.com/hookbridge/hookbridge/internal/sample"
)

func noEnv(string) string { return "" }

func TestRunFlags(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(t.Context(), []string{"--help"}, noEnv, io.Discard, &stderr); err != nil {
		t.Errorf("--help: %v", err)
	}
	for _, f := range []string{"-nats", "INVENTORY_NATS_URL", "-config", "INVENTORY_CONFIG", "-stock", "-seed", "-listen", "-concurrency"} {
		if !strings.Contains(stderr.String(), f) {
			t.Errorf("usage does not mention %s:\n%s", f, stderr.String())
		}
	}
	for _, args := range [][]string{
		{"--bogus"}, {"--concurrency", "0"}, {"extra"},
		{"--seed", "HB-MUG-01"}, {"--seed", "HB-MUG-01=-1"}, {"--seed", "=3"}, {"--seed", "A=1,,B=2"},
		{"--stock", filepath.Join(t.TempDir(), "missing.json")},
	} {
		if err := run(t.Context(), args, noEnv, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
	// INVENTORY_NATS_URL is the default of --nats; nothing listens there.
	env := func(k string) string {
		if k == "INVENTORY_NATS_URL" {
			return "nats://127.0.0.1:1"
		}
		return ""
	}
	err := run(t.Context(), nil, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "nats://127.0.0.1:1") {
		t.Errorf("unreachable nats: %v", err)
	}
}

func TestReadSeed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "stock.json")
	if err := os.WriteFile(file, []byte(`{"HB-MUG-01": 100, "HB-TEE-BLK-M": 10}`), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readSeed(file, []string{"HB-TEE-BLK-M=12, HB-CAP=3", "x=y=4"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"HB-MUG-01": 100, "HB-TEE-BLK-M": 12, "HB-CAP": 3, "x=y": 4}
	if len(got) != len(want) {
		t.Fatalf("readSeed = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("readSeed[%q] = %d, want %d", k, got[k], v)
		}
	}
	if err := os.WriteFile(file, []byte(`["HB-MUG-01"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readSeed(file, nil); err == nil {
		t.Error("a stock file that is not an object: no error")
	}
}

// TestRun runs the program against an embedded server holding hookbridge's
// WEBHOOKS stream, then a real normaliser beside it, as `hookbridge
// normalise` would run; stores the order `hookbridge send acme-shop` sends
// on WEBHOOKS as the bridge does, and reads the stock back over HTTP; an
// order that inventory cannot account for goes to its dead letters. Then
// it stops the program.
func TestRun(t *testing.T) {
	url, js := servicetest.Broker(t)
	ctx := t.Context()

	var stdout logtest.Buffer
	base, stop := servicetest.Start(t, run, []string{"--nats", url, "--listen", "127.0.0.1:0",
		"--seed", "HB-MUG-01=100", "--concurrency", "2"}, noEnv, &stdout)
	stock := func(sku string) (inventory.Stock, int) {
		t.Helper()
		resp, err := http.Get(base + "/stock/" + sku)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st inventory.Stock
		_ = json.NewDecoder(resp.Body).Decode(&st)
		return st, resp.StatusCode
	}
	if st, code := stock("HB-MUG-01"); code != http.StatusOK || st.Available != 100 {
		t.Fatalf("seeded stock: %d %+v", code, st)
	}

	// The program started before any normaliser: it made COMMERCE, which
	// the normaliser now starting takes over.
	if _, err := js.Stream(ctx, commerce.Stream); err != nil {
		t.Fatalf("stream %s before any normaliser: %v", commerce.Stream, err)
	}
	servicetest.AwaitConsumer(t, js)
	commercetest.RunNormaliser(t, js, commerce.Config{})

	// What hookbridge stores for `hookbridge send acme-shop`, twice under
	// two ids (a second webhook subscription).
	body, hdr, err := sample.Delivery("shopify", sample.Locators{}, "", "demo-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	shop := hdr.Get("X-Shopify-Shop-Domain")
	for _, id := range []string{"demo-1", "demo-1-again"} {
		publishRaw(t, js, id, shop, body)
	}
	natstest.Eventually(t, natstest.Patience, "the reservation", func() bool {
		st, _ := stock("HB-MUG-01")
		return st.Reserved > 0
	})

	// An order the normaliser passes on but inventory cannot account for
	// (a quantity past its bound) is dead-lettered, not retried; the dead
	// letter leads back to the delivery.
	publishRaw(t, js, "bad-1", shop, []byte(`{"id":4242,"currency":"USD","line_items":[{"sku":"HB-MUG-01","quantity":9000000000}]}`))
	natstest.Eventually(t, natstest.Patience, "the dead letter", func() bool {
		s, err := js.Stream(ctx, "DEADLETTER")
		if err != nil {
			return false
		}
		m, err := s.GetLastMsgForSubject(ctx, "deadletter.inventory")
		return err == nil && m.Header.Get("ce-rawid") == "bad-1"
	})
	// The normaliser first, so that every canonical event is stored before
	// inventory's consumer is asked.
	natstest.Eventually(t, natstest.Patience, "every message settled", func() bool {
		return settled(ctx, js, "WEBHOOKS", commerce.DefaultName) && settled(ctx, js, commerce.Stream, "inventory")
	})
	if st, _ := stock("HB-MUG-01"); st.Available != 98 || st.Orders != 1 {
		t.Errorf("after the order, twice: %+v, want 98 available, 1 order", st)
	}
	for _, path := range []string{"/healthz", "/metrics", "/stock"} {
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

// publishRaw stores a Shopify orders/create delivery of shop on WEBHOOKS as
// the bridge does for the source acme-shop: in CloudEvents binary mode on
// the source's subject, with Nats-Msg-Id "<source>:<delivery id>".
func publishRaw(t *testing.T, js jetstream.JetStream, id, shop string, body []byte) {
	t.Helper()
	ev := event.New()
	ev.SetID(id)
	ev.SetType("com.shopify.orders.create")
	ev.SetSource(shop)
	ev.SetTime(time.Now())
	if err := ev.SetData(event.ApplicationJSON, body); err != nil {
		t.Fatal(err)
	}
	msg, err := consumers.EncodeEvent(t.Context(), "webhooks.shopify.acme-shop.orders.create", ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(t.Context(), msg, jetstream.WithMsgID("acme-shop:"+id)); err != nil {
		t.Fatal(err)
	}
}

// settled tells whether the durable consumer name on stream has handed out
// and had settled every message.
func settled(ctx context.Context, js jetstream.JetStream, stream, name string) bool {
	c, err := js.Consumer(ctx, stream, name)
	if err != nil {
		return false
	}
	info, err := c.Info(ctx)
	return err == nil && info.NumPending == 0 && info.NumAckPending == 0
}

// TestRunTracesOverOTLP runs the program with OTEL_EXPORTER_OTLP_ENDPOINT
// at an OTLP receiver, behind a traced normaliser: by the time it has
// returned, it has exported, as hookbridge-inventory, a consumer span for
// each order below the normaliser's publish of it; the order that
// oversells is acknowledged and its backorder's publish is a span below;
// the order it cannot account for is dead-lettered, its dead letter's
// publish a span below.
func TestRunTracesOverOTLP(t *testing.T) {
	url, js := servicetest.Broker(t)
	ctx := t.Context()
	recv, stop := servicetest.StartTraced(t, run, []string{"--nats", url, "--listen", "127.0.0.1:0", "--seed", "HB-MUG-01=1"})
	norm := servicetest.TracedNormaliser(t, js)

	body, hdr, err := sample.Delivery("shopify", sample.Locators{}, "", "traced-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	shop := hdr.Get("X-Shopify-Shop-Domain")
	publishRaw(t, js, "traced-1", shop, body)
	publishRaw(t, js, "traced-bad", shop, []byte(`{"id":4243,"currency":"USD","line_items":[{"sku":"HB-MUG-01","quantity":9000000000}]}`))
	natstest.Eventually(t, natstest.Patience, "both orders settled", func() bool {
		return settled(ctx, js, "WEBHOOKS", commerce.DefaultName) && settled(ctx, js, commerce.Stream, "inventory")
	})
	stop()

	spans := recv.Spans()
	settles := map[string]otlptest.Span{}
	for _, s := range servicetest.CheckTrace(t, spans, norm.GetSpans(), "inventory") {
		v, _ := s.Attr("hookbridge.settle")
		settles[v] = s
	}
	if len(settles) != 2 || settles["ack"].Span == nil || settles["dead_letter"].Span == nil {
		t.Fatalf("consumer spans settled %v, want one ack and one dead_letter", slices.Collect(maps.Keys(settles)))
	}
	backorder := otlptest.ChildOf(t, spans, settles["ack"], "publish")
	if got, _ := backorder.Attr("messaging.destination.name"); got != inventory.BackorderSubjectPrefix+"HB-MUG-01" {
		t.Errorf("backorder published on %q", got)
	}
	if got, _ := settles["dead_letter"].Attr("hookbridge.dead_letter.reason"); got != "permanent" {
		t.Errorf("dead-letter reason = %q, want permanent", got)
	}
	dl := otlptest.ChildOf(t, spans, settles["dead_letter"], "publish "+consumers.DefaultDeadLetterStream)
	if got, _ := dl.Attr("messaging.destination.name"); got != consumers.DeadLetterSubject("inventory") || dl.GetKind() != tracepb.Span_SPAN_KIND_PRODUCER {
		t.Errorf("dead letter published on %q, kind %v", got, dl.GetKind())
	}
}
