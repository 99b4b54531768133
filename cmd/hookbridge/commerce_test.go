package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/internal/logtest"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// withCommerce appends a commerce section to in's config.
func (in instance) withCommerce(t *testing.T, section string) instance {
	t.Helper()
	return in.appendConfig(t, "commerce: "+section+"\n")
}

// withSources appends source entries (YAML list items, indented as the
// config's sources list) to in's config, which ends with that list.
func (in instance) withSources(t *testing.T, items string) instance {
	t.Helper()
	return in.appendConfig(t, items)
}

// appendConfig appends text to in's config file.
func (in instance) appendConfig(t *testing.T, text string) instance {
	t.Helper()
	f, err := os.OpenFile(in.cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	return in
}

// canonical waits for n events on COMMERCE at the server at addr and
// returns them; more than n is an error.
func canonical(t *testing.T, addr string, n int) []jetstream.Msg {
	t.Helper()
	nc, err := nats.Connect("nats://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	natstest.Eventually(t, natstest.Patience, "canonical events stored", func() bool {
		s, err := js.Stream(ctx, commerce.Stream)
		if err != nil {
			return false
		}
		info, err := s.Info(ctx)
		return err == nil && info.State.Msgs >= uint64(n)
	})
	if s, err := js.Stream(ctx, commerce.Stream); err == nil {
		if info, err := s.Info(ctx); err == nil && info.State.Msgs != uint64(n) {
			t.Errorf("COMMERCE holds %d events, want %d", info.State.Msgs, n)
		}
	}
	c, err := js.OrderedConsumer(ctx, commerce.Stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []jetstream.Msg
	for range n {
		msg, err := c.Next(jetstream.FetchMaxWait(natstest.Patience))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, msg)
	}
	return out
}

// sendFile sends body as a Shopify delivery of event with id to in's source shop, as
// `hookbridge send --file` does.
func sendFile(t *testing.T, in instance, event, id string, body []byte) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	sendOrder(t, in, id, event, "--file", file)
}

// serve with commerce.enabled runs the normaliser beside the bridge: a
// delivery becomes its canonical event on COMMERCE, with personal data as
// configured, and the normaliser's counts are on /metrics.
func TestServeRunsTheNormaliser(t *testing.T) {
	in := newInstance(t).withCommerce(t, `{enabled: true, personal_data: drop}`)
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)

	// Shopify's own sample of orders/paid, which names a customer and an address.
	fixture := filepath.Join("..", "..", "consumers", "commerce", "testdata", "shopify", "orders.paid.json")
	if body, err := os.ReadFile(fixture); err != nil || !bytes.Contains(body, []byte(`"email"`)) || !bytes.Contains(body, []byte(`"shipping_address"`)) {
		t.Fatalf("%s: %v; want an order with an email and a shipping address", fixture, err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"send", "--config", in.cfgPath, "--event", "orders/paid", "--file", fixture, "--id", "c1", "shop"}, noEnv, &out, &out); err != nil {
		t.Fatalf("send: %v\n%s", err, out.String())
	}
	msgs := canonical(t, in.nats, 1)
	ev, err := consumers.DecodeEvent(t.Context(), msgs[0].Subject(), msgs[0].Headers(), msgs[0].Data())
	if err != nil {
		t.Fatal(err)
	}
	if msgs[0].Subject() != "commerce.order.paid.shopify.shop" || ev.Type() != "com.hookbridge.commerce.order.paid" ||
		ev.Subject() != "820982911946154508" || ev.Extensions()[commerce.ExtRawID] != "c1" {
		t.Errorf("canonical event on %s: %s", msgs[0].Subject(), ev)
	}
	if data := string(ev.Data()); strings.Contains(data, "shipping_address") || strings.Contains(data, "@") || !strings.Contains(data, `"line_items"`) {
		t.Errorf("personal_data: drop, yet the data holds an address or an email: %s", ev.Data())
	}
	// The event is stored before the normaliser has its PubAck and counts it.
	const count = `hookbridge_commerce_events_total{outcome="published",provider="shopify"} 1`
	natstest.Eventually(t, natstest.Patience, "the normaliser's count on /metrics", func() bool {
		return strings.Contains(get(t, in.admin, "/metrics"), count)
	})
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(logs.String(), "commerce normaliser running") {
		t.Errorf("no start-up line for the normaliser:\n%s", logs.String())
	}
}

