package inventory_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/consumers/inventory"
	"github.com/hookbridge/hookbridge/internal/sample"
)

func TestShopifyReserveAndRelease(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 100, "HB-TEE-BLK-M": 10})

	e.handle(t, fixtureEvents(t, "orders-create.json", shopifyCreate, shop, "evt-create")...)
	// The gift wrapping line has no SKU: skipped, the rest counts.
	e.want(t, map[string]int{"HB-MUG-01": 98, "HB-TEE-BLK-M": 9})
	if st, _ := e.svc.Stock(t.Context(), "HB-MUG-01"); st.OnHand != 100 || st.Reserved != 2 || st.Orders != 1 {
		t.Errorf("HB-MUG-01 = %+v", st)
	}

	e.handle(t, fixtureEvents(t, "orders-cancelled.json", shopifyCancel, shop, "evt-cancel")...)
	e.want(t, map[string]int{"HB-MUG-01": 100, "HB-TEE-BLK-M": 10})
	if st, _ := e.svc.Stock(t.Context(), "HB-MUG-01"); st.Reserved != 0 || st.Orders != 0 {
		t.Errorf("after cancel HB-MUG-01 = %+v", st)
	}
	if n := e.backorders(t); n != 0 {
		t.Errorf("%d backorder events, want 0", n)
	}
}

func TestWooCommerceReserveAndRelease(t *testing.T) {
	for _, release := range []string{"order-updated-cancelled.json", "order-updated-refunded.json"} {
		t.Run(release, func(t *testing.T) {
			e := newEnv(t, map[string]int{"HB-MUG-01": 100, "HB-CAP-NVY": 5})

			e.handle(t, fixtureEvents(t, "order-created.json", wooCreated, site, "1-created")...)
			e.want(t, map[string]int{"HB-MUG-01": 97, "HB-CAP-NVY": 4})

			// An update that is not about stock changes nothing.
			e.handle(t, fixtureEvents(t, "order-updated-processing.json", wooUpdated, site, "1-processing")...)
			e.want(t, map[string]int{"HB-MUG-01": 97, "HB-CAP-NVY": 4})

			// The same site spelled without the trailing slash is the same shop.
			e.handle(t, fixtureEvents(t, release, wooUpdated, strings.TrimSuffix(site, "/"), "1-released")...)
			e.want(t, map[string]int{"HB-MUG-01": 100, "HB-CAP-NVY": 5})
		})
	}
}

// An order reads the same from every platform: Shopify's and
// WooCommerce's own deliveries of an order's life, through the normaliser,
// reserve exactly the lines that have a SKU at the create, change nothing
// in between, release all of it at the cancel, and ignore a late replay of
// the create.
func TestPlatformsAlike(t *testing.T) {
	seed := map[string]int{"HB-MUG-01": 100, "HB-TEE-BLK-M": 10, "HB-CAP-NVY": 5}
	type raw struct{ typ, file, source string }
	for _, p := range []struct {
		name     string
		create   raw
		between  []raw
		cancel   raw
		reserved map[string]int
	}{
		{"shopify", raw{shopifyCreate, "orders-create.json", shop},
			[]raw{{"com.shopify.orders.updated", "orders-create.json", shop}, {"com.shopify.orders.paid", "orders-create.json", shop}},
			raw{shopifyCancel, "orders-cancelled.json", shop},
			map[string]int{"HB-MUG-01": 98, "HB-TEE-BLK-M": 9, "HB-CAP-NVY": 5}},
		{"woocommerce", raw{wooCreated, "order-created.json", site},
			[]raw{{wooUpdated, "order-updated-processing.json", site}},
			raw{wooUpdated, "order-updated-cancelled.json", site},
			map[string]int{"HB-MUG-01": 97, "HB-TEE-BLK-M": 10, "HB-CAP-NVY": 4}},
	} {
		t.Run(p.name, func(t *testing.T) {
			e := newEnv(t, seed)
			events := func(r raw, id string) []event.Event { return fixtureEvents(t, r.file, r.typ, r.source, id) }

			e.handle(t, events(p.create, "create")...)
			e.want(t, p.reserved)
			for i, r := range p.between {
				e.handle(t, events(r, fmt.Sprint("between-", i))...)
			}
			e.want(t, p.reserved)
			if st, _ := e.svc.Stock(t.Context(), "HB-MUG-01"); st.Orders != 1 {
				t.Errorf("HB-MUG-01 held by %d orders, want 1", st.Orders)
			}

			e.handle(t, events(p.cancel, "cancel")...)
			e.want(t, seed)
			e.handle(t, events(p.create, "create-replayed")...)
			e.want(t, seed)
			if st, _ := e.svc.Stock(t.Context(), "HB-MUG-01"); st.Orders != 0 {
				t.Errorf("HB-MUG-01 held by %d orders after the cancel, want 0", st.Orders)
			}
			if n := e.backorders(t); n != 0 {
				t.Errorf("%d backorder events, want 0", n)
			}
			e.wantRecord(t, "released")
		})
	}
}

