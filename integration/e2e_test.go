package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/consumers/commerce/commercetest"
	"github.com/hookbridge/hookbridge/consumers/inventory"
	"github.com/hookbridge/hookbridge/consumers/shipping"
)

// TestEndToEnd: NATS, the bridge (with the normaliser) and both sample
// consumers run as containers of the project's images. Signed Shopify,
// WooCommerce and Stripe deliveries about nine orders (created, paid,
// cancelled; one retried by the platform) go in through the bridge, in two
// rounds as a shop would send them. The samples read only the canonical
// events on COMMERCE: the stock on inventory's GET /stock/{sku} is exact
// after each round, the shipments on shipping's GET /shipments and the
// events on SHIPPING are exactly the expected ones for every platform,
// COMMERCE holds exactly the expected canonical events, each valid against
// its schema, nothing is dead-lettered, and a team's own consumer attached
// in-process by filter subject (webhooks.woocommerce.*.order.>) sees exactly
// the WooCommerce CloudEvents, each once, with the ids, types and bodies the
// README's contract gives.
func TestEndToEnd(t *testing.T) {
	RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	nw := NewNetwork(ctx, t)
	broker := StartNATS(ctx, t, nw, "nats")
	bridge := StartBridge(ctx, t, nw, BridgeConfig{NATSURL: broker.InternalURL, Sources: []Source{Shop, Woo, Stripe}, Commerce: true})
	inv := StartService(ctx, t, nw, "inventory", broker.InternalURL, "--seed", "E2E-MUG=50,E2E-TEE=20,E2E-HAT=5")
	ship := StartService(ctx, t, nw, "shipping", broker.InternalURL)
	_, js := Connect(t, broker)
	team := startRecorder(ctx, t, js, "team-woo-orders", "webhooks.woocommerce.*.order.>")

	shop, woo := NewSourcePlatform(t, bridge.WebhookURL, Shop), NewSourcePlatform(t, bridge.WebhookURL, Woo)
	stripe := NewSourcePlatform(t, bridge.WebhookURL, Stripe)
	var (
		mug, tee, hat = "E2E-MUG", "E2E-TEE", "E2E-HAT"
		s1            = Order{ID: "1001", Lines: []Line{{mug, 2}, {tee, 1}}} // created, paid
		s2            = Order{ID: "1002", Lines: []Line{{mug, 3}}}           // created, paid, cancelled
		s3            = Order{ID: "1003", Lines: []Line{{tee, 4}, {hat, 1}}} // created, cancelled unpaid
		s4            = Order{ID: "1004", Lines: []Line{{hat, 2}}}           // created, never paid
		w1            = Order{ID: "2001", Lines: []Line{{mug, 1}}}           // pending, then processing (paid)
		w2            = Order{ID: "2002", Lines: []Line{{tee, 2}}}           // created processing, then cancelled
		w3            = Order{ID: "2003", Lines: []Line{{hat, 1}}}           // pending, then cancelled
		p1            = Order{ID: "3001", Lines: []Line{{hat, 1}}}           // a Checkout Session completed paid
		p2            = Order{ID: "3002", Lines: []Line{{mug, 1}, {tee, 2}}} // completed unpaid, then paid
	)
	var sent []Delivery // everything the stream must hold, once each
	send := func(p *Platform, id, eventType string, o Order, status string) Delivery {
		t.Helper()
		d, err := p.OrderDelivery(id, eventType, o, status)
		if err != nil {
			t.Fatal(err)
		}
		r := p.Deliver(ctx, d)
		a := r.Final()
		wantSubject := "webhooks." + p.Kind + "." + path.Base(p.URL) + "." + strings.ReplaceAll(eventType, "/", ".")
		if !r.OK() || a.Answer.Status != "published" || a.Answer.ID != d.EventID() || a.Answer.Subject != wantSubject {
			t.Fatalf("%s %s of order %s: %v; want 200 published, id %s, subject %s", p.Kind, eventType, o.ID, a, d.EventID(), wantSubject)
		}
		sent = append(sent, d)
		return d
	}

	// Round 1: every order is created; three are paid.
	s1create := send(shop, "e2e-s1-create", "orders/create", s1, "")
	send(shop, "e2e-s2-create", "orders/create", s2, "")
	send(shop, "e2e-s3-create", "orders/create", s3, "")
	send(shop, "e2e-s4-create", "orders/create", s4, "")
	send(shop, "e2e-s1-paid", "orders/paid", s1, "")
	send(shop, "e2e-s2-paid", "orders/paid", s2, "")
	send(woo, "e2e-w1-created", "order.created", w1, "pending")
	send(woo, "e2e-w1-processing", "order.updated", w1, "processing")
	send(woo, "e2e-w2-created", "order.created", w2, "processing")
	send(woo, "e2e-w3-created", "order.created", w3, "pending")
	send(stripe, "e2e-p1-completed", "checkout.session.completed", p1, "paid")
	send(stripe, "e2e-p2-completed", "checkout.session.completed", p2, "unpaid")
	// Shopify retries a delivery whose answer it did not get: same id, a
	// duplicate, stored once, reserved once.
	if a := shop.Try(ctx, s1create); !a.OK() || a.Answer.Status != "duplicate" || a.Answer.ID != s1create.EventID() {
		t.Errorf("the platform's retry of %s: %v; want 200 duplicate", s1create.ID, a)
	}
	waitCanonicalConsumed(ctx, t, js, "inventory", "shipping")
	// Stripe's events carry no line items: its orders hold no stock.
	checkStock(ctx, t, inv, "after the orders were created", map[string]inventory.Stock{
		mug: {SKU: mug, OnHand: 50, Reserved: 2 + 3 + 1, Available: 44, Orders: 3},
		tee: {SKU: tee, OnHand: 20, Reserved: 1 + 4 + 2, Available: 13, Orders: 3},
		hat: {SKU: hat, OnHand: 5, Reserved: 1 + 2 + 1, Available: 1, Orders: 3},
	})
	records := map[string]orderRecord{}
	for _, rec := range orderRecords(ctx, t, js) {
		records[rec.OrderID] = rec
	}
	for _, id := range []string{"cs_test_" + p1.ID, "cs_test_" + p2.ID} {
		if rec, ok := records[id]; !ok || rec.State != "reserved" || len(rec.Lines) != 0 {
			t.Errorf("inventory's record of Stripe order %s: %+v (found: %t); want reserved with no lines", id, rec, ok)
		}
	}

	// Round 2: four orders are cancelled, two of them after they were paid.
	send(shop, "e2e-s2-cancelled", "orders/cancelled", s2, "")
	send(shop, "e2e-s3-cancelled", "orders/cancelled", s3, "")
	send(woo, "e2e-w2-cancelled", "order.updated", w2, "cancelled")
	send(woo, "e2e-w3-cancelled", "order.updated", w3, "cancelled")
	send(stripe, "e2e-p2-paid", "checkout.session.async_payment_succeeded", p2, "paid")
	waitCanonicalConsumed(ctx, t, js, "inventory", "shipping")
	WaitConsumed(ctx, t, js, Stream, team.name, time.Minute)

	checkStock(ctx, t, inv, "after the cancellations", map[string]inventory.Stock{
		mug: {SKU: mug, OnHand: 50, Reserved: 2 + 1, Available: 47, Orders: 2}, // s1, w1
		tee: {SKU: tee, OnHand: 20, Reserved: 1, Available: 19, Orders: 1},     // s1
		hat: {SKU: hat, OnHand: 5, Reserved: 2, Available: 3, Orders: 1},       // s4
	})

	const shopDomain, wooSite, stripeSource = "hookbridge-dev.myshopify.com", "https://shop.example.test/", "/stripe/" + StripeSource
	type want struct {
		platform, source string
		id               string // the platform's order id
		o                Order
		status           shipping.Status
		announced        bool // created (and published) before it was cancelled; false: a tombstone
	}
	wantShipments := []want{
		{"shopify", shopDomain, s1.ID, s1, shipping.StatusCreated, true},
		{"shopify", shopDomain, s2.ID, s2, shipping.StatusCancelled, true},
		{"shopify", shopDomain, s3.ID, s3, shipping.StatusCancelled, false},
		{"woocommerce", wooSite, w1.ID, w1, shipping.StatusCreated, true},
		{"woocommerce", wooSite, w2.ID, w2, shipping.StatusCancelled, true},
		{"woocommerce", wooSite, w3.ID, w3, shipping.StatusCancelled, false},
		// A Checkout Session is the order; its items are in its metadata.
		{"stripe", stripeSource, "cs_test_" + p1.ID, p1, shipping.StatusCreated, true},
		{"stripe", stripeSource, "cs_test_" + p2.ID, p2, shipping.StatusCreated, true},
	}
	shipments, err := ship.Shipments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]shipping.Shipment{}
	for _, s := range shipments {
		byKey[s.Key] = s
	}
	wantEvents := map[string]string{} // SHIPPING: ce-id -> ce-type
	for _, w := range wantShipments {
		key, err := shipping.Key(w.platform, w.source, w.id)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := byKey[key]
		delete(byKey, key)
		switch {
		case !ok:
			t.Errorf("no shipment %s (order %s of %s)", key, w.id, w.platform)
			continue
		case got.Status != w.status || got.OrderID != w.id || got.Platform != w.platform || got.Source != w.source:
			t.Errorf("shipment %s: %s of %s order %s from %s; want %s", key, got.Status, got.Platform, got.OrderID, got.Source, w.status)
		case w.announced && (got.CreatedAt.IsZero() || !sameItems(got.Items, w.o.Lines)):
			t.Errorf("shipment %s: created at %v with items %+v; want created with %+v", key, got.CreatedAt, got.Items, w.o.Lines)
		case !w.announced && !got.CreatedAt.IsZero():
			t.Errorf("shipment %s was created (%v); want a tombstone: the order was cancelled before it was paid", key, got.CreatedAt)
		}
		if w.announced {
			wantEvents[key+":created"] = "com.hookbridge.shipping.shipment.created"
			if w.status == shipping.StatusCancelled {
				wantEvents[key+":cancelled"] = "com.hookbridge.shipping.shipment.cancelled"
			}
		}
	}
	for key, s := range byKey {
		t.Errorf("unexpected shipment %s: %+v", key, s)
	}
	checkEvents(t, "SHIPPING", ReadStream(ctx, t, js, "SHIPPING"), wantEvents)

	// The bridge stored every delivery once, the retry included.
	wantWebhooks := map[string]string{}
	for _, d := range sent {
		wantWebhooks[d.EventID()] = d.EventType()
	}
	checkEvents(t, Stream, ReadStream(ctx, t, js, Stream), wantWebhooks)
	checkCanonical(ctx, t, js, map[string]int{
		// Shopify: one canonical event per topic; the retry was never stored.
		"commerce.order.created.shopify." + Shop.Name:   4, // s1-s4
		"commerce.order.paid.shopify." + Shop.Name:      2, // s1, s2
		"commerce.order.cancelled.shopify." + Shop.Name: 2, // s2, s3
		// WooCommerce: the topic's event, then what the order's status means.
		"commerce.order.created.woocommerce." + Woo.Name:   3, // w1 pending, w2 processing, w3 pending
		"commerce.order.updated.woocommerce." + Woo.Name:   3, // w1 processing, w2 and w3 cancelled
		"commerce.order.paid.woocommerce." + Woo.Name:      2, // w1 processing, w2 created processing
		"commerce.order.cancelled.woocommerce." + Woo.Name: 2, // w2, w3
		// Stripe: a completed session is created, and paid when it is.
		"commerce.order.created.stripe." + Stripe.Name: 2, // p1, p2
		"commerce.order.paid.stripe." + Stripe.Name:    2, // p1 at completion, p2 when its payment succeeded
	})
	checkNoDeadLetters(ctx, t, js)

	// The team's consumer saw each WooCommerce event once, as the contract
	// describes it, and nothing else.
	var wooSent []Delivery
	for _, d := range sent {
		if strings.HasPrefix(d.EventType(), "com.woocommerce.") {
			wooSent = append(wooSent, d)
		}
	}
	seen := team.stop(t)
	if len(seen) != len(wooSent) {
		t.Errorf("the team's consumer saw %d events, want %d", len(seen), len(wooSent))
	}
	count := map[string]int{}
	for _, ev := range seen {
		count[ev.ID()]++
	}
	for _, d := range wooSent {
		i := slices.IndexFunc(seen, func(ev event.Event) bool { return ev.ID() == d.EventID() })
		if i < 0 {
			t.Errorf("the team's consumer never saw %s (%s)", d.EventID(), d.ID)
			continue
		}
		ev := seen[i]
		if count[ev.ID()] != 1 {
			t.Errorf("the team's consumer saw %s %d times, want once", ev.ID(), count[ev.ID()])
		}
		if ev.Type() != d.EventType() || ev.Source() != wooSite || ev.Subject() != orderIDOf(t, d) || !bytes.Equal(ev.Data(), d.body) {
			t.Errorf("event %s: type %s, source %s, subject %s, data %q; want %s from %s about order %s with the body as sent",
				ev.ID(), ev.Type(), ev.Source(), ev.Subject(), ev.Data(), d.EventType(), wooSite, orderIDOf(t, d))
		}
	}
}