// hookbridge normalise runs the normaliser alone: against a server that
// holds raw events, it publishes their canonical events; without a server
// to name it says how to give one.
func TestNormaliseAlone(t *testing.T) {
	in := newInstance(t)
	err := run(context.Background(), []string{"normalise", "--config", in.cfgPath}, noEnv, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "pass --nats URL or set nats.url") {
		t.Errorf("normalise without a server: %v", err)
	}

	// A bridge (no normaliser) stores a raw delivery; the normaliser, run
	// apart against the same server, turns it into its canonical event.
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)
	defer func() { cancel(); _ = wait() }()
	msgs := normaliseOne(t, in)
	if msgs[0].Subject() != "commerce.order.created.shopify.shop" {
		t.Errorf("canonical event on %s", msgs[0].Subject())
	}
}

// normaliseOne sends one order to in's running bridge, runs `hookbridge
// normalise` apart until its canonical event is stored, stops it, and
// returns that event.
func normaliseOne(t *testing.T, in instance) []jetstream.Msg {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"send", "--config", in.cfgPath, "--event", "orders/create", "--order", "1002", "shop"}, noEnv, &out, &out); err != nil {
		t.Fatalf("send: %v\n%s", err, out.String())
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var nlogs logtest.Buffer
	go func() {
		done <- run(ctx, []string{"normalise", "--config", in.cfgPath, "--nats", "nats://" + in.nats}, noEnv, &nlogs, &nlogs)
	}()
	msgs := canonical(t, in.nats, 1)
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("normalise: %v\n%s", err, nlogs.String())
		}
	case <-time.After(natstest.Within(consumers.DefaultShutdownGrace)):
		t.Fatal("normalise did not return after cancel")
	}
	return msgs
}

// An order from each platform walks through as the README shows it:
// `hookbridge send` signs each platform's sample, and COMMERCE holds the
// canonical events each means.
func TestSendWalksACanonicalOrder(t *testing.T) {
	in := newInstance(t).withSources(t, `  - {name: woo, provider: woocommerce, secrets: [dev-woo-secret]}
  - {name: billing, provider: stripe, secrets: [whsec_dev-stripe-secret], tolerance: 5m}
`)
	in = in.withCommerce(t, `{enabled: true}`)
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)
	defer func() { cancel(); _ = wait() }()

	for _, args := range [][]string{
		{"shop", "--event", "orders/create", "--order", "1001"},
		{"woo", "--event", "order.updated", "--order", "1002"},
		{"billing", "--event", "checkout.session.completed"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"send", "--config", in.cfgPath}, args...), noEnv, &out, &out); err != nil {
			t.Fatalf("send %v: %v\n%s", args, err, out.String())
		}
	}
	got := map[string]int{}
	for _, m := range canonical(t, in.nats, 5) {
		got[m.Subject()]++
	}
	want := map[string]int{
		"commerce.order.created.shopify.shop":    1,
		"commerce.order.updated.woocommerce.woo": 1, // a processing order: updated, and paid
		"commerce.order.paid.woocommerce.woo":    1,
		"commerce.order.created.stripe.billing":  1, // a paid Checkout Session: created, and paid
		"commerce.order.paid.stripe.billing":     1,
	}
	if !maps.Equal(got, want) {
		t.Errorf("COMMERCE holds %v, want %v", got, want)
	}
}