// A WooCommerce order created already cancelled (an import, a shop's own
// order) never holds stock, not even between its order.created and its
// order.cancelled: no backorder for the units it lacks, no SKU created for
// it. It leaves a tombstone: the order's create, sent later, cannot reserve.
func TestCreatedCancelledLeavesTombstone(t *testing.T) {
	seed := map[string]int{"HB-MUG-01": 1} // the order wants 3, and 1 HB-CAP-NVY
	e := newEnv(t, seed)
	e.handle(t, fixtureEvents(t, "order-updated-cancelled.json", wooCreated, site, "w-1")...)
	e.wantRecord(t, "released")
	e.handle(t, fixtureEvents(t, "order-created.json", wooCreated, site, "w-2")...)
	e.handle(t, fixtureEvents(t, "order-updated-processing.json", wooUpdated, site, "w-3")...)
	e.want(t, seed)
	e.wantRecord(t, "released")
	if n := e.backorders(t); n != 0 {
		t.Errorf("%d backorder events, want 0", n)
	}
	if _, err := e.svc.Stock(t.Context(), "HB-CAP-NVY"); !errors.Is(err, inventory.ErrUnknownSKU) {
		t.Errorf("HB-CAP-NVY: %v, want ErrUnknownSKU", err)
	}
}

// A payment platform's checkout has no lines: its order.created reserves
// nothing and fails nothing, and still leaves its order record.
func TestOrderWithoutLines(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 100})
	body, _, err := sample.Delivery("stripe", sample.Locators{}, "checkout.session.completed", "cs-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	evs := canonical(t, "com.stripe.checkout.session.completed", "/stripe/billing", "evt_cs-1", body)
	if len(evs) == 0 || evs[0].Type() != commerce.Type(commerce.EntityOrder, commerce.ActionCreated) {
		t.Fatalf("canonical events %v, want an order.created first", evs)
	}
	e.handle(t, evs...)
	e.handle(t, evs...) // a redelivery
	e.want(t, map[string]int{"HB-MUG-01": 100})
	e.wantRecord(t, "reserved")
	if keys := e.keys(t); len(keys) != 2 {
		t.Errorf("keys %v, want the SKU and one order record", keys)
	}
}

// Orders of different shops, or of different platforms, with the same
// order id are different orders.
func TestSameOrderIDInTwoShops(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 10})
	e.handle(t, canonical(t, shopifyCreate, "a.myshopify.com", "1", shopifyOrder(7, "HB-MUG-01", 1))...)
	e.handle(t, canonical(t, shopifyCreate, "b.myshopify.com", "2", shopifyOrder(7, "HB-MUG-01", 2))...)
	e.handle(t, canonical(t, wooCreated, site, "3", []byte(`{"id":7,"status":"processing","line_items":[{"sku":"HB-MUG-01","quantity":4}]}`))...)
	e.want(t, map[string]int{"HB-MUG-01": 3})
}

// Only order events are about stock, and of those only the ones that
// create, cancel or refund an order: an update, a payment or a fulfilment
// changes nothing, and so does any other type, read or not.
func TestIgnoredEvents(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 100})
	before := e.keys(t)
	var events []event.Event
	for _, raw := range []struct{ typ, file string }{
		{wooUpdated, "order-updated-processing.json"},          // order.updated, order.paid
		{"com.shopify.orders.updated", "orders-create.json"},   // order.updated
		{"com.shopify.orders.paid", "orders-create.json"},      // order.paid
		{"com.shopify.orders.fulfilled", "orders-create.json"}, // order.fulfilled
	} {
		events = append(events, fixtureEvents(t, raw.file, raw.typ, site, "x")...)
	}
	if len(events) != 5 {
		t.Fatalf("%d canonical events, want 5", len(events))
	}
	events = append(events,
		// A raw delivery is not in the consumer's filter any more; should
		// one reach the handler, it is not an order event.
		newEvent(t, "webhooks.shopify.acme-shop.orders.create", shopifyCreate, shop, "raw", fixture(t, "orders-create.json")),
		// Other canonical entities are not read at all.
		newEvent(t, "commerce.payment.succeeded.test.acme-shop", commerce.Type(commerce.EntityPayment, commerce.ActionSucceeded), shop, "pay", []byte("not even json")),
	)
	for _, ev := range events {
		if err := e.svc.Handle(t.Context(), ev); err != nil {
			t.Errorf("%s: %v, want nil (ignored)", ev.Type(), err)
		}
	}
	if after := e.keys(t); !slices.Equal(before, after) {
		t.Errorf("keys %v after ignored events, want %v", after, before)
	}
}

