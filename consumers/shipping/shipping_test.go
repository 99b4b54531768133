package shipping

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookbridge/hookbridge/consumers"
)

func TestShopify(t *testing.T) {
	svc, js := newService(t)
	key := mustKey(t, "shopify", shopDomain, "820982911946154508")

	handle(t, svc, shopifyEvent(t, "paid", shopDomain, "ev-paid"))
	got := mustShipment(t, svc, key)
	want := Shipment{
		Key: key, Platform: "shopify", Source: shopDomain, OrderID: "820982911946154508", Reference: "#9999",
		Status: StatusCreated,
		Address: Address{Name: "Steve Shipper", Company: "Shipping Company", Line1: "123 Shipping Street", Line2: "Suite 4",
			City: "Shippington", Region: "KY", PostalCode: "40003", Country: "US", Phone: "555-555-SHIP"},
		// The gift card (requires_shipping: false) is not shipped.
		Items: []Item{
			{SKU: "IPOD2008PINK", Name: "IPod Nano - 8GB", Quantity: 1},
			{SKU: "IPOD2008BLACK", Name: "IPod Nano - 8GB - Black", Quantity: 2},
		},
		CreatedAt: testNow,
		EventID:   "ev-paid",
	}
	assertShipment(t, got, want)

	handle(t, svc, shopifyEvent(t, "fulfilled", shopDomain, "ev-fulfilled"))
	want.Status, want.FulfilledAt, want.EventID = StatusFulfilled, testNow, "ev-fulfilled"
	want.Tracking = &Tracking{Company: "UPS", Number: "1Z2345", URL: "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1Z2345"}
	assertShipment(t, mustShipment(t, svc, key), want)

	all := readPublished(t, js)
	if len(all) != 2 {
		t.Fatalf("published %d events, want 2", len(all))
	}
	assertEvent(t, all[0], "shipping.shipment.created.shopify", tCreated, key)
	assertEvent(t, all[1], "shipping.shipment.fulfilled.shopify", tFulfilled, key)
	// Each event carries the shipment as it was right after its transition.
	var created, fulfilled Shipment
	decodeData(t, all[0].Event, &created)
	decodeData(t, all[1].Event, &fulfilled)
	if created.Status != StatusCreated || created.Tracking != nil || len(created.Items) != 2 {
		t.Errorf("created event data = %+v", created)
	}
	assertShipment(t, fulfilled, want)

	// A second shop's order with the same id is another shipment.
	other := "other.myshopify.com"
	handle(t, svc, shopifyEvent(t, "paid", other, "o-paid"), shopifyEvent(t, "cancelled", other, "o-cancelled"))
	okey := mustKey(t, "shopify", other, "820982911946154508")
	sh := mustShipment(t, svc, okey)
	if sh.Status != StatusCancelled || !sh.CancelledAt.Equal(testNow) || sh.CreatedAt.IsZero() {
		t.Errorf("cancelled shipment = %+v", sh)
	}
	all = readPublished(t, js)
	if got, want := kinds(all, okey), []string{tCreated, tCancelled}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	assertEvent(t, all[3], "shipping.shipment.cancelled.shopify", tCancelled, okey)
}

