package commerce_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// The status a body shows decides the canonical status and the lifecycle
// events, whatever the topic; a partial refund shows only in the refunds.
func TestWooCommerceStatus(t *testing.T) {
	refunds := []any{map[string]any{"id": 726, "reason": "", "total": "-10.00"}}
	cases := []struct {
		topic, status string
		refunds       []any
		want          string   // Order.Status
		actions       []string // all events, in order
	}{
		{"order.created", "pending", nil, commerce.OrderPending, []string{"created"}},
		{"order.updated", "pending", nil, commerce.OrderPending, []string{"updated"}},
		{"order.updated", "on-hold", nil, commerce.OrderPending, []string{"updated"}},
		{"order.created", "processing", nil, commerce.OrderPaid, []string{"created", "paid"}},
		{"order.updated", "processing", nil, commerce.OrderPaid, []string{"updated", "paid"}},
		{"order.updated", "processing", refunds, commerce.OrderPartiallyRefunded, []string{"updated", "paid"}},
		{"order.updated", "completed", nil, commerce.OrderFulfilled, []string{"updated", "paid", "fulfilled"}},
		{"order.updated", "completed", refunds, commerce.OrderPartiallyRefunded, []string{"updated", "paid", "fulfilled"}},
		{"order.restored", "completed", nil, commerce.OrderFulfilled, []string{"updated", "paid", "fulfilled"}},
		{"order.updated", "cancelled", nil, commerce.OrderCancelled, []string{"updated", "cancelled"}},
		{"order.created", "cancelled", nil, commerce.OrderCancelled, []string{"created", "cancelled"}},
		{"order.updated", "refunded", nil, commerce.OrderRefunded, []string{"updated", "refunded"}},
		{"order.updated", "refunded", refunds, commerce.OrderRefunded, []string{"updated", "refunded"}},
		{"order.updated", "failed", nil, commerce.OrderFailed, []string{"updated"}},
		{"order.updated", "trash", nil, "", []string{"updated"}},
		{"order.updated", "shipped", nil, "", []string{"updated"}}, // a plugin's own status
		{"order.updated", "", nil, "", []string{"updated"}},
		{"order.created", "checkout-draft", nil, "", nil},
		{"order.updated", "checkout-draft", nil, "", nil},
		{"order.created", "draft", nil, "", nil},
		{"order.created", "auto-draft", nil, "", nil},
		{"order.created", "new", nil, "", nil},
	}
	for _, c := range cases {
		t.Run(c.topic+"/"+c.status, func(t *testing.T) {
			body := wooOrder(t, map[string]any{"status": c.status, "refunds": c.refunds})
			actions, order := wooMapOrder(t, c.topic, body)
			if !slices.Equal(actions, c.actions) {
				t.Fatalf("actions %q, want %q", actions, c.actions)
			}
			if order == nil {
				return
			}
			if order.Status != c.want || order.PlatformStatus != c.status {
				t.Errorf("status %q (platform %q), want %q (%q)", order.Status, order.PlatformStatus, c.want, c.status)
			}
		})
	}
}

// A created, paid or fulfilled event carries the time of that change, so
// every delivery that repeats it says the same; the others, and those
// whose time the body lacks, carry the time of the order's last change.
func TestWooCommerceTimes(t *testing.T) {
	const (
		created   = "2017-03-22T19:28:02"
		modified  = "2017-03-22T19:30:35"
		paid      = "2017-03-22T19:28:08"
		completed = "2017-03-22T19:30:30"
	)
	at := func(s string) time.Time { tm, _ := time.Parse("2006-01-02T15:04:05", s); return tm }
	cases := []struct {
		name, topic string
		set         map[string]any
		want        map[string]time.Time // by action
	}{
		{"created", "order.created", map[string]any{"status": "processing"},
			map[string]time.Time{"created": at(created), "paid": at(paid)}},
		{"created, no creation date", "order.created", map[string]any{"status": "pending", "date_created_gmt": nil},
			map[string]time.Time{"created": at(modified)}},
		{"dates set", "order.updated", map[string]any{"status": "completed", "date_completed_gmt": completed},
			map[string]time.Time{"updated": at(modified), "paid": at(paid), "fulfilled": at(completed)}},
		// Sent again with every later delivery: a lifecycle event's time must not move with them.
		{"no payment or completion date", "order.updated", map[string]any{"status": "completed", "date_paid_gmt": nil, "date_completed_gmt": nil},
			map[string]time.Time{"updated": at(modified), "paid": at(created), "fulfilled": at(created)}},
		{"no payment date", "order.updated", map[string]any{"status": "completed", "date_paid_gmt": nil, "date_completed_gmt": completed},
			map[string]time.Time{"updated": at(modified), "paid": at(completed), "fulfilled": at(completed)}},
		{"no modification date", "order.updated", map[string]any{"status": "cancelled", "date_modified_gmt": wooDelete},
			map[string]time.Time{"updated": at(created), "cancelled": at(created)}},
		{"no date at all", "order.updated", map[string]any{"status": "refunded", "date_modified_gmt": "", "date_created_gmt": nil},
			map[string]time.Time{"updated": {}, "refunded": {}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set := map[string]any{"date_modified_gmt": modified}
			for k, v := range c.set {
				set[k] = v
			}
			evs, err := commerce.Map(wooRaw(c.topic, wooOrder(t, set)))
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != len(c.want) {
				t.Fatalf("%d events, want %d", len(evs), len(c.want))
			}
			for _, ev := range evs {
				want, ok := c.want[ev.Action]
				if !ok || !ev.Time.Equal(want) || ev.Time.Location() != time.UTC {
					t.Errorf("%s at %v, want %v (UTC)", ev.Action, ev.Time, want)
				}
			}
		})
	}
}

