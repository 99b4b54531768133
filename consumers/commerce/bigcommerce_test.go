package commerce_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	for _, scope := range []string{"store.order.archived", "store.order.message.created", "store.product.created", "store.order.transaction"} {
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
		case *commerce.Payment:
			if d.ID == "" || d.OrderID == "" || c.Subject != d.ID || d.Status != c.Action || d.Amount != "" || d.Currency != "" || d.Method != "" {
				t.Fatalf("%s.%s: %+v", c.Entity, c.Action, d)
			}
		default:
			t.Fatalf("%s.%s: data %T", c.Entity, c.Action, c.Data)
		}
	}, nil)
}

// bigCommerceTransactionBody is a transaction body for order 250 of the
// published example's shape, with transaction_type typ,
// transaction_status status and result.type result (each left out when
// "").
func bigCommerceTransactionBody(typ, status, result string) []byte {
	data := map[string]any{"type": "transaction", "order_id": "250", "transaction_id": "176342342"}
	if typ != "" {
		data["transaction_type"] = typ
	}
	if status != "" {
		data["transaction_status"] = status
	}
	if result != "" {
		data["result"] = map[string]string{"type": result}
	}
	b, _ := json.Marshal(map[string]any{
		"scope": "store/order/transaction/created", "store_id": "1025646", "created_at": 1561479335, "data": data,
	})
	return b
}

// A transaction means a payment event when it took money or failed to:
// a complete, successful purchase or capture succeeded; one in error, or a
// failed authorization, failed; anything else is not a payment's outcome.
func TestBigCommerceTransaction(t *testing.T) {
	cases := []struct {
		typ, status, result string
		action              string // "" for no event
	}{
		{"capture", "complete", "success", commerce.ActionSucceeded},
		{"purchase", "complete", "success", commerce.ActionSucceeded},
		{"purchase", "complete", "", commerce.ActionSucceeded},
		{"purchase", "ok", "", commerce.ActionSucceeded},
		{"PURCHASE", "COMPLETE", "SUCCESS", commerce.ActionSucceeded},
		{"capture", "error", "", commerce.ActionFailed},
		{"capture", "complete", "error", commerce.ActionFailed},
		{"purchase", "declined", "", commerce.ActionFailed},
		{"purchase", "complete", "failure", commerce.ActionFailed},
		{"purchase", "failed", "error", commerce.ActionFailed},
		{"authorization", "error", "", commerce.ActionFailed},
		{"authorization", "complete", "success", ""},
		{"purchase", "complete", "pending", ""},
		{"purchase", "pending", "", ""},
		{"purchase", "", "", ""},
		{"purchase", "complete", "unknown", ""},
		{"refund", "complete", "success", ""},
		{"refund", "error", "", ""},
		{"void", "complete", "success", ""},
		{"void", "error", "", ""},
		{"pending", "complete", "", ""},
		{"settled", "complete", "success", ""},
		{"", "complete", "success", ""},
		{"chargeback", "complete", "success", ""},
	}
	for _, c := range cases {
		t.Run(c.typ+"/"+c.status+"/"+c.result, func(t *testing.T) {
			evs, err := commerce.Map(bigCommerceRaw("store.order.transaction.created", bigCommerceTransactionBody(c.typ, c.status, c.result)))
			if err != nil {
				t.Fatal(err)
			}
			if c.action == "" {
				if evs != nil {
					t.Fatalf("events %+v, want none", evs)
				}
				return
			}
			if len(evs) != 1 {
				t.Fatalf("%d events, want one %s", len(evs), c.action)
			}
			e := evs[0]
			want := commerce.Payment{
				ID: "176342342", OrderID: "250", Platform: "bigcommerce", Source: "acme-bc",
				Status: c.action, CreatedAt: "2019-06-25T16:15:35Z",
			}
			if p := e.Data.(*commerce.Payment); e.Entity != commerce.EntityPayment || e.Action != c.action || e.Subject != "176342342" || *p != want {
				t.Errorf("%s.%s %q %+v, want payment.%s %+v", e.Entity, e.Action, e.Subject, p, c.action, want)
			}
		})
	}
}

// An update of a transaction says the same as its creation, dated as an
// update; an order id written as a number (as BigCommerce's docs did
// before bigcommerce/docs #1146) is the same order.
func TestBigCommerceTransactionUpdated(t *testing.T) {
	body := bigCommerceTransactionBody("purchase", "complete", "success")
	numeric := []byte(strings.Replace(string(body), `"order_id":"250"`, `"order_id":250`, 1))
	if string(numeric) == string(body) {
		t.Fatal("no order_id to rewrite")
	}
	for _, b := range [][]byte{body, numeric} {
		evs, err := commerce.Map(bigCommerceRaw("store.order.transaction.updated", b))
		if err != nil || len(evs) != 1 {
			t.Fatalf("Map = %d events, %v; want one", len(evs), err)
		}
		want := commerce.Payment{
			ID: "176342342", OrderID: "250", Platform: "bigcommerce", Source: "acme-bc",
			Status: commerce.PaymentSucceeded, UpdatedAt: "2019-06-25T16:15:35Z",
		}
		if p := evs[0].Data.(*commerce.Payment); evs[0].Action != commerce.ActionSucceeded || *p != want {
			t.Errorf("payment.%s %+v, want payment.succeeded %+v", evs[0].Action, p, want)
		}
	}
}

// A transaction that means a payment event must name itself and its
// order; one that means none is skipped whatever it names.
func TestBigCommerceTransactionUnusable(t *testing.T) {
	for _, scope := range []string{"store.order.transaction.created", "store.order.transaction.updated"} {
		cases := []string{
			`not json`,
			`[]`,
			`{"data":[]}`,
			`{"data":{"transaction_type":"capture","transaction_status":"complete","order_id":"250"}}`,
			`{"data":{"transaction_type":"capture","transaction_status":"complete","order_id":"250","transaction_id":""}}`,
			`{"data":{"transaction_type":"capture","transaction_status":"complete","order_id":"250","transaction_id":0}}`,
			`{"data":{"transaction_type":"capture","transaction_status":"error","transaction_id":"176342342"}}`,
			`{"data":{"transaction_type":"capture","transaction_status":"complete","transaction_id":"176342342","order_id":0}}`,
			`{"data":{"transaction_type":"capture","transaction_status":"complete","transaction_id":"176342342","order_id":-250}}`,
			`{"data":{"transaction_type":"capture","transaction_status":"complete","transaction_id":{},"order_id":"250"}}`,
			`{"data":{"transaction_type":"capture","transaction_status":1,"transaction_id":"176342342","order_id":"250"}}`,
			`{"data":{"transaction_type":"capture","transaction_status":"complete","result":"success","transaction_id":"176342342","order_id":"250"}}`,
		}
		for i, body := range cases {
			t.Run(fmt.Sprint(scope, i), func(t *testing.T) {
				evs, err := commerce.Map(bigCommerceRaw(scope, []byte(body)))
				if !errors.Is(err, commerce.ErrUnusable) || evs != nil {
					t.Errorf("Map = %d events, %v; want ErrUnusable", len(evs), err)
				}
			})
		}
		for _, body := range []string{
			`{}`,
			`null`,
			`{"data":{"transaction_type":"authorization","transaction_status":"complete"}}`,
			`{"data":{"transaction_type":"refund","transaction_status":"complete","transaction_id":""}}`,
		} {
			evs, err := commerce.Map(bigCommerceRaw(scope, []byte(body)))
			if err != nil || evs != nil {
				t.Errorf("%s %s: Map = %d events, %v; want none", scope, body, len(evs), err)
			}
		}
	}
}
