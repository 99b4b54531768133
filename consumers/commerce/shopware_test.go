package commerce_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// shopwareRaw is a Shopware delivery of event as the normaliser reads it:
// the bridge takes the time from the body's timestamp.
func shopwareRaw(event string, body []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "shopware", Source: "acme-sw", ID: "7b04ebe416db4ebc93de4d791325e1d9",
		Type: "com.shopware." + event, EvSource: "hRCw2xo1EDZnLco4",
		Time: time.Date(2023, 5, 4, 13, 40, 0, 0, time.UTC), Data: body,
	}
}

// shopwarePlaced is the placed order's fixture with each old replaced by
// its new once.
func shopwarePlaced(t *testing.T, replace ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "shopware", "checkout.order.placed.json"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(replace); i += 2 {
		if !bytes.Contains(b, []byte(replace[i])) {
			t.Fatalf("fixture has no %s", replace[i])
		}
		b = bytes.Replace(b, []byte(replace[i]), []byte(replace[i+1]), 1)
	}
	return b
}

// Amounts are the JSON numbers' literal text, never read as floats: a
// float64 would print 0.1+0.2 as 0.30000000000000004 and lose digits.
func TestShopwareMoney(t *testing.T) {
	cases := []struct{ total, net, shipping, unit, wantTax string }{
		{"395.01", "395.01", "0", "395.01", "0.00"},
		{"119.00", "100.00", "4.99", "119", "19.00"},
		{"0.3", "0.1", "0.10", "0.30000000000000004", "0.2"},
		{"12345678901234567.89", "12345678901234567.8", "1", "7", "0.09"},
		{"100", "-20.5", "0.0", "-1.5", "120.5"},
	}
	for _, c := range cases {
		t.Run(c.total, func(t *testing.T) {
			body := shopwarePlaced(t,
				`"amountTotal": 395.01`, `"amountTotal": `+c.total,
				`"amountNet": 395.01`, `"amountNet": `+c.net,
				`"shippingTotal": 0`, `"shippingTotal": `+c.shipping,
				`"unitPrice": 395.01,`+"\n"+`            "totalPrice"`, `"unitPrice": `+c.unit+`,`+"\n"+`            "totalPrice"`)
			evs, err := commerce.Map(shopwareRaw("checkout.order.placed", body))
			if err != nil {
				t.Fatal(err)
			}
			o := evs[0].Data.(*commerce.Order)
			if o.Total != c.total || o.Shipping != c.shipping || o.Tax != c.wantTax || o.LineItems[0].UnitPrice != c.unit {
				t.Errorf("total %q shipping %q tax %q unit %q, want %q %q %q %q", o.Total, o.Shipping, o.Tax, o.LineItems[0].UnitPrice, c.total, c.shipping, c.wantTax, c.unit)
			}
		})
	}
	for _, bad := range []string{"1e3", "\"12,00\"", "true", "{}"} {
		body := shopwarePlaced(t, `"amountTotal": 395.01`, `"amountTotal": `+bad)
		if _, err := commerce.Map(shopwareRaw("checkout.order.placed", body)); !errors.Is(err, commerce.ErrUnusable) {
			t.Errorf("amountTotal %s: %v, want ErrUnusable", bad, err)
		}
	}
}

// The canonical status is read from the order's, its latest
// transaction's and its deliveries' states; checkout.order.placed gives
// order.paid only when the transaction is paid already.
func TestShopwareStatus(t *testing.T) {
	const (
		orderState    = `"technicalName": "open",` + "\n" + `          "stateMachineId": "26c54710`
		txState       = `"technicalName": "open",` + "\n" + `              "stateMachineId": "6e1405f1`
		deliveryState = `"technicalName": "open",` + "\n" + `              "stateMachineId": "1910cb60`
	)
	set := func(which, state string) []string {
		return []string{which, `"technicalName": "` + state + `",` + which[len(`"technicalName": "open",`):]}
	}
	cases := []struct {
		name    string
		replace []string
		status  string
		actions []string
	}{
		{"open", nil, commerce.OrderPending, []string{"created"}},
		{"in_progress", set(orderState, "in_progress"), commerce.OrderPending, []string{"created"}},
		{"paid", set(txState, "paid"), commerce.OrderPaid, []string{"created", "paid"}},
		{"paid_partially", set(txState, "paid_partially"), commerce.OrderPending, []string{"created"}},
		{"authorized", set(txState, "authorized"), commerce.OrderPending, []string{"created"}},
		{"failed", set(txState, "failed"), commerce.OrderFailed, []string{"created"}},
		{"refunded", set(txState, "refunded"), commerce.OrderRefunded, []string{"created"}},
		{"refunded_partially", set(txState, "refunded_partially"), commerce.OrderPartiallyRefunded, []string{"created"}},
		{"shipped", set(deliveryState, "shipped"), commerce.OrderFulfilled, []string{"created"}},
		{"completed", set(orderState, "completed"), commerce.OrderFulfilled, []string{"created"}},
		{"cancelled", set(orderState, "cancelled"), commerce.OrderCancelled, []string{"created"}},
		{"unknown", set(orderState, "custom_state"), "", []string{"created"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs, err := commerce.Map(shopwareRaw("checkout.order.placed", shopwarePlaced(t, c.replace...)))
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, e := range evs {
				if o := e.Data.(*commerce.Order); o.Status != c.status {
					t.Errorf("status %q, want %q", o.Status, c.status)
				}
				actions = append(actions, e.Action)
			}
			if !slices.Equal(actions, c.actions) {
				t.Errorf("actions %q, want %q", actions, c.actions)
			}
		})
	}
}