func TestWooCommerce(t *testing.T) {
	svc, js := newService(t)
	key := mustKey(t, "woocommerce", wooSite, "727")

	// Created while pending: nothing to ship yet.
	handle(t, svc, wooEvent(t, "created", "pending", wooSite, "1-aaa"))
	if _, err := svc.Shipment(t.Context(), key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("pending order: Shipment err = %v, want ErrNotFound", err)
	}
	handle(t, svc, wooEvent(t, "updated", "processing", wooSite, "1-bbb"))
	assertShipment(t, mustShipment(t, svc, key), Shipment{
		Key: key, Platform: "woocommerce", Source: wooSite, OrderID: "727", Reference: "727", Status: StatusCreated,
		Address: Address{Name: "John Doe", Line1: "969 Market", Line2: "Apt 2", City: "San Francisco", Region: "CA",
			PostalCode: "94103", Country: "US", Phone: "(555) 555-5555"},
		Items: []Item{
			{SKU: "WOO-SINGLE-1", Name: "Woo Single #1", Quantity: 2},
			{SKU: "SYI-BLK-M", Name: "Ship Your Idea &ndash; Color: Black, Size: M Test", Quantity: 1},
		},
		CreatedAt: testNow,
		EventID:   "1-bbb",
	})
	// Another edit while processing is no new shipment.
	handle(t, svc, wooEvent(t, "updated", "processing", wooSite, "1-ccc"))
	handle(t, svc, wooEvent(t, "updated", "cancelled", wooSite, "1-ddd"))
	if sh := mustShipment(t, svc, key); sh.Status != StatusCancelled {
		t.Errorf("status = %s, want cancelled", sh.Status)
	}
	all := readPublished(t, js)
	if got, want := kinds(all, key), []string{tCreated, tCancelled}; !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	assertEvent(t, all[0], "shipping.shipment.created.woocommerce", tCreated, key)
	assertEvent(t, all[1], "shipping.shipment.cancelled.woocommerce", tCancelled, key)

	// refunded cancels too; order.created already processing creates.
	site2 := "https://other.example.test/"
	handle(t, svc, wooEvent(t, "created", "processing", site2, "2-aaa"))
	refunded := strings.Replace(string(fixture(t, "woocommerce/order-cancelled.json")), `"status": "cancelled"`, `"status": "refunded"`, 1)
	handle(t, svc, webhook(t, "com.woocommerce.order.updated", site2, "727", "2-bbb", []byte(refunded)))
	key2 := mustKey(t, "woocommerce", site2, "727")
	if got, want := kinds(readPublished(t, js), key2), []string{tCreated, tCancelled}; !slices.Equal(got, want) {
		t.Errorf("refunded: events = %v, want %v", got, want)
	}
}

func TestStripe(t *testing.T) {
	svc, js := newService(t)

	ev := stripeWebhook(t, "checkout-session-completed.json")
	handle(t, svc, ev)
	key := mustKey(t, "stripe", stripeSrc, ev.Subject())
	assertShipment(t, mustShipment(t, svc, key), Shipment{
		Key: key, Platform: "stripe", Source: stripeSrc, OrderID: ev.Subject(), Reference: "order-1042", Status: StatusCreated,
		Address: Address{Name: "Jenny Rosen", Line1: "Torstraße 12", Line2: "Hinterhaus, 3. OG", City: "Berlin",
			PostalCode: "10119", Country: "DE", Phone: "+4930901820"},
		Items:     []Item{{SKU: "TSHIRT-BLK-M", Quantity: 2}, {SKU: "MUG-WHT", Quantity: 1}},
		CreatedAt: testNow,
		EventID:   ev.ID(),
	})

	// API versions before 2025-03-31 put the address in shipping_details.
	legacy := stripeWebhook(t, "checkout-session-completed-legacy.json")
	handle(t, svc, legacy)
	lkey := mustKey(t, "stripe", stripeSrc, legacy.Subject())
	if sh := mustShipment(t, svc, lkey); sh.Address.City != "Berlin" || sh.Items != nil || sh.Reference != "" {
		t.Errorf("legacy session shipment = %+v", sh)
	}

	// No shipping details: ignored, not an error.
	noShip := stripeWebhook(t, "checkout-session-completed-no-shipping.json")
	handle(t, svc, noShip)
	if _, err := svc.Shipment(t.Context(), mustKey(t, "stripe", stripeSrc, noShip.Subject())); !errors.Is(err, ErrNotFound) {
		t.Errorf("session without shipping: Shipment err = %v, want ErrNotFound", err)
	}

	// Not paid yet (a delayed payment method): ignored.
	unpaid := strings.Replace(string(fixture(t, "stripe/checkout-session-completed.json")), `"payment_status": "paid"`, `"payment_status": "unpaid"`, 1)
	unpaid = strings.ReplaceAll(unpaid, ev.Subject(), "cs_test_unpaid")
	handle(t, svc, webhook(t, ev.Type(), stripeSrc, "cs_test_unpaid", "evt_unpaid", []byte(unpaid)))

	all := readPublished(t, js)
	if len(all) != 2 {
		t.Fatalf("published %d events, want 2", len(all))
	}
	assertEvent(t, all[0], "shipping.shipment.created.stripe", tCreated, key)
	assertEvent(t, all[1], "shipping.shipment.created.stripe", tCreated, lkey)
}

