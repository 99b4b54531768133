package shipping

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// step is one webhook of an out-of-order scenario, named for the oracle.
type step struct {
	name string // P (paid), C (cancelled), F (fulfilled), N (no-op)
	ev   func(source string) event.Event
}

// permutations returns every order of 0..n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := slices.Insert(slices.Clone(p), i, n-1)
			out = append(out, q)
		}
	}
	return out
}

// first is the index in order of the first step named one of names, or
// len(order).
func first(order []string, names ...string) int {
	for i, n := range order {
		if slices.Contains(names, n) {
			return i
		}
	}
	return len(order)
}

// TestOutOfOrder runs every permutation of small sets of webhooks (with
// redeliveries and re-sends under a new CloudEvent id) through Handle and
// checks the final state and the published events against the table in
// the package doc: the state depends only on which events arrived (except
// for the pair cancelled + fulfilled, where the first wins), and each
// shipping event is published at most once.
func TestOutOfOrder(t *testing.T) {
	svc, js := newService(t)
	shop := func(topic, id string) func(string) event.Event {
		return func(src string) event.Event { return shopifyEvent(t, topic, src, id) }
	}
	// One canonical event of a WooCommerce delivery: a delivery gives
	// order.created or order.updated, then its status's events.
	woo := func(topic, status, action, id string) func(string) event.Event {
		return func(src string) event.Event { return canonical(t, wooOrder(t, topic, status), action, src, id) }
	}
	stripe := func(typ, file, action, id string) func(string) event.Event {
		return func(src string) event.Event { return canonical(t, stripeSession(t, typ, file), action, src, id) }
	}
	type expect struct {
		status Status // "" means no shipment at all
		events []string
	}
	sets := []struct {
		name     string
		platform string
		orderID  string
		steps    []step
		want     func(order []string) expect
	}{{
		name: "shopify paid twice, re-sent, cancelled", platform: "shopify", orderID: "820982911946154508",
		steps: []step{{"P", shop("paid", "e1")}, {"P", shop("paid", "e1")}, {"P", shop("paid", "e2")}, {"C", shop("cancelled", "e3")}},
		want: func(o []string) expect {
			if first(o, "P") < first(o, "C") {
				return expect{StatusCancelled, []string{tCreated, tCancelled}}
			}
			return expect{StatusCancelled, nil} // the tombstone
		},
	}, {
		name: "shopify paid twice, re-sent, fulfilled", platform: "shopify", orderID: "820982911946154508",
		steps: []step{{"P", shop("paid", "e1")}, {"P", shop("paid", "e1")}, {"P", shop("paid", "e2")}, {"F", shop("fulfilled", "e3")}},
		want:  func([]string) expect { return expect{StatusFulfilled, []string{tCreated, tFulfilled}} },
	}, {
		name: "shopify paid, cancelled, fulfilled", platform: "shopify", orderID: "820982911946154508",
		steps: []step{{"P", shop("paid", "e1")}, {"C", shop("cancelled", "e2")}, {"F", shop("fulfilled", "e3")}},
		want: func(o []string) expect {
			switch {
			case first(o, "F") < first(o, "C"):
				return expect{StatusFulfilled, []string{tCreated, tFulfilled}}
			case first(o, "P") < first(o, "C"):
				return expect{StatusCancelled, []string{tCreated, tCancelled}}
			}
			return expect{StatusCancelled, nil}
		},
	}, {
		name: "woocommerce created pending, processing twice, cancelled", platform: "woocommerce", orderID: "727",
		steps: []step{{"N", woo("created", "pending", "created", "1-a")}, {"P", woo("updated", "processing", "paid", "1-b")},
			{"P", woo("updated", "processing", "paid", "1-c")}, {"C", woo("updated", "cancelled", "cancelled", "1-d")}},
		want: func(o []string) expect {
			if first(o, "P") < first(o, "C") {
				return expect{StatusCancelled, []string{tCreated, tCancelled}}
			}
			return expect{StatusCancelled, nil}
		},
	}, {
		name: "woocommerce processing before created", platform: "woocommerce", orderID: "727",
		steps: []step{{"N", woo("created", "pending", "created", "1-a")}, {"P", woo("updated", "processing", "paid", "1-b")}, {"P", woo("updated", "processing", "paid", "1-b")}},
		want:  func([]string) expect { return expect{StatusCreated, []string{tCreated}} },
	}, {
		// completed is order.paid + order.fulfilled: in any order with the
		// processing delivery's order.paid, one fulfilled shipment.
		name: "woocommerce processing, completed", platform: "woocommerce", orderID: "727",
		steps: []step{{"P", woo("updated", "processing", "paid", "1-b")}, {"P", woo("updated", "completed", "paid", "1-c")},
			{"F", woo("updated", "completed", "fulfilled", "1-c")}, {"N", woo("updated", "completed", "updated", "1-c")}},
		want: func([]string) expect { return expect{StatusFulfilled, []string{tCreated, tFulfilled}} },
	}, {
		name: "stripe unpaid, async payment succeeded twice", platform: "stripe", orderID: "cs_test_a1Dly9SepaQk3vXw7TnB2mHcR5pL8sJ4dF6gK1zY0uE3iO9aW2qN7bV5",
		steps: []step{{"N", stripe("completed", "checkout-session-completed-unpaid.json", "created", "evt_1")},
			{"P", stripe("async_payment_succeeded", "checkout-session-async-payment-succeeded.json", "paid", "evt_2")},
			{"P", stripe("async_payment_succeeded", "checkout-session-async-payment-succeeded.json", "paid", "evt_2")}},
		want: func([]string) expect { return expect{StatusCreated, []string{tCreated}} },
	}}

	for si, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			perms := permutations(len(set.steps))
			orders := make([][]string, len(perms))
			keys := make([]string, len(perms))
			// Each permutation is its own order: a source of its own.
			for pi, perm := range perms {
				src := fmt.Sprintf("perm-%d-%d.example.test", si, pi)
				keys[pi] = mustKey(t, set.platform, src, set.orderID)
				for _, i := range perm {
					orders[pi] = append(orders[pi], set.steps[i].name)
					handle(t, svc, set.steps[i].ev(src))
				}
			}
			all := readPublished(t, js)
			for pi := range perms {
				want := set.want(orders[pi])
				sh, err := svc.Shipment(t.Context(), keys[pi])
				if want.status == "" {
					if err == nil {
						t.Errorf("%s: shipment %+v, want none", strings.Join(orders[pi], ""), sh)
					}
				} else if err != nil || sh.Status != want.status {
					t.Errorf("%s: status %q (%v), want %q", strings.Join(orders[pi], ""), sh.Status, err, want.status)
				}
				if got := kinds(all, keys[pi]); !slices.Equal(got, want.events) && !(len(got) == 0 && len(want.events) == 0) {
					t.Errorf("%s: events %v, want %v", strings.Join(orders[pi], ""), got, want.events)
				}
			}
		})
	}
}

