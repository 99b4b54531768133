package commerce_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/consumers/commerce/commercetest"
	"github.com/hookbridge/hookbridge/internal/claimcheck"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/wire"
)

// hugeShopifyOrder is a Shopify orders/create body of n line items.
func hugeShopifyOrder(t *testing.T, n int) []byte {
	t.Helper()
	items := make([]map[string]any, n)
	for i := range items {
		items[i] = map[string]any{
			"id": 866550311766439000 + i, "sku": fmt.Sprintf("HB-PART-%06d", i), "quantity": 1 + i%7, "price": "3.25",
			"name": fmt.Sprintf("Replacement part %d for the workshop bench, stainless steel", i), "requires_shipping": true,
		}
	}
	body, err := json.Marshal(map[string]any{
		"id": 820982911946154508, "name": "#9999", "currency": "EUR", "financial_status": "paid",
		"total_price": "100000.00", "created_at": "2026-11-30T12:00:00Z", "updated_at": "2026-11-30T12:00:00Z",
		"line_items": items,
	})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// A canonical event too large for a message (an order of thousands of line
// items) is claim-checked as the bridge claim-checks a body: stored in the
// COMMERCE stream's bucket under its id, published with dataref, datasize
// and datadigest and no data. A consumer of COMMERCE gets the whole event.
// The raw order, too large for a message itself, reaches the normaliser as
// the bridge stores it: as a claim check on WEBHOOKS.
func TestNormaliserClaimChecksLargeEvents(t *testing.T) {
	reg := prometheus.NewRegistry()
	js := startWebhooks(t)
	ctx := t.Context()
	const lineItems = 12000

	body := hugeShopifyOrder(t, lineItems)
	raw := rawMsg(t, "shopify", "acme-shop", "acme-shop:big-1", "big-1", "com.shopify.orders.create", body)
	rawBodies, err := claimcheck.EnsureBucket(ctx, js, "WEBHOOKS", 1, time.Hour, "raw bodies")
	if err != nil {
		t.Fatal(err)
	}
	info, err := claimcheck.Store(ctx, rawBodies, "acme-shop:big-1", raw.Data, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	claimcheck.Refer(raw, claimcheck.Bucket("WEBHOOKS"), info)
	if _, err := js.PublishMsg(ctx, raw); err != nil {
		t.Fatal(err)
	}
	commercetest.RunNormaliser(t, js, commerce.Config{Registerer: reg})
	published := func() float64 {
		return counter(t, reg, "hookbridge_commerce_events_total", map[string]string{"provider": "shopify", "outcome": "published"})
	}
	natstest.Eventually(t, natstest.Patience, "the canonical order published", func() bool { return published() == 1 })

	s, err := js.Stream(ctx, commerce.Stream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(ctx, "commerce.>")
	if err != nil {
		t.Fatal(err)
	}
	id := m.Header.Get(wire.HeaderID)
	if want := wire.DataRef(claimcheck.Bucket(commerce.Stream), id); m.Header.Get(wire.HeaderDataRef) != want || len(m.Data) != 0 {
		t.Fatalf("canonical message: dataref %q, %d bytes of data; want dataref %q and no data", m.Header.Get(wire.HeaderDataRef), len(m.Data), want)
	}
	obs, err := js.ObjectStore(ctx, claimcheck.Bucket(commerce.Stream))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := obs.GetBytes(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	max := js.Conn().MaxPayload()
	if int64(len(stored)) <= max {
		t.Fatalf("the canonical order is %d bytes, within max_payload (%d): make the order larger", len(stored), max)
	}
	if got, want := m.Header.Get(wire.HeaderDataSize), fmt.Sprint(len(stored)); got != want {
		t.Errorf("datasize %s, want %s", got, want)
	}
	if got, want := m.Header.Get(wire.HeaderDataDigest), wire.ObjectDigest(stored); got != want {
		t.Errorf("datadigest %s, want %s", got, want)
	}

	// The raw event again (a replay of WEBHOOKS): the object is reused,
	// the canonical event stored once.
	replay := nats.NewMsg(raw.Subject)
	for k, v := range raw.Header {
		replay.Header[k] = v
	}
	replay.Header.Set(jetstream.MsgIDHeader, "replay-of-big-1")
	before, err := obs.GetInfo(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(ctx, replay); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, natstest.Patience, "the replay handled", func() bool { return published() == 2 })
	if after, err := obs.GetInfo(ctx, id); err != nil || after.NUID != before.NUID {
		t.Errorf("after the replay the object is %+v (%v), want the first one reused", after, err)
	}
	if info, err := s.Info(ctx); err != nil || info.State.Msgs != 1 {
		t.Errorf("after the replay COMMERCE holds %+v (%v), want 1 message", info.State, err)
	}

	// A consumer of COMMERCE, as a team writes one.
	seen := make(chan event.Event, 1)
	cctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- consumers.Run(cctx, js, consumers.Config{Stream: commerce.Stream, Name: "orders", FilterSubjects: []string{"commerce.order.>"}}, func(_ context.Context, ev event.Event) error {
			seen <- ev
			return nil
		})
	}()
	var ev event.Event
	select {
	case ev = <-seen:
	case err := <-done:
		t.Fatalf("the consumer stopped: %v", err)
	case <-time.After(natstest.Patience):
		t.Fatal("the consumer saw no event")
	}
	stop()
	if err := <-done; err != nil {
		t.Error(err)
	}
	commercetest.CheckEvent(t, ev)
	var order commerce.Order
	if err := json.Unmarshal(ev.Data(), &order); err != nil {
		t.Fatal(err)
	}
	if len(order.LineItems) != lineItems || order.LineItems[lineItems-1].SKU != fmt.Sprintf("HB-PART-%06d", lineItems-1) {
		t.Errorf("the consumer's order has %d line items, want %d", len(order.LineItems), lineItems)
	}
}

// COMMERCE has no max age, so its bucket has no TTL and hookbridge
// prune-bodies removes the objects whose events are gone: SetUp puts the
// stream back to the normaliser's config at each start, a max age an
// operator set included, and the bucket's TTL follows the stream as SetUp
// leaves it.
func TestSetUpKeepsCommerceWithoutMaxAge(t *testing.T) {
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	ctx := t.Context()
	if err := commerce.CreateStream(ctx, js); err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, commerce.Stream)
	if err != nil {
		t.Fatal(err)
	}
	c := s.CachedInfo().Config
	c.MaxAge = 48 * time.Hour
	if _, err := js.UpdateStream(ctx, c); err != nil {
		t.Fatal(err)
	}
	n, err := commerce.New(js, commerce.Config{Duplicates: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.SetUp(ctx); err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.MaxAge != 0 {
		t.Errorf("COMMERCE keeps a max age of %s: its bucket's TTL now removes objects, and prune-bodies' help must say so", info.Config.MaxAge)
	}
	obs, err := js.ObjectStore(ctx, claimcheck.Bucket(commerce.Stream))
	if err != nil {
		t.Fatal(err)
	}
	st, err := obs.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := claimcheck.TTL(info.Config.MaxAge, time.Hour); st.TTL() != want {
		t.Errorf("bucket TTL %s, want %s for COMMERCE's max age %s", st.TTL(), want, info.Config.MaxAge)
	}
}