// An order event whose data is not a canonical order the service can
// account for is dead-lettered, whatever its action: an update must be read
// to see its status.
func TestUnusablePayloadIsPermanent(t *testing.T) {
	const (
		created   = commerce.ActionCreated
		cancelled = commerce.ActionCancelled
		updated   = commerce.ActionUpdated
	)
	for _, c := range []struct {
		name, action, data string
	}{
		{"not json", created, `<order id="1"/>`},
		{"empty", created, ``},
		{"null", created, `null`},
		{"a list", cancelled, `[{"id":"1","platform":"shopify"}]`},
		{"no id", created, `{"platform":"shopify","line_items":[{"sku":"HB-MUG-01","quantity":1}]}`},
		{"blank id", cancelled, `{"id":" ","platform":"shopify"}`},
		{"id a number", created, `{"id":1,"platform":"shopify","line_items":[]}`},
		{"object id", updated, `{"id":{"n":1},"platform":"shopify","status":"cancelled"}`},
		{"no platform", created, `{"id":"1","line_items":[{"sku":"HB-MUG-01","quantity":1}]}`},
		{"platform not a token", created, `{"id":"1","platform":"shop.ify>","line_items":[]}`},
		{"platform upper case", cancelled, `{"id":"1","platform":"Shopify"}`},
		{"quantity is text", created, `{"id":"1","platform":"shopify","line_items":[{"sku":"HB-MUG-01","quantity":"two"}]}`},
		{"line items not a list", created, `{"id":"1","platform":"shopify","line_items":{"sku":"HB-MUG-01"}}`},
		{"control character in sku", created, `{"id":"1","platform":"shopify","line_items":[{"sku":"HB\u0000MUG","quantity":1}]}`},
		{"huge quantity", created, `{"id":"1","platform":"shopify","line_items":[{"sku":"HB-MUG-01","quantity":9000000000}]}`},
		{"status not text", updated, `{"id":"1","platform":"shopify","status":7}`},
		{"update not json", updated, `status=cancelled`},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, map[string]int{"HB-MUG-01": 100})
			err := e.svc.Handle(t.Context(), orderEvent(t, c.action, "bad", []byte(c.data)))
			if !errors.Is(err, inventory.ErrBadPayload) || !consumers.IsPermanent(err) {
				t.Fatalf("err = %v, want a permanent ErrBadPayload", err)
			}
			if keys := e.keys(t); !slices.Equal(keys, []string{"sku.HB-MUG-01"}) {
				t.Errorf("keys = %v: something was written", keys)
			}
		})
	}
}

// A cancel seen before its create leaves a tombstone: the create, and every
// replay of either, changes nothing.
func TestCancelBeforeCreate(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 100, "HB-TEE-BLK-M": 10})
	e.handle(t, fixtureEvents(t, "orders-cancelled.json", shopifyCancel, shop, "evt-cancel")...)
	e.handle(t, fixtureEvents(t, "orders-create.json", shopifyCreate, shop, "evt-create")...)
	e.handle(t, fixtureEvents(t, "orders-create.json", shopifyCreate, shop, "evt-create-sub2")...)
	e.handle(t, fixtureEvents(t, "orders-cancelled.json", shopifyCancel, shop, "evt-cancel")...)
	e.want(t, map[string]int{"HB-MUG-01": 100, "HB-TEE-BLK-M": 10})

	// Also for a WooCommerce order created already cancelled.
	e.handle(t, fixtureEvents(t, "order-updated-cancelled.json", wooCreated, site, "w-1")...)
	e.handle(t, fixtureEvents(t, "order-created.json", wooCreated, site, "w-2")...)
	e.want(t, map[string]int{"HB-MUG-01": 100})
	if _, err := e.svc.Stock(t.Context(), "HB-CAP-NVY"); !errors.Is(err, inventory.ErrUnknownSKU) {
		t.Errorf("HB-CAP-NVY: %v, want ErrUnknownSKU (a release never creates an SKU)", err)
	}
}

// Released is final: a WooCommerce order moved back from cancelled to
// processing does not reserve again (see the package documentation).
func TestReleasedIsFinal(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 100})
	e.handle(t, fixtureEvents(t, "order-created.json", wooCreated, site, "1")...)
	e.handle(t, fixtureEvents(t, "order-updated-cancelled.json", wooUpdated, site, "2")...)
	e.handle(t, fixtureEvents(t, "order-updated-processing.json", wooUpdated, site, "3")...)
	e.handle(t, fixtureEvents(t, "order-created.json", wooCreated, site, "4")...)
	e.want(t, map[string]int{"HB-MUG-01": 100})
}