func TestApplyTable(t *testing.T) {
	o := func(a action) order {
		return order{action: a, platform: "shopify", source: "s", id: "1", key: "shopify.s.1", eventID: "e"}
	}
	at := func(s Status) *record { return &record{Shipment: Shipment{Key: "shopify.s.1", Status: s}} }
	cases := []struct {
		cur     *record
		act     action
		status  Status
		changed bool
		emitted []Status
	}{
		{nil, actPaid, StatusCreated, true, []Status{StatusCreated}},
		{nil, actCancelled, StatusCancelled, true, nil},
		{nil, actFulfilled, StatusFulfilled, true, []Status{StatusCreated, StatusFulfilled}},
		{at(StatusCreated), actPaid, StatusCreated, false, nil},
		{at(StatusCreated), actCancelled, StatusCancelled, true, []Status{StatusCancelled}},
		{at(StatusCreated), actFulfilled, StatusFulfilled, true, []Status{StatusFulfilled}},
		{at(StatusCancelled), actPaid, StatusCancelled, false, nil},
		{at(StatusCancelled), actCancelled, StatusCancelled, false, nil},
		{at(StatusCancelled), actFulfilled, StatusCancelled, false, nil},
		{at(StatusFulfilled), actPaid, StatusFulfilled, false, nil},
		{at(StatusFulfilled), actCancelled, StatusFulfilled, false, nil},
		{at(StatusFulfilled), actFulfilled, StatusFulfilled, false, nil},
	}
	for _, c := range cases {
		from := Status("(absent)")
		if c.cur != nil {
			from = c.cur.Status
		}
		next, changed, _, err := apply(c.cur, o(c.act), testNow)
		if err != nil {
			t.Fatal(err)
		}
		var emitted []Status
		for _, e := range next.Outbox {
			emitted = append(emitted, e.Kind)
		}
		if next.Status != c.status || changed != c.changed || !slices.Equal(emitted, c.emitted) {
			t.Errorf("%s + %s = %s changed=%v emitted %v; want %s changed=%v emitted %v",
				from, c.act, next.Status, changed, emitted, c.status, c.changed, c.emitted)
		}
	}
}