// TestSendEveryPlatformToCommerce: every platform the normaliser maps
// works end to end: `hookbridge send` signs a delivery as the platform
// would, the bridge verifies and stores it, and the normaliser publishes
// the canonical events it means on COMMERCE, on their subjects.
func TestSendEveryPlatformToCommerce(t *testing.T) {
	in := newInstance(t).withSources(t, `  - {name: pad, provider: paddle, secrets: [pdl_ntfset_01hv6y1jedq4p1n0yqn5ba3ky4_dev-paddle-secret]}
  - {name: rec, provider: recurly, secrets: [0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0]}
  - {name: rzp, provider: razorpay, secrets: [dev-razorpay-secret]}
  - {name: sq, provider: square, secrets: [dev-square-key], notification_url: "https://hooks.example.com/webhooks/sq"}
  - {name: ady, provider: adyen, secrets: [DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00]}
  - {name: bc, provider: bigcommerce, secrets: [dev-bc-client-secret]}
  - {name: sware, provider: shopware, secrets: [dev-shop-secret]}
  - {name: cb, provider: chargebee, secrets: ["cb-user:dev-cb-password"]}
  - {name: lemon, provider: lemonsqueezy, secrets: [dev-lemon-secret]}
  - {name: mol, provider: mollie, secrets: [dev-mollie-secret]}
  - {name: bt, provider: braintree, secrets: ["dev_public_key:dev-private-key"]}
  - {name: ecw, provider: ecwid, secrets: [dev-ecwid-client-secret]}
  - {name: pp, provider: paypal, webhook_id: 5GP028458E2496506, development_keys: true}
  - {name: aio, provider: adobe, client_id: 5f4a2b0c3d1e4f6a8b9c0d1e2f3a4b5c, development_keys: true}
  - {name: sal, provider: saleor, api_url: "https://shop.example.test/graphql/", development_keys: true}
`)
	in = in.withCommerce(t, `{enabled: true}`)
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)
	defer func() { cancel(); _ = wait() }()

	cases := []struct {
		args []string
		want []string // the canonical subjects it gives
	}{
		{[]string{"pad"}, []string{"commerce.order.updated.paddle.pad"}},
		{[]string{"rec", "--event", "payment.succeeded"}, []string{"commerce.payment.succeeded.recurly.rec"}},
		{[]string{"rzp"}, []string{"commerce.payment.succeeded.razorpay.rzp"}},
		{[]string{"sq"}, []string{"commerce.order.created.square.sq"}},
		{[]string{"ady"}, []string{"commerce.payment.succeeded.adyen.ady"}},
		{[]string{"bc"}, []string{"commerce.order.created.bigcommerce.bc"}},
		{[]string{"sware"}, []string{"commerce.order.created.shopware.sware"}},
		{[]string{"cb", "--event", "payment_succeeded"}, []string{"commerce.payment.succeeded.chargebee.cb"}},
		{[]string{"lemon"}, []string{"commerce.order.created.lemonsqueezy.lemon", "commerce.order.paid.lemonsqueezy.lemon"}},
		{[]string{"mol"}, []string{"commerce.order.paid.mollie.mol"}},
		{[]string{"bt", "--event", "transaction_settled"}, []string{"commerce.payment.succeeded.braintree.bt"}},
		{[]string{"ecw"}, []string{"commerce.order.created.ecwid.ecw", "commerce.order.paid.ecwid.ecw"}},    // a paid order
		{[]string{"pp"}, []string{"commerce.payment.succeeded.paypal.pp", "commerce.order.paid.paypal.pp"}}, // a final capture
		{[]string{"aio"}, []string{"commerce.order.created.adobe.aio", "commerce.order.paid.adobe.aio"}},    // placed and paid
		{[]string{"sal"}, []string{"commerce.order.created.saleor.sal"}},
	}
	want := map[string]int{}
	for _, c := range cases {
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"send", "--config", in.cfgPath, "--order", "1001"}, c.args...), noEnv, &out, &out); err != nil {
			t.Fatalf("send %v: %v\n%s", c.args, err, out.String())
		}
		for _, s := range c.want {
			want[s]++
		}
	}
	got := map[string]int{}
	for _, m := range canonical(t, in.nats, len(want)) {
		got[m.Subject()]++
	}
	if !maps.Equal(got, want) {
		t.Errorf("COMMERCE holds %v, want %v", got, want)
	}
}