func checkStock(ctx context.Context, t *testing.T, inv *Service, when string, want map[string]inventory.Stock) {
	t.Helper()
	for sku, w := range want {
		got, err := inv.Stock(ctx, sku)
		if err != nil {
			t.Errorf("%s: %v", when, err)
		} else if got != w {
			t.Errorf("%s: stock %+v, want %+v", when, got, w)
		}
	}
}

func sameItems(items []shipping.Item, lines []Line) bool {
	if len(items) != len(lines) {
		return false
	}
	for i, it := range items {
		if it.SKU != lines[i].SKU || it.Quantity != lines[i].Quantity {
			return false
		}
	}
	return true
}

// checkEvents asserts that stored holds each of want (ce-id to ce-type)
// exactly once and nothing else.
func checkEvents(t *testing.T, stream string, stored []Stored, want map[string]string) {
	t.Helper()
	count := map[string]int{}
	for _, m := range stored {
		count[m.CEID]++
		if typ, ok := want[m.CEID]; !ok {
			t.Errorf("%s: unexpected message %d: %s %s on %s", stream, m.Seq, m.CEType, m.CEID, m.Subject)
		} else if m.CEType != typ {
			t.Errorf("%s: message %d (%s) has type %s, want %s", stream, m.Seq, m.CEID, m.CEType, typ)
		}
	}
	for id := range want {
		if count[id] != 1 {
			t.Errorf("%s: %s is stored %d times, want exactly once", stream, id, count[id])
		}
	}
	if len(stored) != len(want) {
		t.Errorf("%s holds %d messages, want %d", stream, len(stored), len(want))
	}
}

