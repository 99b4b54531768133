package commerce_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// ecwidRaw is an Ecwid webhook of eventType typ as the normaliser reads
// it: the bridge's CloudEvent source is storeId, its subject entityId and
// its time eventCreated, the one signed time (a fixed time when the body
// has none, which the bridge would have refused).
func ecwidRaw(typ string, body []byte) commerce.Raw {
	at := time.Unix(1634209655, 0)
	var b struct {
		EventCreated json.Number `json:"eventCreated"`
	}
	if json.Unmarshal(body, &b) == nil {
		if s, err := strconv.ParseInt(string(b.EventCreated), 10, 64); err == nil && s >= 0 && s < 1<<40 {
			at = time.Unix(s, 0)
		}
	}
	return commerce.Raw{
		Provider: "ecwid", Source: "acme-ecwid", ID: "80aece08-40e8-4145-8764-6c2f0d38678",
		Type: "com.ecwid." + typ, EvSource: "1003", Subject: "103878161", Time: at, Data: body,
	}
}

// ecwidStatusBody is an Ecwid webhook of type typ for order XJ12H with the
// four statuses given ("" leaves the key out).
func ecwidStatusBody(typ, oldPay, newPay, oldFul, newFul string) []byte {
	data := map[string]any{"orderId": "XJ12H"}
	for k, v := range map[string]string{"oldPaymentStatus": oldPay, "newPaymentStatus": newPay, "oldFulfillmentStatus": oldFul, "newFulfillmentStatus": newFul} {
		if v != "" {
			data[k] = v
		}
	}
	b, _ := json.Marshal(map[string]any{
		"eventId": "80aece08-40e8-4145-8764-6c2f0d38678", "eventCreated": 1634209655, "storeId": 1003,
		"entityId": 103878161, "eventType": typ, "data": data,
	})
	return b
}

// A change gives order.created or order.updated, then each milestone its
// new statuses mean and the old ones did not, with Ecwid's statuses read
// as ecwidOrderStatus documents.
func TestEcwidStatus(t *testing.T) {
	cases := []struct {
		typ                            string
		oldPay, newPay, oldFul, newFul string
		status                         string
		actions                        []string
	}{
		{"order.created", "", "AWAITING_PAYMENT", "", "AWAITING_PROCESSING", commerce.OrderPending, []string{"created"}},
		{"order.created", "", "PAID", "", "AWAITING_PROCESSING", commerce.OrderPaid, []string{"created", "paid"}},
		{"order.created", "", "PAID", "", "DELIVERED", commerce.OrderFulfilled, []string{"created", "paid", "fulfilled"}},
		{"order.created", "", "INCOMPLETE", "", "", commerce.OrderPending, []string{"created"}},
		{"order.created", "", "", "", "", "", []string{"created"}},
		{"order.updated", "AWAITING_PAYMENT", "PAID", "AWAITING_PROCESSING", "AWAITING_PROCESSING", commerce.OrderPaid, []string{"updated", "paid"}},
		{"order.updated", "PAID", "PAID", "AWAITING_PROCESSING", "PROCESSING", commerce.OrderPaid, []string{"updated"}},
		{"order.updated", "PAID", "PAID", "PROCESSING", "SHIPPED", commerce.OrderFulfilled, []string{"updated", "fulfilled"}},
		{"order.updated", "PAID", "PAID", "SHIPPED", "DELIVERED", commerce.OrderFulfilled, []string{"updated"}},
		{"order.updated", "PAID", "PAID", "PROCESSING", "OUT_FOR_DELIVERY", commerce.OrderPaid, []string{"updated"}},
		{"order.updated", "PAID", "PAID", "OUT_FOR_DELIVERY", "DELIVERED", commerce.OrderFulfilled, []string{"updated", "fulfilled"}},
		{"order.updated", "PAID", "PAID", "PROCESSING", "READY_FOR_PICKUP", commerce.OrderPaid, []string{"updated"}},
		{"order.updated", "AWAITING_PAYMENT", "PAID", "PROCESSING", "SHIPPED", commerce.OrderFulfilled, []string{"updated", "paid", "fulfilled"}},
		{"order.updated", "AWAITING_PAYMENT", "CANCELLED", "AWAITING_PROCESSING", "AWAITING_PROCESSING", commerce.OrderCancelled, []string{"updated", "cancelled"}},
		{"order.updated", "PAID", "CANCELLED", "SHIPPED", "SHIPPED", commerce.OrderCancelled, []string{"updated", "cancelled"}},
		{"order.updated", "PAID", "REFUNDED", "SHIPPED", "RETURNED", commerce.OrderRefunded, []string{"updated", "refunded"}},
		{"order.updated", "PAID", "PARTIALLY_REFUNDED", "SHIPPED", "SHIPPED", commerce.OrderPartiallyRefunded, nil},
		{"order.updated", "PARTIALLY_REFUNDED", "REFUNDED", "SHIPPED", "SHIPPED", commerce.OrderRefunded, []string{"updated", "refunded"}},
		{"order.updated", "PAID", "PAID", "PROCESSING", "WILL_NOT_DELIVER", commerce.OrderPaid, []string{"updated"}},
		{"order.updated", "PAID", "CUSTOM_PAYMENT_STATUS_1", "PROCESSING", "CUSTOM_FULFILLMENT_STATUS_2", "", []string{"updated"}},
		// An update without the old statuses tells no milestone: which
		// change it reports is unknown.
		{"order.updated", "", "PAID", "", "SHIPPED", commerce.OrderFulfilled, []string{"updated"}},
		{"order.updated", "AWAITING_PAYMENT", "PAID", "", "SHIPPED", commerce.OrderFulfilled, []string{"updated", "paid"}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %s->%s %s->%s", c.typ, c.oldPay, c.newPay, c.oldFul, c.newFul), func(t *testing.T) {
			if c.actions == nil {
				c.actions = []string{"updated"}
			}
			raw := ecwidRaw(c.typ, ecwidStatusBody(c.typ, c.oldPay, c.newPay, c.oldFul, c.newFul))
			evs, err := commerce.Map(raw)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				if o := e.Data.(*commerce.Order); !e.Time.Equal(raw.Time) || o.UpdatedAt != "2021-10-14T11:07:35Z" || o.Number != "" {
					t.Errorf("%s at %s: %+v; want eventCreated's time, no number", e.Action, e.Time, o)
				}
			}
			if actions := idOnlyOrderActions(t, evs, "XJ12H", c.status, c.newPay); !slices.Equal(actions, c.actions) {
				t.Errorf("actions %q, want %q", actions, c.actions)
			}
		})
	}
}

