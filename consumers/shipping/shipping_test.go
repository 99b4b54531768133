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
	"github.com/hookbridge/hookbridge/consumers/commerce"
)

func TestShopify(t *testing.T) {
	svc, js := newService(t)
	key := mustKey(t, "shopify", shopDomain, "820982911946154508")

	paid := shopifyEvent(t, "paid", shopDomain, "ev-paid")
	handle(t, svc, paid)
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
		EventID:   paid.ID(),
	}
	assertShipment(t, got, want)

	fulfilled := shopifyEvent(t, "fulfilled", shopDomain, "ev-fulfilled")
	handle(t, svc, fulfilled)
	want.Status, want.FulfilledAt, want.EventID = StatusFulfilled, testNow, fulfilled.ID()
	want.Tracking = &Tracking{Company: "UPS", Number: "1Z2345", URL: "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1Z2345"}
	assertShipment(t, mustShipment(t, svc, key), want)

	all := readPublished(t, js)
	if len(all) != 2 {
		t.Fatalf("published %d events, want 2", len(all))
	}
	assertEvent(t, all[0], "shipping.shipment.created.shopify", tCreated, key)
	assertEvent(t, all[1], "shipping.shipment.fulfilled.shopify", tFulfilled, key)
	// Each event carries the shipment as it was right after its transition.
	var created, shipped Shipment
	decodeData(t, all[0].Event, &created)
	decodeData(t, all[1].Event, &shipped)
	if created.Status != StatusCreated || created.Tracking != nil || len(created.Items) != 2 {
		t.Errorf("created event data = %+v", created)
	}
	assertShipment(t, shipped, want)

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

	// Created while pending (order.created alone): nothing to ship yet.
	deliver(t, svc, wooOrder(t, "created", "pending"), wooSite, "1-aaa")
	assertNoShipment(t, svc, key, "pending order")
	// Processing: order.updated (ignored) and order.paid.
	processing := wooOrder(t, "updated", "processing")
	deliver(t, svc, processing, wooSite, "1-bbb")
	assertShipment(t, mustShipment(t, svc, key), Shipment{
		Key: key, Platform: "woocommerce", Source: wooSite, OrderID: "727", Reference: "727", Status: StatusCreated,
		// The shipping address has no phone: the customer's (billing) one.
		Address: Address{Name: "John Doe", Line1: "969 Market", Line2: "Apt 2", City: "San Francisco", Region: "CA",
			PostalCode: "94103", Country: "US", Phone: "(555) 555-5555"},
		Items: []Item{
			{SKU: "WOO-SINGLE-1", Name: "Woo Single #1", Quantity: 2},
			{SKU: "SYI-BLK-M", Name: "Ship Your Idea &ndash; Color: Black, Size: M Test", Quantity: 1},
		},
		CreatedAt: testNow,
		EventID:   canonical(t, processing, "paid", wooSite, "1-bbb").ID(),
	})
	// Another edit while processing sends order.paid again: a duplicate,
	// no new shipment.
	deliver(t, svc, processing, wooSite, "1-ccc")
	deliver(t, svc, wooOrder(t, "updated", "cancelled"), wooSite, "1-ddd")
	if sh := mustShipment(t, svc, key); sh.Status != StatusCancelled {
		t.Errorf("status = %s, want cancelled", sh.Status)
	}
	all := readPublished(t, js)
	if got, want := kinds(all, key), []string{tCreated, tCancelled}; !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	assertEvent(t, all[0], "shipping.shipment.created.woocommerce", tCreated, key)
	assertEvent(t, all[1], "shipping.shipment.cancelled.woocommerce", tCancelled, key)

	// refunded (order.refunded) cancels too; order.created already
	// processing creates.
	site2 := "https://other.example.test/"
	deliver(t, svc, wooOrder(t, "created", "processing"), site2, "2-aaa")
	refunded := strings.Replace(string(fixture(t, "woocommerce/order-cancelled.json")), `"status": "cancelled"`, `"status": "refunded"`, 1)
	deliver(t, svc, raw{"woocommerce", "com.woocommerce.order.updated", []byte(refunded)}, site2, "2-bbb")
	key2 := mustKey(t, "woocommerce", site2, "727")
	if got, want := kinds(readPublished(t, js), key2), []string{tCreated, tCancelled}; !slices.Equal(got, want) {
		t.Errorf("refunded: events = %v, want %v", got, want)
	}
}