// waitCanonicalConsumed waits until the normaliser has read every raw
// event, then until each named consumer of COMMERCE has handled every
// canonical event.
func waitCanonicalConsumed(ctx context.Context, t *testing.T, js jetstream.JetStream, names ...string) {
	t.Helper()
	WaitConsumed(ctx, t, js, Stream, commerce.DefaultName, time.Minute)
	for _, name := range names {
		WaitConsumed(ctx, t, js, commerce.Stream, name, time.Minute)
	}
}

// checkCanonical waits until the normaliser has read every raw event, then
// checks that COMMERCE holds exactly want canonical events per subject, each
// valid against its contract.
func checkCanonical(ctx context.Context, t *testing.T, js jetstream.JetStream, want map[string]int) {
	t.Helper()
	WaitConsumed(ctx, t, js, Stream, commerce.DefaultName, time.Minute)
	got := map[string]int{}
	for _, m := range ReadStream(ctx, t, js, commerce.Stream) {
		got[m.Subject]++
		commercetest.CheckEvent(t, m.Event(t))
	}
	if !maps.Equal(got, want) {
		t.Errorf("COMMERCE holds, per subject, %v; want %v", got, want)
	}
}

// checkNoDeadLetters asserts that no consumer dead-lettered anything.
func checkNoDeadLetters(ctx context.Context, t *testing.T, js jetstream.JetStream) {
	t.Helper()
	s, err := js.Stream(ctx, consumers.DefaultDeadLetterStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 0 {
		t.Errorf("%s holds %d dead letters, want none", consumers.DefaultDeadLetterStream, info.State.Msgs)
	}
}

func orderIDOf(t *testing.T, d Delivery) string {
	t.Helper()
	var o struct {
		ID json.Number `json:"id"`
	}
	if err := json.Unmarshal(d.body, &o); err != nil {
		t.Fatal(err)
	}
	return o.ID.String()
}

// recorder is a team's own consumer, run in the test process with the
// consumers library: it records every CloudEvent it is handed.
type recorder struct {
	name   string
	cancel context.CancelFunc
	done   chan error
	mu     sync.Mutex
	events []event.Event
}

// startRecorder attaches the durable consumer name with the given filter
// subjects to the bridge's stream. It is stopped when the test ends, if
// stop was not called before.
func startRecorder(ctx context.Context, t *testing.T, js jetstream.JetStream, name string, filters ...string) *recorder {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	r := &recorder{name: name, cancel: cancel, done: make(chan error, 1)}
	cfg := consumers.Config{Name: name, FilterSubjects: filters, Concurrency: 2, ShutdownGrace: 5 * time.Second}
	go func() {
		r.done <- consumers.Run(ctx, js, cfg, func(_ context.Context, ev event.Event) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.events = append(r.events, ev)
			return nil
		})
	}()
	t.Cleanup(func() { r.cancel(); <-r.done })
	// Run creates the consumer before it fetches; wait for it so that a
	// setup error shows here.
	poll(t, 30*time.Second, fmt.Sprintf("consumer %s to exist", name), func() (bool, string) {
		select {
		case err := <-r.done:
			r.done <- err
			t.Fatalf("consumer %s: %v", name, err)
		default:
		}
		_, err := consumerInfo(ctx, js, Stream, name)
		return err == nil, fmt.Sprint(err)
	})
	return r
}

// stop stops the consumer and returns what it saw.
func (r *recorder) stop(t *testing.T) []event.Event {
	t.Helper()
	r.cancel()
	err := <-r.done
	r.done <- err // for the cleanup
	if err != nil {
		t.Errorf("consumer %s: %v", r.name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}