func TestIgnoredAndPermanent(t *testing.T) {
	svc, js := newService(t)
	paid := fixture(t, "shopify/orders-paid.json")
	stripe := string(fixture(t, "stripe/checkout-session-completed.json"))
	cases := []struct {
		name string
		ev   event.Event
		want error // nil: ignored
	}{
		{"other shopify topic", webhook(t, "com.shopify.orders.create", shopDomain, "1", "a", paid), nil},
		{"other platform", webhook(t, "com.github.issues.opened", "https://github.com/acme/shop", "1", "b", []byte(`{}`)), nil},
		{"woocommerce on-hold", webhook(t, "com.woocommerce.order.updated", wooSite, "9", "c", []byte(`{"id":9,"status":"on-hold"}`)), nil},
		{"woocommerce completed", webhook(t, "com.woocommerce.order.updated", wooSite, "9", "c2", []byte(`{"id":9,"status":"completed"}`)), nil},
		{"shopify nothing to ship", webhook(t, "com.shopify.orders.paid", shopDomain, "5", "d",
			[]byte(`{"id":5,"line_items":[{"sku":"GIFT","quantity":1,"requires_shipping":false}]}`)), nil},
		{"not json", webhook(t, "com.shopify.orders.paid", shopDomain, "1", "e", []byte(`{"id":`)), ErrBadPayload},
		{"trailing data", webhook(t, "com.shopify.orders.paid", shopDomain, "1", "e2", []byte(`{"id":1} {}`)), ErrBadPayload},
		{"id of wrong type", webhook(t, "com.shopify.orders.paid", shopDomain, "1", "f", []byte(`{"id":{"a":1}}`)), ErrBadPayload},
		{"shopify no id", webhook(t, "com.shopify.orders.cancelled", shopDomain, "1", "g", []byte(`{"name":"#1"}`)), ErrNoOrderID},
		{"woocommerce no id", webhook(t, "com.woocommerce.order.created", wooSite, "1", "h", []byte(`{"status":"processing"}`)), ErrNoOrderID},
		{"stripe no session id", webhook(t, "com.stripe.checkout.session.completed", stripeSrc, "x", "i", []byte(`{"data":{"object":{"payment_status":"paid"}}}`)), ErrNoOrderID},
		{"stripe bad items", webhook(t, "com.stripe.checkout.session.completed", stripeSrc, "x", "j",
			[]byte(strings.Replace(stripe, `"TSHIRT-BLK-M:2, MUG-WHT"`, `"TSHIRT:two"`, 1))), ErrBadPayload},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := svc.Handle(t.Context(), c.ev)
			if c.want == nil {
				if err != nil {
					t.Fatalf("Handle = %v, want nil (ignored)", err)
				}
				return
			}
			if !consumers.IsPermanent(err) || !errors.Is(err, c.want) {
				t.Fatalf("Handle = %v, want a permanent %v", err, c.want)
			}
		})
	}
	all, err := svc.All(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 0 {
		t.Errorf("shipments = %+v, want none", all)
	}
	if p := readPublished(t, js); len(p) != 0 {
		t.Errorf("published %d events, want none", len(p))
	}
}