// A PayPal source with development keys walks through the normaliser like
// any other: an approved checkout order is order.created, and the
// completed capture that pays it payment.succeeded and order.paid.
func TestSendWalksAPayPalOrder(t *testing.T) {
	in := newInstance(t).withSources(t, `  - {name: pp, provider: paypal, webhook_id: 5GP028458E2496506, development_keys: true}
`)
	in = in.withCommerce(t, `{enabled: true}`)
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)
	defer func() { cancel(); _ = wait() }()

	sendEach(t, in, [][]string{
		{"pp", "--event", "CHECKOUT.ORDER.APPROVED", "--order", "1001"},
		{"pp", "--event", "PAYMENT.CAPTURE.COMPLETED", "--order", "1001"},
	})
	got := map[string]int{}
	for _, m := range canonical(t, in.nats, 3) {
		got[m.Subject()+" "+m.Headers().Get("ce-subject")]++
	}
	want := map[string]int{
		"commerce.order.created.paypal.pp 1001":      1,
		"commerce.payment.succeeded.paypal.pp C1001": 1,
		"commerce.order.paid.paypal.pp 1001":         1,
	}
	if !maps.Equal(got, want) {
		t.Errorf("COMMERCE holds %v, want %v", got, want)
	}
}

// sendEach runs `hookbridge send` with each list of arguments against in.
func sendEach(t *testing.T, in instance, sends [][]string) {
	t.Helper()
	for _, args := range sends {
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"send", "--config", in.cfgPath}, args...), noEnv, &out, &out); err != nil {
			t.Fatalf("send %v: %v\n%s", args, err, out.String())
		}
	}
}

// A Saleor order walks through too: `hookbridge send` signs each event
// with the development key, the bridge verifies it, and the normaliser
// reads the order from the payload the README's subscription query asks
// for.
func TestSendWalksASaleorOrder(t *testing.T) {
	in := newInstance(t).withSources(t, `  - {name: saleor-dev, provider: saleor, api_url: "https://shop.example.test/graphql/", development_keys: true}
`)
	in = in.withCommerce(t, `{enabled: true}`)
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)
	defer func() { cancel(); _ = wait() }()

	for _, event := range []string{"order_created", "order_fully_paid", "order_fulfilled"} {
		var out bytes.Buffer
		args := []string{"send", "--config", in.cfgPath, "--event", event, "--order", "1001", "saleor-dev"}
		if err := run(context.Background(), args, noEnv, &out, &out); err != nil {
			t.Fatalf("send %v: %v\n%s", args, err, out.String())
		}
	}
	got := map[string]int{}
	for _, m := range canonical(t, in.nats, 3) {
		got[m.Subject()]++
		if m.Subject() == "commerce.order.fulfilled.saleor.saleor-dev" && !strings.Contains(string(m.Data()), `"tracking":[{"number":"1Z999AA10123456784"}]`) {
			t.Errorf("order.fulfilled without its tracking number: %s", m.Data())
		}
	}
	want := map[string]int{
		"commerce.order.created.saleor.saleor-dev":   1,
		"commerce.order.paid.saleor.saleor-dev":      1,
		"commerce.order.fulfilled.saleor.saleor-dev": 1,
	}
	if !maps.Equal(got, want) {
		t.Errorf("COMMERCE holds %v, want %v", got, want)
	}
}

