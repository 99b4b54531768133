package inventory_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/inventory"
)

func TestShopifyReserveAndRelease(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 100, "HB-TEE-BLK-M": 10})

	e.handle(t, fixtureEvent(t, "orders-create.json", shopifyCreate, shop, "evt-create"))
	// The gift wrapping line has no SKU: skipped, the rest counts.
	e.want(t, map[string]int{"HB-MUG-01": 98, "HB-TEE-BLK-M": 9})
	if st, _ := e.svc.Stock(t.Context(), "HB-MUG-01"); st.OnHand != 100 || st.Reserved != 2 || st.Orders != 1 {
		t.Errorf("HB-MUG-01 = %+v", st)
	}

	e.handle(t, fixtureEvent(t, "orders-cancelled.json", shopifyCancel, shop, "evt-cancel"))
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

			e.handle(t, fixtureEvent(t, "order-created.json", wooCreated, site, "1-created"))
			e.want(t, map[string]int{"HB-MUG-01": 97, "HB-CAP-NVY": 4})

			// An update that is not about stock changes nothing.
			e.handle(t, fixtureEvent(t, "order-updated-processing.json", wooUpdated, site, "1-processing"))
			e.want(t, map[string]int{"HB-MUG-01": 97, "HB-CAP-NVY": 4})

			// The same site spelled without the trailing slash is the same shop.
			e.handle(t, fixtureEvent(t, release, wooUpdated, strings.TrimSuffix(site, "/"), "1-released"))
			e.want(t, map[string]int{"HB-MUG-01": 100, "HB-CAP-NVY": 5})
		})
	}
}

// Orders of different shops, or of different platforms, with the same
// order id are different orders.
func TestSameOrderIDInTwoShops(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 10})
	e.handle(t, newEvent(t, shopifyCreate, "a.myshopify.com", "1", shopifyOrder(7, "HB-MUG-01", 1)))
	e.handle(t, newEvent(t, shopifyCreate, "b.myshopify.com", "2", shopifyOrder(7, "HB-MUG-01", 2)))
	e.handle(t, newEvent(t, wooCreated, site, "3", []byte(`{"id":7,"status":"processing","line_items":[{"sku":"HB-MUG-01","quantity":4}]}`)))
	e.want(t, map[string]int{"HB-MUG-01": 3})
}

func TestIgnoredEvents(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 100})
	before := e.keys(t)
	for _, ev := range []struct{ typ, file string }{
		{wooUpdated, "order-updated-processing.json"},
		{"com.shopify.orders.updated", "orders-create.json"},
		{"com.shopify.products.update", ""},
		{"com.stripe.payment_intent.succeeded", ""},
	} {
		data := []byte("not even json")
		if ev.file != "" {
			data = fixture(t, ev.file)
		}
		if err := e.svc.Handle(t.Context(), newEvent(t, ev.typ, site, "x", data)); err != nil {
			t.Errorf("%s: %v, want nil (ignored)", ev.typ, err)
		}
	}
	if after := e.keys(t); !slices.Equal(before, after) {
		t.Errorf("keys %v after ignored events, want %v", after, before)
	}
}