// TestConcurrent hands the same paid event to 20 handlers at once: the
// compare-and-set on one key, not a lock, makes exactly one of them create.
func TestConcurrent(t *testing.T) {
	svc, js := newService(t)
	run := func(evs []event.Event) {
		errs := make(chan error, len(evs))
		start := make(chan struct{})
		for _, ev := range evs {
			go func() {
				<-start
				errs <- svc.Handle(t.Context(), ev)
			}()
		}
		close(start)
		for range evs {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	}

	var paid []event.Event
	for range 20 {
		paid = append(paid, shopifyEvent(t, "paid", shopDomain, "ev-paid"))
	}
	run(paid)
	key := mustKey(t, "shopify", shopDomain, "820982911946154508")
	if sh := mustShipment(t, svc, key); sh.Status != StatusCreated {
		t.Errorf("status = %s", sh.Status)
	}
	if got := kinds(readPublished(t, js), key); !slices.Equal(got, []string{tCreated}) {
		t.Errorf("events = %v, want one created", got)
	}

	// Paid and fulfilled racing, with different CloudEvent ids.
	src := "race.myshopify.com"
	var mixed []event.Event
	for i := range 10 {
		mixed = append(mixed, shopifyEvent(t, "paid", src, "p"+string(rune('a'+i))), shopifyEvent(t, "fulfilled", src, "f"+string(rune('a'+i))))
	}
	run(mixed)
	key = mustKey(t, "shopify", src, "820982911946154508")
	if sh := mustShipment(t, svc, key); sh.Status != StatusFulfilled {
		t.Errorf("status = %s, want fulfilled", sh.Status)
	}
	if got, want := kinds(readPublished(t, js), key), []string{tCreated, tFulfilled}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

// TestCrash stops a handler between its KV write and its publish (it runs
// the KV step alone), then redelivers: the event is published exactly once.
func TestCrash(t *testing.T) {
	svc, js := newService(t)
	ctx := t.Context()

	t.Run("after the KV write", func(t *testing.T) {
		ev := shopifyEvent(t, "paid", "crash1.myshopify.com", "ev-1")
		o, _, err := decode(ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.transition(ctx, o); err != nil {
			t.Fatal(err)
		}
		if got := kinds(readPublished(t, js), o.key); len(got) != 0 {
			t.Fatalf("published before the flush: %v", got)
		}
		handle(t, svc, ev, ev) // the redelivery, and one more
		if got := kinds(readPublished(t, js), o.key); !slices.Equal(got, []string{tCreated}) {
			t.Errorf("events = %v, want one created", got)
		}
		if r, _, _ := svc.load(ctx, o.key); len(r.Outbox) != 0 {
			t.Errorf("outbox left: %+v", r.Outbox)
		}
	})

	t.Run("after the publish", func(t *testing.T) {
		ev := shopifyEvent(t, "paid", "crash2.myshopify.com", "ev-2")
		o, _, _ := decode(ev)
		rec, rev, err := svc.transition(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		// Publish, then fail to clear the outbox (a stale revision stands
		// in for the crash).
		if err := svc.flush(ctx, rec, rev+100); !errors.Is(err, errConflict) {
			t.Fatalf("flush with a stale revision = %v", err)
		}
		handle(t, svc, ev)
		if got := kinds(readPublished(t, js), o.key); !slices.Equal(got, []string{tCreated}) {
			t.Errorf("events = %v, want one created", got)
		}
	})

	t.Run("two transitions unpublished", func(t *testing.T) {
		src := "crash3.myshopify.com"
		paid, cancelled := shopifyEvent(t, "paid", src, "ev-3"), shopifyEvent(t, "cancelled", src, "ev-4")
		for _, ev := range []event.Event{paid, cancelled} {
			o, _, _ := decode(ev)
			if _, _, err := svc.transition(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		handle(t, svc, cancelled, paid, cancelled)
		key := mustKey(t, "shopify", src, "820982911946154508")
		if got, want := kinds(readPublished(t, js), key), []string{tCreated, tCancelled}; !slices.Equal(got, want) {
			t.Errorf("events = %v, want %v", got, want)
		}
	})
}

func TestNew(t *testing.T) {
	svc, js := newService(t)
	// Create-or-update: a second start on the same server works and sees
	// the same data.
	handle(t, svc, shopifyEvent(t, "paid", shopDomain, "a"))
	again, err := New(t.Context(), js, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if sh, err := again.All(t.Context()); err != nil || len(sh) != 1 {
		t.Fatalf("All after restart = %v, %v", sh, err)
	}
	info, err := js.Stream(t.Context(), "SHIPPING")
	if err != nil {
		t.Fatal(err)
	}
	c := info.CachedInfo().Config
	if !slices.Equal(c.Subjects, []string{"shipping.>"}) || c.Duplicates != 24*time.Hour {
		t.Errorf("SHIPPING config: subjects %v duplicates %s", c.Subjects, c.Duplicates)
	}

	_, err = New(t.Context(), js, Config{Bucket: "a.b", SubjectPrefix: "Ship>", Replicas: 9})
	for _, want := range []string{"bucket", "subject prefix", "replicas"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New with a bad config: %v, want it to name %s", err, want)
		}
	}
}

func assertShipment(t testing.TB, got, want Shipment) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("shipment\n got %s\nwant %s", g, w)
	}
}

func assertEvent(t testing.TB, p published, subject, typ, key string) {
	t.Helper()
	ev := p.Event
	if p.Subject != subject || ev.Type() != typ || ev.Subject() != key || ev.Source() != "/hookbridge/shipping" ||
		ev.ID() != key+":"+strings.TrimPrefix(typ, "com.hookbridge.shipping.shipment.") || ev.DataContentType() != event.ApplicationJSON {
		t.Errorf("event on %s = %s", p.Subject, ev)
	}
}

func decodeData(t testing.TB, ev event.Event, v any) {
	t.Helper()
	if err := ev.DataAs(v); err != nil {
		t.Fatal(err)
	}
}
