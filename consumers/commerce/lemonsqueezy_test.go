package commerce_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// lemonSqueezyRaw is a Lemon Squeezy event of type typ as the normaliser
// reads it: the bridge takes the CloudEvent source from the store id.
func lemonSqueezyRaw(typ string, body []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "lemonsqueezy", Source: "acme-lemon", ID: "5b0b7e3d2c1a4f6e9d8c7b6a5f4e3d2c",
		Type: "com.lemonsqueezy." + typ, EvSource: "1", Subject: "orders/1",
		Time: time.Date(2021, 8, 11, 13, 54, 54, 0, time.UTC), Data: body,
	}
}

// lsAttrs edits data.attributes of an event.
func lsAttrs(edit func(a map[string]any)) func(map[string]any) {
	return func(m map[string]any) { edit(m["data"].(map[string]any)["attributes"].(map[string]any)) }
}

// lsMap maps fixture, edited, under type typ.
func lsMap(t *testing.T, typ, fixture string, edit func(map[string]any)) ([]commerce.Canonical, error) {
	t.Helper()
	return commerce.Map(lemonSqueezyRaw(typ, editedFixture(t, "lemonsqueezy", fixture, edit)))
}

// TestLemonSqueezyOrderEvents: what an order event means depends on the
// order's status: created, and paid when it is; a whole refund is
// order.refunded, a partial one order.updated.
func TestLemonSqueezyOrderEvents(t *testing.T) {
	status := func(s string) func(map[string]any) { return lsAttrs(func(a map[string]any) { a["status"] = s }) }
	for _, c := range []struct {
		name, typ, status string
		want              []string // action/status of each event
	}{
		{"paid order", "order_created", "paid", []string{"created/paid", "paid/paid"}},
		{"pending order", "order_created", "pending", []string{"created/pending"}},
		{"failed order", "order_created", "failed", []string{"created/failed"}},
		{"fraudulent order", "order_created", "fraudulent", []string{"created/failed"}},
		{"whole refund", "order_refunded", "refunded", []string{"refunded/refunded"}},
		{"partial refund", "order_refunded", "partial_refund", []string{"updated/partially_refunded"}},
		{"refund of an order still paid", "order_refunded", "paid", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, err := lsMap(t, c.typ, "order_created", status(c.status))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range evs {
				got = append(got, ev.Action+"/"+ev.Data.(*commerce.Order).Status)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("events %v, want %v", got, c.want)
			}
		})
	}
}

// TestLemonSqueezyMoney: integer cents become major units with the
// currency's decimals; amounts that are not integers of minor units, and
// payloads without an id, are unusable.
func TestLemonSqueezyMoney(t *testing.T) {
	total := func(n any, currency string) func(map[string]any) {
		return lsAttrs(func(a map[string]any) { a["total"], a["currency"] = n, currency })
	}
	for _, c := range []struct {
		name, typ, fixture string
		edit               func(map[string]any)
		wantErr            bool
		wantTotal          string
	}{
		{name: "USD in cents", typ: "order_created", fixture: "order_created", edit: total(json.Number("1199"), "USD"), wantTotal: "11.99"},
		{name: "JPY has no decimals", typ: "order_created", fixture: "order_created", edit: total(json.Number("1199"), "JPY"), wantTotal: "1199"},
		{name: "KWD has three", typ: "order_created", fixture: "order_created", edit: total(json.Number("1199"), "KWD"), wantTotal: "1.199"},
		{name: "lower-case currency", typ: "order_created", fixture: "order_created", edit: total(json.Number("5"), "eur"), wantTotal: "0.05"},
		{name: "beyond float64", typ: "order_created", fixture: "order_created", edit: total(json.Number("123456789012345678901"), "USD"), wantTotal: "1234567890123456789.01"},
		{name: "total as a string", typ: "order_created", fixture: "order_created", edit: total("1199", "USD"), wantErr: true},
		{name: "total with a fraction", typ: "order_created", fixture: "order_created", edit: total(json.Number("11.99"), "USD"), wantErr: true},
		{name: "no currency", typ: "order_created", fixture: "order_created", edit: total(json.Number("1199"), ""), wantErr: true},
		{name: "bad currency", typ: "subscription_payment_success", fixture: "subscription_payment_success", edit: total(json.Number("999"), "US$"), wantErr: true},
		{name: "invoice total as a float", typ: "subscription_payment_failed", fixture: "subscription_payment_success", edit: total(json.Number("9.99e2"), "USD"), wantErr: true},
		{name: "bad quantity", typ: "order_created", fixture: "order_created-item", edit: lsAttrs(func(a map[string]any) {
			a["first_order_item"].(map[string]any)["quantity"] = json.Number("-1")
		}), wantErr: true},
		{name: "no id", typ: "order_refunded", fixture: "order_created", edit: func(m map[string]any) { delete(m["data"].(map[string]any), "id") }, wantErr: true},
		{name: "no attributes", typ: "subscription_payment_success", fixture: "subscription_payment_success", edit: func(m map[string]any) { delete(m["data"].(map[string]any), "attributes") }, wantErr: true},
		{name: "bad updated_at", typ: "order_created", fixture: "order_created", edit: lsAttrs(func(a map[string]any) { a["updated_at"] = "yesterday" }), wantErr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, err := lsMap(t, c.typ, c.fixture, c.edit)
			if c.wantErr {
				if !errors.Is(err, commerce.ErrUnusable) || evs != nil {
					t.Fatalf("Map = %v, %v; want an error wrapping ErrUnusable", evs, err)
				}
				return
			}
			if err != nil || len(evs) == 0 {
				t.Fatalf("Map = %v, %v", evs, err)
			}
			if o := evs[0].Data.(*commerce.Order); o.Total != c.wantTotal {
				t.Errorf("total %q, want %q", o.Total, c.wantTotal)
			}
		})
	}
}