// TestServeNormalisesAClaimCheck: a Shopify order too large for a message
// (the embedded server keeps NATS's 1 MiB max_payload) is stored as an
// object with a claim check on WEBHOOKS, and the normaliser beside the
// bridge reads the stored body: its canonical event is the order's.
func TestServeNormalisesAClaimCheck(t *testing.T) {
	in := newInstance(t).withCommerce(t, `{enabled: true}`)
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)
	fixture, err := os.ReadFile(filepath.Join("..", "..", "consumers", "commerce", "testdata", "shopify", "orders.paid.json"))
	if err != nil {
		t.Fatal(err)
	}
	// A field the mapping does not read makes the order 2 MiB.
	big := append([]byte(`{"note_attributes_padding":"`+strings.Repeat("x", 2<<20)+`",`), bytes.TrimPrefix(bytes.TrimSpace(fixture), []byte("{"))...)
	sendFile(t, in, "orders/paid", "big-c1", big)
	msgs := canonical(t, in.nats, 1)
	ev, err := consumers.DecodeEvent(t.Context(), msgs[0].Subject(), msgs[0].Headers(), msgs[0].Data())
	if err != nil {
		t.Fatal(err)
	}
	if ev.Subject() != "820982911946154508" || ev.Extensions()[commerce.ExtRawID] != "big-c1" {
		t.Errorf("canonical event on %s: %s", msgs[0].Subject(), ev)
	}
	js := jsOf(t, in)
	webhooks, err := js.Stream(t.Context(), "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := webhooks.GetLastMsgForSubject(t.Context(), "webhooks.shopify.shop.orders.paid")
	if err != nil {
		t.Fatal(err)
	}
	if raw.Header.Get("ce-dataref") != "nats-object://WEBHOOKS_BODIES/shop:big-c1" || len(raw.Data) != 0 {
		t.Errorf("raw message: dataref %q, %d bytes of data; want a claim check", raw.Header.Get("ce-dataref"), len(raw.Data))
	}
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("run: %v", err)
	}
}

// TestServeClaimChecksACanonicalOrder: an order of thousands of line items gives a canonical
// event too large for a message; serve's normaliser stores it in COMMERCE_BODIES and
// publishes its claim check, which a consumer resolves to the whole order, and the
// console's detail of it says where the event is stored and shows it.
func TestServeClaimChecksACanonicalOrder(t *testing.T) {
	in := newInstance(t).withCommerce(t, `{enabled: true}`)
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)
	fixture, err := os.ReadFile(filepath.Join("..", "..", "consumers", "commerce", "testdata", "shopify", "orders.paid.json"))
	if err != nil {
		t.Fatal(err)
	}
	var order map[string]any
	if err := json.Unmarshal(fixture, &order); err != nil {
		t.Fatal(err)
	}
	const lineItems = 12000
	items := make([]map[string]any, lineItems)
	for i := range items {
		items[i] = map[string]any{"id": 466157049 + i, "sku": fmt.Sprintf("HB-PART-%06d", i), "quantity": 1, "price": "3.25",
			"name": fmt.Sprintf("Replacement part %d for the workshop bench, stainless steel", i), "requires_shipping": true}
	}
	order["line_items"] = items
	big, err := json.Marshal(order)
	if err != nil {
		t.Fatal(err)
	}
	sendFile(t, in, "orders/paid", "big-c2", big)
	msgs := canonical(t, in.nats, 1)
	m := msgs[0]
	if ref := m.Headers().Get("ce-dataref"); !strings.HasPrefix(ref, "nats-object://COMMERCE_BODIES/") || len(m.Data()) != 0 {
		t.Fatalf("canonical message: dataref %q, %d bytes of data; want a claim check on COMMERCE_BODIES", ref, len(m.Data()))
	}
	ev, err := consumers.DecodeEvent(t.Context(), m.Subject(), m.Headers(), m.Data())
	if err != nil {
		t.Fatal(err)
	}
	js := jsOf(t, in)
	if err := consumers.ResolveData(t.Context(), js, &ev); err != nil {
		t.Fatal(err)
	}
	var got commerce.Order
	if err := json.Unmarshal(ev.Data(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.LineItems) != lineItems || int64(len(ev.Data())) <= js.Conn().MaxPayload() {
		t.Errorf("the resolved order has %d line items in %d bytes; want %d, beyond max_payload", len(got.LineItems), len(ev.Data()), lineItems)
	}

	md, err := m.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(fmt.Sprintf("http://%s/deliveries/COMMERCE/%d", in.admin, md.Sequence.Stream))
	if err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the console's detail: %d %v", resp.StatusCode, err)
	}
	for _, want := range []string{"of bucket <code>COMMERCE_BODIES</code>", `id="claim-command">nats object get COMMERCE_BODIES `, `id="body-cut"`, "HB-PART-000000"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the console's detail lacks %s", want)
		}
	}
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("run: %v", err)
	}
}