// A completed WooCommerce order is order.paid + order.fulfilled, so it
// gives a fulfilled shipment, whether or not its processing delivery came
// first. (Read from WooCommerce's payload, completed used to be ignored.)
func TestWooCommerceCompleted(t *testing.T) {
	svc, js := newService(t)
	completed := wooOrder(t, "updated", "completed")

	deliver(t, svc, completed, wooSite, "1-eee")
	key := mustKey(t, "woocommerce", wooSite, "727")
	sh := mustShipment(t, svc, key)
	if sh.Status != StatusFulfilled || !sh.FulfilledAt.Equal(testNow) || len(sh.Items) != 2 || sh.Address.City != "San Francisco" {
		t.Errorf("completed order: shipment %+v", sh)
	}
	if got, want := kinds(readPublished(t, js), key), []string{tCreated, tFulfilled}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}

	// Processing, then completed: the same end.
	site2 := "https://other.example.test/"
	deliver(t, svc, wooOrder(t, "updated", "processing"), site2, "2-aaa")
	deliver(t, svc, completed, site2, "2-bbb")
	key2 := mustKey(t, "woocommerce", site2, "727")
	if sh := mustShipment(t, svc, key2); sh.Status != StatusFulfilled {
		t.Errorf("processing, completed: status %s", sh.Status)
	}
	if got, want := kinds(readPublished(t, js), key2), []string{tCreated, tFulfilled}; !slices.Equal(got, want) {
		t.Errorf("processing, completed: events = %v, want %v", got, want)
	}
}

func TestStripe(t *testing.T) {
	svc, js := newService(t)

	completed := stripeSession(t, "completed", "checkout-session-completed.json")
	deliver(t, svc, completed, stripeSrc, "evt_1")
	ev := canonical(t, completed, "paid", stripeSrc, "evt_1")
	key := mustKey(t, "stripe", stripeSrc, ev.Subject())
	assertShipment(t, mustShipment(t, svc, key), Shipment{
		// No Reference: the canonical order has no number for a Checkout
		// Session (its client_reference_id, "order-1042", is not read).
		Key: key, Platform: "stripe", Source: stripeSrc, OrderID: ev.Subject(), Status: StatusCreated,
		Address: Address{Name: "Jenny Rosen", Line1: "Torstraße 12", Line2: "Hinterhaus, 3. OG", City: "Berlin",
			PostalCode: "10119", Country: "DE", Phone: "+4930901820"},
		// No line items: the metadata's "items".
		Items:     []Item{{SKU: "TSHIRT-BLK-M", Quantity: 2}, {SKU: "MUG-WHT", Quantity: 1}},
		CreatedAt: testNow,
		EventID:   ev.ID(),
	})

	// API versions before 2025-03-31 put the address in shipping_details.
	legacy := stripeSession(t, "completed", "checkout-session-completed-legacy.json")
	deliver(t, svc, legacy, stripeSrc, "evt_2")
	lkey := mustKey(t, "stripe", stripeSrc, canonical(t, legacy, "paid", stripeSrc, "evt_2").Subject())
	if sh := mustShipment(t, svc, lkey); sh.Address.City != "Berlin" || sh.Items != nil || sh.Reference != "" {
		t.Errorf("legacy session shipment = %+v", sh)
	}

	// No shipping details and no items: nothing to ship, not an error.
	noShip := stripeSession(t, "completed", "checkout-session-completed-no-shipping.json")
	deliver(t, svc, noShip, stripeSrc, "evt_3")
	nkey := mustKey(t, "stripe", stripeSrc, canonical(t, noShip, "paid", stripeSrc, "evt_3").Subject())
	assertNoShipment(t, svc, nkey, "session without shipping")

	all := readPublished(t, js)
	if len(all) != 2 {
		t.Fatalf("published %d events, want 2", len(all))
	}
	assertEvent(t, all[0], "shipping.shipment.created.stripe", tCreated, key)
	assertEvent(t, all[1], "shipping.shipment.created.stripe", tCreated, lkey)
}

