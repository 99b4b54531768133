package commerce_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// bigCommerceRaw is a BigCommerce delivery of scope (with "/" as ".") as
// the normaliser reads it: the bridge takes the time from created_at.
func bigCommerceRaw(scope string, body []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "bigcommerce", Source: "acme-bc", ID: "wh-golden",
		Type: "com.bigcommerce." + scope, EvSource: "stores/abc123", Subject: "250",
		Time: time.Unix(1561479335, 0), Data: body,
	}
}

// TestBigCommerceGolden maps every fixture in testdata/bigcommerce and
// compares the canonical events with its golden file (see checkGolden).
func TestBigCommerceGolden(t *testing.T) {
	for name, body := range fixtures(t, "bigcommerce") {
		t.Run(name, func(t *testing.T) { checkGolden(t, "bigcommerce", name, bigCommerceRaw(fixtureType(name), body)) })
	}
}

// bigCommerceStatusBody is a statusUpdated body for order 250 from prev
// to next ("" leaves the key out).
func bigCommerceStatusBody(prev, next string) []byte {
	status := map[string]json.RawMessage{}
	if prev != "" {
		status["previous_status_id"] = json.RawMessage(prev)
	}
	if next != "" {
		status["new_status_id"] = json.RawMessage(next)
	}
	b, _ := json.Marshal(map[string]any{
		"scope": "store/order/statusUpdated", "store_id": "1025646", "created_at": 1561479335,
		"data": map[string]any{"type": "order", "id": 250, "status": status},
	})
	return b
}

// A status change gives the milestones its new status means and its old
// one did not, with BigCommerce's documented meaning of each status id.
func TestBigCommerceStatus(t *testing.T) {
	cases := []struct {
		prev, next       string
		status, platform string
		actions          []string
	}{
		{"0", "11", commerce.OrderPaid, "Awaiting Fulfillment", []string{"paid"}},
		{"7", "11", commerce.OrderPaid, "Awaiting Fulfillment", []string{"paid"}},
		{"", "11", commerce.OrderPaid, "Awaiting Fulfillment", []string{"paid"}},
		{"0", "10", commerce.OrderFulfilled, "Completed", []string{"paid", "fulfilled"}},
		{"11", "10", commerce.OrderFulfilled, "Completed", []string{"fulfilled"}},
		{"11", "2", commerce.OrderFulfilled, "Shipped", []string{"fulfilled"}},
		{"10", "2", commerce.OrderFulfilled, "Shipped", nil},
		{"11", "5", commerce.OrderCancelled, "Cancelled", []string{"cancelled"}},
		{"2", "4", commerce.OrderRefunded, "Refunded", []string{"refunded"}},
		{"2", "14", commerce.OrderPartiallyRefunded, "Partially Refunded", nil},
		{"14", "4", commerce.OrderRefunded, "Refunded", []string{"refunded"}},
		{"0", "7", commerce.OrderPending, "Awaiting Payment", nil},
		{"0", "1", commerce.OrderPending, "Pending", nil},
		{"7", "12", commerce.OrderPending, "Manual Verification Required", nil},
		{"7", "6", commerce.OrderFailed, "Declined", nil},
		{"11", "9", "", "Awaiting Shipment", nil},
		{"11", "8", "", "Awaiting Pickup", nil},
		{"11", "3", "", "Partially Shipped", nil},
		{"11", "13", "", "Disputed", nil},
		{"11", "99", "", "99", nil},
	}
	for _, c := range cases {
		t.Run(c.prev+"->"+c.next, func(t *testing.T) {
			evs, err := commerce.Map(bigCommerceRaw("store.order.statusUpdated", bigCommerceStatusBody(c.prev, c.next)))
			if err != nil {
				t.Fatal(err)
			}
			if actions := idOnlyOrderActions(t, evs, "250", c.status, c.platform); !slices.Equal(actions, c.actions) {
				t.Errorf("actions %q, want %q", actions, c.actions)
			}
		})
	}
}

// A mapped scope whose body does not name what it is about is unusable;
// an unmapped scope is skipped whatever its body.
func TestBigCommerceUnusable(t *testing.T) {
	cases := []struct{ scope, body string }{
		{"store.order.created", `{"data":{"type":"order"}}`},
		{"store.order.updated", `{"data":{"type":"order","id":0}}`},
		{"store.order.created", `{"data":{"type":"order","id":2.5}}`},
		{"store.order.created", `[]`},
		{"store.order.statusUpdated", `{"data":{"type":"order","id":250}}`},
		{"store.order.statusUpdated", string(bigCommerceStatusBody("0", ""))},
		{"store.order.statusUpdated", string(bigCommerceStatusBody("0", `"11"`))},
		{"store.order.refund.created", `{"data":{"type":"order","id":250}}`},
		{"store.order.refund.created", `{"data":{"type":"order","id":250,"refund":{}}}`},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			evs, err := commerce.Map(bigCommerceRaw(c.scope, []byte(c.body)))
			if !errors.Is(err, commerce.ErrUnusable) || evs != nil {
				t.Errorf("Map = %d events, %v; want ErrUnusable", len(evs), err)
			}
		})
	}
	for _, scope := range []string{"store.order.archived", "store.order.message.created", "store.product.created", "store.order.transaction.created"} {
		evs, err := commerce.Map(bigCommerceRaw(scope, []byte(`not json`)))
		if err != nil || evs != nil {
			t.Errorf("%s: Map = %d events, %v; want none", scope, len(evs), err)
		}
	}
}

// FuzzBigCommerceMapping feeds the mapping any scope and body: it must
// never panic, and either refuse the body as unusable or give events a
// consumer can read, with nothing BigCommerce does not send.
func FuzzBigCommerceMapping(f *testing.F) {
	fuzzMappingWith(f, "bigcommerce", bigCommerceRaw, func(t *testing.T, c commerce.Canonical) {
		switch d := c.Data.(type) {
		case *commerce.Order:
			if d.ID == "" || c.Subject != d.ID || d.Platform != "bigcommerce" || d.Total != "" || d.LineItems != nil {
				t.Fatalf("%s.%s: %+v", c.Entity, c.Action, d)
			}
		case *commerce.Refund:
			if d.ID == "" || d.OrderID == "" || c.Subject != d.ID || d.Status != commerce.RefundPending {
				t.Fatalf("%s.%s: %+v", c.Entity, c.Action, d)
			}
		default:
			t.Fatalf("%s.%s: data %T", c.Entity, c.Action, c.Data)
		}
	}, nil)
}