func TestUnusablePayloadIsPermanent(t *testing.T) {
	for _, c := range []struct {
		name, typ, data string
	}{
		{"not json", shopifyCreate, `<order id="1"/>`},
		{"empty", shopifyCreate, ``},
		{"no id", shopifyCreate, `{"line_items":[{"sku":"HB-MUG-01","quantity":1}]}`},
		{"null id", shopifyCancel, `{"id":null,"line_items":[]}`},
		{"blank id", wooCreated, `{"id":" ","status":"processing","line_items":[]}`},
		{"fractional id", shopifyCreate, `{"id":1.5,"line_items":[]}`},
		{"object id", wooUpdated, `{"id":{"n":1},"status":"cancelled"}`},
		{"quantity is text", shopifyCreate, `{"id":1,"line_items":[{"sku":"HB-MUG-01","quantity":"two"}]}`},
		{"line items not a list", wooCreated, `{"id":1,"status":"pending","line_items":{"sku":"HB-MUG-01"}}`},
		{"control character in sku", shopifyCreate, `{"id":1,"line_items":[{"sku":"HB\u0000MUG","quantity":1}]}`},
		{"huge quantity", shopifyCreate, `{"id":1,"line_items":[{"sku":"HB-MUG-01","quantity":9000000000}]}`},
		{"woo update not json", wooUpdated, `status=cancelled`},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, map[string]int{"HB-MUG-01": 100})
			err := e.svc.Handle(t.Context(), newEvent(t, c.typ, shop, "bad", []byte(c.data)))
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
	e.handle(t, fixtureEvent(t, "orders-cancelled.json", shopifyCancel, shop, "evt-cancel"))
	e.handle(t, fixtureEvent(t, "orders-create.json", shopifyCreate, shop, "evt-create"))
	e.handle(t, fixtureEvent(t, "orders-create.json", shopifyCreate, shop, "evt-create-sub2"))
	e.handle(t, fixtureEvent(t, "orders-cancelled.json", shopifyCancel, shop, "evt-cancel"))
	e.want(t, map[string]int{"HB-MUG-01": 100, "HB-TEE-BLK-M": 10})

	// Also for a WooCommerce order created already cancelled.
	e.handle(t, fixtureEvent(t, "order-updated-cancelled.json", wooCreated, site, "w-1"))
	e.handle(t, fixtureEvent(t, "order-created.json", wooCreated, site, "w-2"))
	e.want(t, map[string]int{"HB-MUG-01": 100})
	if _, err := e.svc.Stock(t.Context(), "HB-CAP-NVY"); !errors.Is(err, inventory.ErrUnknownSKU) {
		t.Errorf("HB-CAP-NVY: %v, want ErrUnknownSKU (a release never creates an SKU)", err)
	}
}

// Released is final: a WooCommerce order moved back from cancelled to
// processing does not reserve again (see the package documentation).
func TestReleasedIsFinal(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 100})
	e.handle(t, fixtureEvent(t, "order-created.json", wooCreated, site, "1"))
	e.handle(t, fixtureEvent(t, "order-updated-cancelled.json", wooUpdated, site, "2"))
	e.handle(t, fixtureEvent(t, "order-updated-processing.json", wooUpdated, site, "3"))
	e.handle(t, fixtureEvent(t, "order-created.json", wooCreated, site, "4"))
	e.want(t, map[string]int{"HB-MUG-01": 100})
}

func TestOversellReservesAndBackordersOnce(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 1})
	order := shopifyOrder(42, "HB-MUG-01", 3)
	e.handle(t, newEvent(t, shopifyCreate, shop, "evt-1", order))
	e.want(t, map[string]int{"HB-MUG-01": -2})

	// Redelivery, second subscription, replay: nothing more.
	for _, id := range []string{"evt-1", "evt-1-sub2", "evt-1"} {
		e.handle(t, newEvent(t, shopifyCreate, shop, id, order))
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
	e.handle(t, newEvent(t, shopifyCreate, shop, "evt-2", shopifyOrder(43, "HB-MUG-01", 2)))
	e.want(t, map[string]int{"HB-MUG-01": -4})
	if n := e.backorders(t); n != 2 {
		t.Fatalf("%d backorder events, want 2", n)
	}
	// Cancelling the oversold order gives its units back.
	e.handle(t, newEvent(t, shopifyCancel, shop, "evt-3", order))
	e.want(t, map[string]int{"HB-MUG-01": -1})
}

// An SKU never seeded is created by its first order, at zero on hand.
func TestOrderForUnknownSKU(t *testing.T) {
	e := newEnv(t, nil)
	e.handle(t, newEvent(t, shopifyCreate, shop, "1", shopifyOrder(1, "NEW-1", 2)))
	e.want(t, map[string]int{"NEW-1": -2})
	if n := e.backorders(t); n != 1 {
		t.Errorf("%d backorder events, want 1", n)
	}
}

func TestSeed(t *testing.T) {
	e := newEnv(t, map[string]int{"HB-MUG-01": 100, "Mug Blue/L": 7})
	e.handle(t, newEvent(t, shopifyCreate, shop, "1", shopifyOrder(1, "HB-MUG-01", 2)))

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