// A delayed payment method completes the session unpaid (order.created
// alone: nothing to ship); Stripe's async_payment_succeeded then is
// order.paid, and the order ships. (Read from Stripe's payload, only
// checkout.session.completed used to ship.)
func TestStripeDelayedPayment(t *testing.T) {
	svc, js := newService(t)
	key := mustKey(t, "stripe", stripeSrc, "cs_test_a1Dly9SepaQk3vXw7TnB2mHcR5pL8sJ4dF6gK1zY0uE3iO9aW2qN7bV5")
	deliver(t, svc, stripeSession(t, "completed", "checkout-session-completed-unpaid.json"), stripeSrc, "evt_1SPxA2LkdIwHu7ixQ8rT3mVd")
	assertNoShipment(t, svc, key, "unpaid session")

	deliver(t, svc, stripeSession(t, "async_payment_succeeded", "checkout-session-async-payment-succeeded.json"), stripeSrc, "evt_1SQ2kHLkdIwHu7ixTn5Wb8Ze")
	sh := mustShipment(t, svc, key)
	if sh.Status != StatusCreated || sh.Address.City != "Berlin" || len(sh.Items) != 2 {
		t.Errorf("after async_payment_succeeded: shipment %+v", sh)
	}
	if got := kinds(readPublished(t, js), key); !slices.Equal(got, []string{tCreated}) {
		t.Errorf("events = %v, want one created", got)
	}
}

// An order of a platform shipping has never heard of ships like any other:
// nothing in shipping names the platforms.
func TestUnknownPlatform(t *testing.T) {
	svc, js := newService(t)
	store := "stores/abc123"
	ev := orderOf(t, "paid", store, "bc-1", commerce.Order{
		ID: "118", Number: "118", Platform: "bigcommerce", Source: "hb-bigcommerce",
		LineItems:    []commerce.LineItem{{SKU: "BC-1", Name: "Thing", Quantity: 3}},
		ShippingAddr: &commerce.Address{Name: "Ann", Line1: "1 Road", City: "Austin", Country: "US"},
	})
	handle(t, svc, ev)
	key := mustKey(t, "bigcommerce", store, "118")
	if key != "bigcommerce.stores=2Fabc123.118" {
		t.Errorf("key = %q", key)
	}
	assertShipment(t, mustShipment(t, svc, key), Shipment{
		Key: key, Platform: "bigcommerce", Source: store, OrderID: "118", Reference: "118", Status: StatusCreated,
		Address:   Address{Name: "Ann", Line1: "1 Road", City: "Austin", Country: "US"},
		Items:     []Item{{SKU: "BC-1", Name: "Thing", Quantity: 3}},
		CreatedAt: testNow, EventID: ev.ID(),
	})
	all := readPublished(t, js)
	if len(all) != 1 {
		t.Fatalf("published %d events, want 1", len(all))
	}
	assertEvent(t, all[0], "shipping.shipment.created.bigcommerce", tCreated, key)
}