// TestDecode checks the rules that turn a canonical order into a shipment's
// contents, the same for every platform; each case changes one field of a
// valid order.
func TestDecode(t *testing.T) {
	yes, no := true, false
	valid := func() commerce.Order {
		return commerce.Order{
			ID: "42", Number: "#42", Platform: "someshop",
			LineItems: []commerce.LineItem{
				{SKU: "A", Name: "Ay", Quantity: 1, RequiresShipping: &yes},
				{SKU: "B", Name: "Bee", Quantity: 2}, // the platform does not say: shipped
			},
			Customer:     &commerce.Customer{Email: "c@example.test", Phone: "+1 555"},
			ShippingAddr: &commerce.Address{Name: "Cy", Line1: "1 Road", Country: "US", Phone: "+1 777"},
		}
	}
	items := []Item{{SKU: "A", Name: "Ay", Quantity: 1}, {SKU: "B", Name: "Bee", Quantity: 2}}
	addr := Address{Name: "Cy", Line1: "1 Road", Country: "US", Phone: "+1 777"}
	cases := []struct {
		name     string
		action   string
		mod      func(*commerce.Order)
		items    []Item
		address  Address
		tracking *Tracking
		ignore   string
	}{
		{"as it is", "paid", func(*commerce.Order) {}, items, addr, nil, ""},
		{"requires_shipping false is left out", "paid", func(o *commerce.Order) { o.LineItems[0].RequiresShipping = &no },
			items[1:], addr, nil, ""},
		{"no line item requires shipping", "fulfilled", func(o *commerce.Order) {
			o.LineItems[0].RequiresShipping, o.LineItems[1].RequiresShipping = &no, &no
		}, nil, Address{}, nil, "no line item requires shipping"},
		{"a cancel needs nothing to ship", "cancelled", func(o *commerce.Order) {
			o.LineItems[0].RequiresShipping, o.LineItems[1].RequiresShipping = &no, &no
		}, nil, addr, nil, ""},
		{"no phone on the address: the customer's", "paid", func(o *commerce.Order) { o.ShippingAddr.Phone = "" },
			items, Address{Name: "Cy", Line1: "1 Road", Country: "US", Phone: "+1 555"}, nil, ""},
		{"line items, no address: a shipment, no phone", "paid", func(o *commerce.Order) { o.ShippingAddr = nil }, items, Address{}, nil, ""},
		{"no phone anywhere", "paid", func(o *commerce.Order) { o.ShippingAddr.Phone, o.Customer = "", nil },
			items, Address{Name: "Cy", Line1: "1 Road", Country: "US"}, nil, ""},
		{"no line items: metadata items", "paid", func(o *commerce.Order) {
			o.LineItems, o.Metadata = nil, map[string]string{"items": "X:3, Y"}
		}, []Item{{SKU: "X", Quantity: 3}, {SKU: "Y", Quantity: 1}}, addr, nil, ""},
		{"line items win over metadata items", "paid", func(o *commerce.Order) { o.Metadata = map[string]string{"items": "X:3"} },
			items, addr, nil, ""},
		{"no items, an address", "paid", func(o *commerce.Order) { o.LineItems = nil }, nil, addr, nil, ""},
		{"metadata items, no address", "paid", func(o *commerce.Order) {
			o.LineItems, o.ShippingAddr, o.Metadata = nil, nil, map[string]string{"items": "X"}
		}, nil, Address{}, nil, "nothing to ship: no line items and no shipping address"},
		{"no items, no address", "fulfilled", func(o *commerce.Order) { o.LineItems, o.ShippingAddr = nil, nil },
			nil, Address{}, nil, "nothing to ship: no line items and no shipping address"},
		{"tracking: the last one", "fulfilled", func(o *commerce.Order) {
			o.Tracking = []commerce.Tracking{{Company: "UPS", Number: "1Z1"}, {Company: "DHL", Number: "JD2", URL: "https://dhl.example/JD2"}}
		}, items, addr, &Tracking{Company: "DHL", Number: "JD2", URL: "https://dhl.example/JD2"}, ""},
		{"created", "created", func(*commerce.Order) {}, nil, Address{}, nil, "order.created needs no shipping action"},
		{"updated", "updated", func(*commerce.Order) {}, nil, Address{}, nil, "order.updated needs no shipping action"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			co := valid()
			c.mod(&co)
			ev := orderOf(t, c.action, "shop.example", "d1", co)
			o, ignore, err := decode(ev)
			if err != nil || ignore != c.ignore {
				t.Fatalf("decode = ignore %q, %v; want ignore %q", ignore, err, c.ignore)
			}
			if ignore != "" {
				return
			}
			if !slices.Equal(o.items, c.items) || o.address != c.address || !reflect.DeepEqual(o.tracking, c.tracking) {
				t.Errorf("decode = items %v address %+v tracking %+v; want %v %+v %+v", o.items, o.address, o.tracking, c.items, c.address, c.tracking)
			}
			if o.reference != "#42" || o.id != "42" || o.platform != "someshop" || o.source != "shop.example" || o.eventID != ev.ID() {
				t.Errorf("decode = %+v", o)
			}
		})
	}
}