// The order is data.orderId, else entityId; a mapped type whose body
// names no order, or is not an Ecwid body, is unusable.
func TestEcwidOrderID(t *testing.T) {
	cases := []struct{ body, want string }{
		{`{"entityId":103878161,"data":{"orderId":"XJ12H"}}`, "XJ12H"},
		{`{"entityId":-1,"data":{"orderId":" MYSTORE-X8UYE "}}`, "MYSTORE-X8UYE"},
		{`{"entityId":103,"data":{"newPaymentStatus":"PAID"}}`, "103"},
		{`{"entityId":"103","data":{"orderId":""}}`, "103"},
		{`{"entityId":103}`, "103"},
	}
	for _, c := range cases {
		evs, err := commerce.Map(ecwidRaw("order.updated", []byte(c.body)))
		if err != nil || len(evs) != 1 || evs[0].Subject != c.want {
			t.Errorf("%s: Map = %v, %v; want order %s", c.body, evs, err, c.want)
		}
	}
	for i, body := range []string{
		`{"data":{"newPaymentStatus":"PAID"}}`,
		`{"entityId":-1,"data":{}}`,
		`{"entityId":0}`,
		`{"entityId":null,"data":{"orderId":null}}`,
		`{"entityId":1.5}`,
		`{"entityId":103,"data":{"orderId":{}}}`,
		`{"entityId":103,"data":{"newPaymentStatus":1}}`,
		`{"entityId":103,"data":[]}`,
		`[]`,
		`not json`,
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			for _, typ := range []string{"order.created", "order.updated"} {
				evs, err := commerce.Map(ecwidRaw(typ, []byte(body)))
				if !errors.Is(err, commerce.ErrUnusable) || evs != nil {
					t.Errorf("%s %s: Map = %d events, %v; want ErrUnusable", typ, body, len(evs), err)
				}
			}
		})
	}
}

// Every other event type is skipped, whatever its body.
func TestEcwidSkipped(t *testing.T) {
	for _, typ := range []string{"order.deleted", "unfinished_order.created", "unfinished_order.updated", "product.updated",
		"customer.created", "application.installed", "order", "order.created.x"} {
		if evs, err := commerce.Map(ecwidRaw(typ, []byte("not json"))); err != nil || evs != nil {
			t.Errorf("%s: Map = %v, %v; want nothing", typ, evs, err)
		}
	}
}

// A paid order's milestone is keyed by the order and eventCreated, both
// of which a retry of the webhook repeats: the retry means the same
// order.paid, not another one.
func TestEcwidMilestoneID(t *testing.T) {
	body := ecwidStatusBody("order.updated", "AWAITING_PAYMENT", "PAID", "PROCESSING", "PROCESSING")
	first, err1 := commerce.Map(ecwidRaw("order.updated", body))
	again, err2 := commerce.Map(ecwidRaw("order.updated", body))
	if err1 != nil || err2 != nil || len(first) != 2 || len(again) != 2 {
		t.Fatalf("Map = %v, %v / %v, %v", first, err1, again, err2)
	}
	raw := ecwidRaw("order.updated", body)
	if a, b := commerce.ID(raw, first[1]), commerce.ID(raw, again[1]); a != b || first[1].Action != commerce.ActionPaid {
		t.Errorf("%s ids %s and %s differ", first[1].Action, a, b)
	}
}

// FuzzEcwidMapping feeds the mapping any type and body: it must never
// panic, and either refuse the body as unusable or give order events with
// nothing Ecwid does not send.
func FuzzEcwidMapping(f *testing.F) {
	fuzzMappingWith(f, "ecwid", ecwidRaw, func(t *testing.T, c commerce.Canonical) {
		o, ok := c.Data.(*commerce.Order)
		if !ok || c.Entity != commerce.EntityOrder {
			t.Fatalf("%s.%s: data %T", c.Entity, c.Action, c.Data)
		}
		if o.ID == "" || c.Subject != o.ID || o.Platform != "ecwid" || o.Total != "" || o.LineItems != nil || o.Customer != nil || o.UpdatedAt == "" {
			t.Fatalf("%s.%s: %+v", c.Entity, c.Action, o)
		}
	}, nil)
}

// The bridge's Ecwid sample (what `hookbridge send` posts) maps as a real
// delivery: a paid new order named by its orderId.
func TestEcwidSample(t *testing.T) {
	body, _, err := sample.Delivery("ecwid", sample.Locators{}, "order.created", "e-1", time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	evs, err := commerce.Map(ecwidRaw("order.created", body))
	if err != nil || len(evs) != 2 || evs[0].Action != commerce.ActionCreated || evs[1].Action != commerce.ActionPaid {
		t.Fatalf("Map = %v, %v; want order.created, order.paid", evs, err)
	}
}