// TestLemonSqueezyLine: the first order item is a line only when the event
// says how many were bought, with a unit price only for a line of one.
func TestLemonSqueezyLine(t *testing.T) {
	item := func(q any) func(map[string]any) {
		return lsAttrs(func(a map[string]any) { a["first_order_item"].(map[string]any)["quantity"] = q })
	}
	for _, c := range []struct {
		name string
		q    any
		want []commerce.LineItem
	}{
		{"no quantity", nil, nil},
		{"one", json.Number("1"), []commerce.LineItem{{ID: "1", Name: "Test Limited Licencse for 2 years", Quantity: 1, UnitPrice: "11.99"}}},
		{"three", json.Number("3"), []commerce.LineItem{{ID: "1", Name: "Test Limited Licencse for 2 years", Quantity: 3}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, err := lsMap(t, "order_created", "order_created-item", item(c.q))
			if err != nil {
				t.Fatal(err)
			}
			if got := evs[0].Data.(*commerce.Order).LineItems; !slices.Equal(got, c.want) {
				t.Errorf("lines %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestLemonSqueezyPayment: subscription invoices are payments, succeeded
// (also when recovered after a failure) or failed.
func TestLemonSqueezyPayment(t *testing.T) {
	for typ, want := range map[string]string{
		"subscription_payment_success":   commerce.PaymentSucceeded,
		"subscription_payment_recovered": commerce.PaymentSucceeded,
		"subscription_payment_failed":    commerce.PaymentFailed,
	} {
		evs, err := lsMap(t, typ, "subscription_payment_success", nil)
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s: Map = %v, %v", typ, evs, err)
		}
		if p := evs[0].Data.(*commerce.Payment); p.Status != want || p.Amount != "9.99" || evs[0].Entity != commerce.EntityPayment {
			t.Errorf("%s: %s payment %+v, want %s of 9.99", typ, evs[0].Entity, p, want)
		}
	}
}

// TestLemonSqueezySkipped: a type that means no canonical event is skipped
// even when its payload cannot be read.
func TestLemonSqueezySkipped(t *testing.T) {
	for _, typ := range []string{"subscription_created", "subscription_updated", "license_key_created", "affiliate_activated"} {
		if evs, err := commerce.Map(lemonSqueezyRaw(typ, []byte("not json"))); err != nil || evs != nil {
			t.Errorf("%s: Map = %v, %v; want nothing", typ, evs, err)
		}
	}
}

// FuzzLemonSqueezyMapping holds the Lemon Squeezy mapping to its contract
// on any body under any mapped type (see checkFuzzedEvents).
func FuzzLemonSqueezyMapping(f *testing.F) {
	types := []string{
		"order_created", "order_refunded", "subscription_payment_success",
		"subscription_payment_recovered", "subscription_payment_failed", "subscription_created",
	}
	for name, body := range fixtures(f, "lemonsqueezy") {
		f.Add(uint8(slices.Index(types, fixtureType(name))), body)
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		raw := lemonSqueezyRaw(types[int(which)%len(types)], body)
		evs, err := commerce.Map(raw)
		checkFuzzedEvents(t, raw, evs, err)
	})
}