func TestIgnoredAndPermanent(t *testing.T) {
	svc, js := newService(t)
	no := false
	badItems := strings.Replace(string(fixture(t, "stripe/checkout-session-completed.json")), `"TSHIRT-BLK-M:2, MUG-WHT"`, `"TSHIRT:two"`, 1)
	onHold := strings.Replace(string(fixture(t, "woocommerce/order-pending.json")), `"status": "pending"`, `"status": "on-hold"`, 1)
	payment := orderEvent(t, "paid", shopDomain, "b", []byte(`{"id":"pi_1","platform":"stripe"}`))
	payment.SetType(commerce.Type(commerce.EntityPayment, commerce.ActionSucceeded))
	order := func(mod func(*commerce.Order)) commerce.Order {
		o := commerce.Order{ID: "5", Platform: "shopify", LineItems: []commerce.LineItem{{SKU: "A", Quantity: 1}}}
		mod(&o)
		return o
	}
	cases := []struct {
		name string
		evs  []event.Event
		want error // nil: ignored
	}{
		{"order.created", []event.Event{canonical(t, raw{"shopify", "com.shopify.orders.create", fixture(t, "shopify/orders-paid.json")}, "created", shopDomain, "a")}, nil},
		{"order.updated", []event.Event{canonical(t, raw{"shopify", "com.shopify.orders.updated", fixture(t, "shopify/orders-paid.json")}, "updated", shopDomain, "a2")}, nil},
		{"not an order", []event.Event{payment}, nil},
		{"woocommerce pending", events(t, wooOrder(t, "created", "pending"), wooSite, "c"), nil},
		{"woocommerce on-hold", events(t, raw{"woocommerce", "com.woocommerce.order.updated", []byte(onHold)}, wooSite, "c2"), nil},
		{"no line item requires shipping", []event.Event{orderOf(t, "paid", shopDomain, "d", order(func(o *commerce.Order) {
			o.LineItems = []commerce.LineItem{{SKU: "GIFT", Quantity: 1, RequiresShipping: &no}}
		}))}, nil},
		{"nothing to ship", []event.Event{orderOf(t, "fulfilled", shopDomain, "d2", order(func(o *commerce.Order) { o.LineItems = nil }))}, nil},
		{"not json", []event.Event{orderEvent(t, "paid", shopDomain, "e", []byte(`{"id":`))}, ErrBadPayload},
		{"trailing data", []event.Event{orderEvent(t, "paid", shopDomain, "e2", []byte(`{"id":"1","platform":"shopify"} {}`))}, ErrBadPayload},
		{"id of wrong type", []event.Event{orderEvent(t, "paid", shopDomain, "f", []byte(`{"id":{"a":1}}`))}, ErrBadPayload},
		{"no id", []event.Event{orderEvent(t, "cancelled", shopDomain, "g", []byte(`{"number":"#1","platform":"shopify"}`))}, ErrNoOrderID},
		{"no platform", []event.Event{orderEvent(t, "paid", shopDomain, "h", []byte(`{"id":"5","line_items":[{"sku":"A","quantity":1}]}`))}, ErrBadPayload},
		{"platform not a token", []event.Event{orderEvent(t, "paid", shopDomain, "h2", []byte(`{"id":"5","platform":"shop.ify"}`))}, ErrBadPayload},
		{"no source", []event.Event{orderEvent(t, "cancelled", "", "i", []byte(`{"id":"5","platform":"shopify"}`))}, ErrBadPayload},
		{"bad metadata items", []event.Event{canonical(t, raw{"stripe", "com.stripe.checkout.session.completed", []byte(badItems)}, "paid", stripeSrc, "j")}, ErrBadPayload},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if len(c.evs) == 0 {
				t.Fatal("no event to handle")
			}
			for _, ev := range c.evs {
				err := svc.Handle(t.Context(), ev)
				if c.want == nil {
					if err != nil {
						t.Fatalf("Handle(%s) = %v, want nil (ignored)", ev.Type(), err)
					}
					continue
				}
				if !consumers.IsPermanent(err) || !errors.Is(err, c.want) {
					t.Fatalf("Handle = %v, want a permanent %v", err, c.want)
				}
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

	// New creates COMMERCE, so that shipping may start before the
	// normaliser, and the consumer reads every platform's orders from it.
	if _, err := js.Stream(t.Context(), commerce.Stream); err != nil {
		t.Errorf("COMMERCE after New: %v", err)
	}
	if cc := ConsumerConfig(); cc.Name != "shipping" || cc.Stream != "COMMERCE" || !slices.Equal(cc.FilterSubjects, []string{"commerce.order.>"}) {
		t.Errorf("ConsumerConfig = %+v", cc)
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

// assertNoShipment fails the test unless key has no shipment.
func assertNoShipment(t testing.TB, svc *Service, key, what string) {
	t.Helper()
	if _, err := svc.Shipment(t.Context(), key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("%s: Shipment err = %v, want ErrNotFound", what, err)
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