func TestOversellReservesAndBackordersOnce(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 1})
	order := shopifyOrder(42, "HB-MUG-01", 3)
	e.handle(t, canonical(t, shopifyCreate, shop, "evt-1", order)...)
	e.want(t, map[string]int{"HB-MUG-01": -2})

	// Redelivery, second subscription, replay: nothing more.
	for _, id := range []string{"evt-1", "evt-1-sub2", "evt-1"} {
		e.handle(t, canonical(t, shopifyCreate, shop, id, order)...)
	}
	e.want(t, map[string]int{"HB-MUG-01": -2})
	if n := e.backorders(t); n != 1 {
		t.Fatalf("%d backorder events, want 1", n)
	}

	st, err := e.js.Stream(t.Context(), eventsStream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.GetLastMsgForSubject(t.Context(), "inventory.backorder.HB-MUG-01")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := consumers.DecodeEvent(t.Context(), m.Subject, m.Header, m.Data)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type() != inventory.BackorderType || ev.Source() != inventory.BackorderSource || ev.Subject() != "HB-MUG-01" {
		t.Errorf("event %s", ev)
	}
	var b inventory.Backorder
	if err := ev.DataAs(&b); err != nil {
		t.Fatal(err)
	}
	if b.SKU != "HB-MUG-01" || b.Platform != "shopify" || b.Source != shop || b.OrderID != "42" ||
		b.Quantity != 3 || b.Backordered != 2 || b.Available != -2 || b.OrderKey == "" {
		t.Errorf("backorder %+v", b)
	}

	// A second order on an SKU already below zero backorders all of it.
	e.handle(t, canonical(t, shopifyCreate, shop, "evt-2", shopifyOrder(43, "HB-MUG-01", 2))...)
	e.want(t, map[string]int{"HB-MUG-01": -4})
	if n := e.backorders(t); n != 2 {
		t.Fatalf("%d backorder events, want 2", n)
	}
	// Cancelling the oversold order gives its units back.
	e.handle(t, canonical(t, shopifyCancel, shop, "evt-3", order)...)
	e.want(t, map[string]int{"HB-MUG-01": -1})
}

// An SKU never seeded is created by its first order, at zero on hand.
func TestOrderForUnknownSKU(t *testing.T) {
	e := newEnv(t, nil)
	e.handle(t, canonical(t, shopifyCreate, shop, "1", shopifyOrder(1, "NEW-1", 2))...)
	e.want(t, map[string]int{"NEW-1": -2})
	if n := e.backorders(t); n != 1 {
		t.Errorf("%d backorder events, want 1", n)
	}
}

func TestSeed(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 100, "Mug Blue/L": 7})
	e.handle(t, canonical(t, shopifyCreate, shop, "1", shopifyOrder(1, "HB-MUG-01", 2))...)

	// Seeding again leaves existing SKUs alone and adds new ones.
	if err := e.svc.Seed(t.Context(), map[string]int{"HB-MUG-01": 5, "HB-NEW": 3}); err != nil {
		t.Fatal(err)
	}
	e.want(t, map[string]int{"HB-MUG-01": 98, "Mug Blue/L": 7, "HB-NEW": 3})

	for _, bad := range []map[string]int{{"HB-X": -1}, {"": 1}, {"A\nB": 1}, {" HB-X": 1}} {
		if err := e.svc.Seed(t.Context(), bad); err == nil {
			t.Errorf("Seed(%v) = nil, want an error", bad)
		}
	}
	if _, err := e.svc.Stock(t.Context(), "HB-X"); !errors.Is(err, inventory.ErrUnknownSKU) {
		t.Errorf("Stock(HB-X) err = %v, want ErrUnknownSKU", err)
	}

	all, err := e.svc.All(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var skus []string
	for _, s := range all {
		skus = append(skus, s.SKU)
	}
	if want := []string{"HB-MUG-01", "HB-NEW", "Mug Blue/L"}; !slices.Equal(skus, want) {
		t.Errorf("All: %v, want %v", skus, want)
	}
}

// New is safe to call again on an existing bucket and stream, as every start
// of the service does.
func TestNewTwice(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 100})
	svc, err := inventory.New(t.Context(), e.js, inventory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := svc.Stock(t.Context(), "HB-MUG-01"); err != nil || st.OnHand != 100 {
		t.Errorf("Stock = %+v, %v", st, err)
	}
}