// order.paid from checkout.order.placed and from the transaction's state
// change carries the paid transaction's time, so both are one event.
func TestShopwarePaidOnce(t *testing.T) {
	body := shopwarePlaced(t, `"technicalName": "open",`+"\n"+`              "stateMachineId": "6e1405f1`,
		`"technicalName": "paid",`+"\n"+`              "stateMachineId": "6e1405f1`)
	placed := shopwareRaw("checkout.order.placed", body)
	paid := shopwareRaw("state_enter.order_transaction.state.paid", body)
	paid.ID, paid.Time = "another-event", paid.Time.Add(time.Minute)
	a, err := commerce.Map(placed)
	if err != nil || len(a) != 2 {
		t.Fatalf("placed: %d events, %v", len(a), err)
	}
	b, err := commerce.Map(paid)
	if err != nil || len(b) != 1 {
		t.Fatalf("paid: %d events, %v", len(b), err)
	}
	if commerce.ID(placed, a[1]) != commerce.ID(paid, b[0]) {
		t.Errorf("order.paid has two ids: %s at %v, %s at %v", commerce.ID(placed, a[1]), a[1].Time, commerce.ID(paid, b[0]), b[0].Time)
	}
}

// A mapped event whose order cannot be read is unusable; an unmapped
// event is skipped whatever its body.
func TestShopwareUnusable(t *testing.T) {
	for i, body := range []string{
		`{"data":{"payload":{},"event":"checkout.order.placed"}}`,
		`{"data":{"payload":{"order":{"orderNumber":"10077"}}}}`,
		`{"data":{"payload":[{"entity":"order","primaryKey":"8f69"}]}}`,
		`{"data":{"payload":{"order":{"id":"8f69","createdAt":"yesterday"}}}}`,
		`{"data":{"payload":{"order":{"id":"8f69","currency":{"isoCode":"EURO"}}}}}`,
		`{"data":{"payload":{"order":{"id":"8f69","lineItems":[{"quantity":1.5}]}}}}`,
		`not json`,
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			evs, err := commerce.Map(shopwareRaw("state_enter.order.state.cancelled", []byte(body)))
			if !errors.Is(err, commerce.ErrUnusable) || evs != nil {
				t.Errorf("Map = %d events, %v; want ErrUnusable", len(evs), err)
			}
		})
	}
	for _, event := range []string{"order.written", "product.written", "state_enter.order_transaction.state.paid_partially", "state_leave.order.state.open"} {
		if evs, err := commerce.Map(shopwareRaw(event, []byte(`not json`))); err != nil || evs != nil {
			t.Errorf("%s: Map = %d events, %v; want none", event, len(evs), err)
		}
	}
}

// A delivery's tracking codes are the order's tracking numbers; a blank
// one is no number.
func TestShopwareTracking(t *testing.T) {
	body := shopwarePlaced(t, `"trackingCodes": []`, `"trackingCodes": ["", " 1Z999AA10123456784 "]`)
	evs, err := commerce.Map(shopwareRaw("state_enter.order_delivery.state.shipped", body))
	if err != nil || len(evs) != 1 || !slices.Equal(evs[0].Data.(*commerce.Order).Tracking, []commerce.Tracking{{Number: "1Z999AA10123456784"}}) {
		t.Errorf("tracking codes: %v, %v", evs, err)
	}
}

// FuzzShopwareMapping feeds the mapping any event and body: it must never
// panic, and either refuse the body as unusable or give order events with
// decimal amounts and an ISO 4217 currency.
func FuzzShopwareMapping(f *testing.F) {
	fuzzMappingWith(f, "shopware", shopwareRaw, func(t *testing.T, c commerce.Canonical) {
		o, ok := c.Data.(*commerce.Order)
		if !ok || c.Entity != commerce.EntityOrder || o.ID == "" || c.Subject != o.ID || o.Platform != "shopware" {
			t.Fatalf("%s.%s for %q: data %T", c.Entity, c.Action, c.Subject, c.Data)
		}
		amounts := []string{o.Total, o.Tax, o.Shipping}
		for _, li := range o.LineItems {
			amounts = append(amounts, li.UnitPrice)
		}
		for _, m := range amounts {
			if m != "" && !schemaDecimal.MatchString(m) {
				t.Fatalf("amount %q is not a decimal", m)
			}
		}
		if o.Currency != "" && !shopifyISO4217.MatchString(o.Currency) {
			t.Fatalf("currency %q", o.Currency)
		}
	}, shopwareSeed)
}

// shopwareSeedKeys are the keys a fuzz seed keeps of a fixture: the ones
// the mapping reads, and their parents.
var shopwareSeedKeys = map[string]bool{
	"data": true, "payload": true, "event": true, "order": true, "id": true, "orderNumber": true,
	"currency": true, "isoCode": true, "amountTotal": true, "amountNet": true, "shippingTotal": true,
	"orderCustomer": true, "email": true, "customerId": true, "lineItems": true, "type": true,
	"label": true, "quantity": true, "unitPrice": true, "productNumber": true, "deliveries": true,
	"shippingOrderAddress": true, "firstName": true, "lastName": true, "street": true, "city": true,
	"zipcode": true, "country": true, "iso": true, "trackingCodes": true, "transactions": true,
	"stateMachineState": true, "technicalName": true, "createdAt": true, "updatedAt": true,
}

// shopwareSeed is body with only shopwareSeedKeys, numbers as written.
func shopwareSeed(t testing.TB, body []byte) []byte {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var prune func(any) any
	prune = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if !shopwareSeedKeys[k] {
					delete(v, k)
					continue
				}
				v[k] = prune(x)
			}
		case []any:
			for i, x := range v {
				v[i] = prune(x)
			}
		}
		return v
	}
	out, err := json.Marshal(prune(v))
	if err != nil {
		t.Fatal(err)
	}
	return out
}