// Amounts are kept exactly as WooCommerce writes them, in any currency's
// decimals; currency codes are upper case.
func TestWooCommerceMoney(t *testing.T) {
	type money struct{ Currency, Total, Tax, Shipping, Discount string }
	cases := []struct {
		name string
		set  map[string]any
		want money
	}{
		{"as published", nil,
			money{Currency: "USD", Total: "29.35", Tax: "1.35", Shipping: "10.00", Discount: "0.00"}},
		{"zero-decimal VND", map[string]any{"currency": "VND", "total": "17000000", "total_tax": "0", "shipping_total": "0", "discount_total": "0"},
			money{Currency: "VND", Total: "17000000", Tax: "0", Shipping: "0", Discount: "0"}},
		{"zero-decimal JPY, lower case", map[string]any{"currency": "jpy", "total": "1500", "total_tax": "136", "shipping_total": "500", "discount_total": "100"},
			money{Currency: "JPY", Total: "1500", Tax: "136", Shipping: "500", Discount: "100"}},
		{"three-decimal KWD", map[string]any{"currency": "KWD", "total": "12.345", "total_tax": "0.125", "shipping_total": "1.500", "discount_total": "0.000"},
			money{Currency: "KWD", Total: "12.345", Tax: "0.125", Shipping: "1.500", Discount: "0.000"}},
		{"trailing zeros and a negative amount kept", map[string]any{"total": "29.350", "discount_total": "-1.00"},
			money{Currency: "USD", Total: "29.350", Tax: "1.35", Shipping: "10.00", Discount: "-1.00"}},
		{"a JSON number is its literal", map[string]any{"total": json.Number("29.35"), "total_tax": json.Number("1")},
			money{Currency: "USD", Total: "29.35", Tax: "1", Shipping: "10.00", Discount: "0.00"}},
		{"absent, null and empty are absent", map[string]any{"currency": wooDelete, "total": wooDelete, "total_tax": nil, "shipping_total": ""},
			money{Discount: "0.00"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, o := wooMapOrder(t, "order.updated", wooOrder(t, c.set))
			got := money{Currency: o.Currency, Total: o.Total, Tax: o.Tax, Shipping: o.Shipping, Discount: o.Discount}
			if got != c.want {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// The subtotal and unit prices the REST API does not write are computed
// exactly, never through a float, or left absent.
func TestWooCommerceSubtotalAndUnitPrice(t *testing.T) {
	item := func(subtotal any, qty any) map[string]any {
		it := map[string]any{"id": 1, "name": "x", "quantity": qty, "subtotal": subtotal}
		if subtotal == wooDelete {
			delete(it, "subtotal")
		}
		return it
	}
	cases := []struct {
		name     string
		items    any
		subtotal commerce.Money
		prices   []commerce.Money
	}{
		{"mixed decimals", []any{item("6.00", 2), item("12.5", 1)}, "18.50", []commerce.Money{"3.00", "12.5"}},
		{"inexact division", []any{item("10.00", 3)}, "10.00", []commerce.Money{""}},
		{"below the last decimal", []any{item("0.01", 2)}, "0.01", []commerce.Money{""}},
		{"zero-decimal", []any{item("17000000", 4)}, "17000000", []commerce.Money{"4250000"}},
		{"three-decimal", []any{item("1.125", 3), item("0.005", 1)}, "1.130", []commerce.Money{"0.375", "0.005"}},
		{"negative", []any{item("-2.00", 1), item("1.000", 1)}, "-1.000", []commerce.Money{"-2.00", "1.000"}},
		{"beyond float64", []any{item("99999999999999999999.99", 1), item("99999999999999999999.99", 3)},
			"199999999999999999999.98", []commerce.Money{"99999999999999999999.99", "33333333333333333333.33"}},
		{"quantity zero", []any{item("5.00", 0)}, "5.00", []commerce.Money{""}},
		{"one subtotal missing", []any{item("5.00", 1), item(wooDelete, 1)}, "", []commerce.Money{"5.00", ""}},
		{"one subtotal empty", []any{item("5.00", 1), item("", 1)}, "", []commerce.Money{"5.00", ""}},
		{"no items", []any{}, "", nil},
		{"items null", nil, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, o := wooMapOrder(t, "order.updated", wooOrder(t, map[string]any{"line_items": c.items}))
			if o.Subtotal != c.subtotal {
				t.Errorf("subtotal %q, want %q", o.Subtotal, c.subtotal)
			}
			if o.LineItems == nil {
				t.Fatal("line_items is null, want a list")
			}
			var prices []commerce.Money
			for _, li := range o.LineItems {
				prices = append(prices, li.UnitPrice)
			}
			if !slices.Equal(prices, c.prices) {
				t.Errorf("unit prices %q, want %q", prices, c.prices)
			}
		})
	}
}

// A guest (customer_id 0) has no customer id; an empty shipping address
// is no address.
func TestWooCommerceCustomerAndAddress(t *testing.T) {
	_, o := wooMapOrder(t, "order.updated", wooOrder(t, map[string]any{"customer_id": 26}))
	if o.Customer == nil || *o.Customer != (commerce.Customer{ID: "26", Email: "john.doe@example.com", Phone: "(555) 555-5555"}) {
		t.Errorf("customer %+v", o.Customer)
	}
	empty := map[string]any{"first_name": "", "last_name": "", "company": "", "address_1": "", "address_2": "",
		"city": "", "state": "", "postcode": "", "country": "", "phone": ""}
	_, o = wooMapOrder(t, "order.updated", wooOrder(t, map[string]any{"customer_id": 0, "billing": map[string]any{"email": ""}, "shipping": empty}))
	if o.Customer != nil || o.ShippingAddr != nil {
		t.Errorf("guest without email or address: customer %+v, address %+v", o.Customer, o.ShippingAddr)
	}
	_, o = wooMapOrder(t, "order.updated", wooOrder(t, map[string]any{"shipping": map[string]any{"last_name": "Silva", "phone": "(11) 1111-1111"}}))
	if o.ShippingAddr == nil || *o.ShippingAddr != (commerce.Address{Name: "Silva", Phone: "(11) 1111-1111"}) {
		t.Errorf("address %+v", o.ShippingAddr)
	}
}

// A body of a mapped topic that cannot be an order is unusable, with the
// reason; the topics that are not mapped never read the body.
func TestWooCommerceUnusable(t *testing.T) {
	bodies := map[string][]byte{
		"not JSON":       []byte("webhook_id=12"),
		"empty":          nil,
		"a list":         []byte(`[{"id":727}]`),
		"null":           []byte("null"),
		"legacy v3 wrap": []byte(`{"order":{"id":727,"status":"processing"}}`),
	}
	for name, set := range map[string]map[string]any{
		"no id":                  {"id": wooDelete},
		"id 0":                   {"id": 0},
		"id blank":               {"id": " "},
		"id negative":            {"id": -727},
		"id fraction":            {"id": json.Number("727.5")},
		"id object":              {"id": map[string]any{}},
		"number true":            {"number": true},
		"customer id negative":   {"customer_id": -1},
		"status number":          {"status": 1},
		"currency number":        {"currency": 840},
		"total exponent":         {"total": "2.935e1"},
		"total exponent literal": {"total": json.Number("2.935e1")},
		"total comma":            {"total": "29,35"},
		"total spaced":           {"total": " 29.35"},
		"total plus":             {"total": "+29.35"},
		"total no whole part":    {"total": ".35"},
		"total no fraction":      {"total": "29."},
		"total words":            {"total": "free"},
		"total true":             {"total": true},
		"total object":           {"total": map[string]any{"amount": "29.35"}},
		"time with a space":      {"date_modified_gmt": "2017-03-22 19:28:08"},
		"time with a zone":       {"date_modified_gmt": "2017-03-22T19:28:08Z"},
		"time number":            {"date_paid_gmt": 1490210888},
		"billing string":         {"billing": "john.doe@example.com"},
		"shipping list":          {"shipping": []any{}},
		"line items object":      {"line_items": map[string]any{}},
		"quantity fraction":      {"line_items": []any{map[string]any{"id": 1, "quantity": 1.5}}},
		"quantity string":        {"line_items": []any{map[string]any{"id": 1, "quantity": "2"}}},
		"line subtotal exponent": {"line_items": []any{map[string]any{"id": 1, "quantity": 1, "subtotal": "1e2"}}},
		"refunds object":         {"refunds": map[string]any{}},
	} {
		bodies[name] = wooOrder(t, set)
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			evs, err := commerce.Map(wooRaw("order.updated", body))
			if !errors.Is(err, commerce.ErrUnusable) || evs != nil {
				t.Fatalf("Map = %d events, %v; want ErrUnusable", len(evs), err)
			}
		})
	}
	for _, typ := range []string{"order.deleted", "product.created", "product.updated", "customer.created",
		"coupon.created", "action.woocommerce_add_to_cart"} {
		raw := wooRaw(typ, []byte("not JSON"))
		if evs, err := commerce.Map(raw); evs != nil || err != nil {
			t.Errorf("%s: Map = %v, %v; want skipped", typ, evs, err)
		}
	}
	raw := wooRaw("order.created", wooOrder(t, nil))
	raw.Type = "com.shopify.orders.create"
	if evs, err := commerce.Map(raw); evs != nil || err != nil {
		t.Errorf("another platform's type: Map = %v, %v; want skipped", evs, err)
	}
}
