package commerce_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// paypalRaw is a PayPal event of type typ as the normaliser reads it: the
// bridge takes the CloudEvent source from the source's webhook id.
func paypalRaw(typ string, body []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "paypal", Source: "acme-paypal", ID: "WH-58D329510W468432D-8HN650336L201105X",
		Type: "com.paypal." + typ, EvSource: "5GP028458E2496506", Subject: "12A34567BC123456S",
		Time: time.Date(2024, 8, 2, 19, 33, 35, 0, time.UTC), Data: body,
	}
}

// ppMap maps fixture, edited, under type typ.
func ppMap(t *testing.T, typ, fixture string, edit func(map[string]any)) ([]commerce.Canonical, error) {
	t.Helper()
	return commerce.Map(paypalRaw(typ, editedFixture(t, "paypal", fixture, edit)))
}

// ppResource edits the resource of an event.
func ppResource(edit func(r map[string]any)) func(map[string]any) {
	return func(m map[string]any) { edit(m["resource"].(map[string]any)) }
}

// ppUnit edits the first purchase unit of an order event.
func ppUnit(edit func(u map[string]any)) func(map[string]any) {
	return ppResource(func(r map[string]any) { edit(r["purchase_units"].([]any)[0].(map[string]any)) })
}

// ppActions is each event's entity.action/status.
func ppActions(evs []commerce.Canonical) []string {
	var out []string
	for _, c := range evs {
		status := ""
		switch d := c.Data.(type) {
		case *commerce.Order:
			status = d.Status
		case *commerce.Payment:
			status = d.Status
		case *commerce.Refund:
			status = d.Status
		}
		out = append(out, c.Entity+"."+c.Action+"/"+status)
	}
	return out
}

// TestPayPalOrderEvents: an approved order is created, a completed one
// updated, and either is paid once it is COMPLETED with every capture
// collected; an authorised order, or one whose capture is pending, is
// not paid.
func TestPayPalOrderEvents(t *testing.T) {
	captureStatus := func(s string) func(map[string]any) {
		return ppUnit(func(u map[string]any) {
			u["payments"].(map[string]any)["captures"].([]any)[0].(map[string]any)["status"] = s
		})
	}
	for _, c := range []struct {
		name, typ, fixture string
		edit               func(map[string]any)
		want               []string
	}{
		{"approved", "CHECKOUT.ORDER.APPROVED", "CHECKOUT.ORDER.APPROVED", nil, []string{"order.created/pending"}},
		{"completed", "CHECKOUT.ORDER.COMPLETED", "CHECKOUT.ORDER.COMPLETED", nil, []string{"order.updated/paid", "order.paid/paid"}},
		{"approved, already captured", "CHECKOUT.ORDER.APPROVED", "CHECKOUT.ORDER.COMPLETED", nil, []string{"order.created/paid", "order.paid/paid"}},
		{"capture pending", "CHECKOUT.ORDER.COMPLETED", "CHECKOUT.ORDER.COMPLETED", captureStatus("PENDING"), []string{"order.updated/pending"}},
		{"capture declined", "CHECKOUT.ORDER.COMPLETED", "CHECKOUT.ORDER.COMPLETED", captureStatus("DECLINED"), []string{"order.updated/pending"}},
		{"capture refunded since", "CHECKOUT.ORDER.COMPLETED", "CHECKOUT.ORDER.COMPLETED", captureStatus("REFUNDED"), []string{"order.updated/paid", "order.paid/paid"}},
		{"authorised, not captured", "CHECKOUT.ORDER.COMPLETED", "CHECKOUT.ORDER.COMPLETED", ppUnit(func(u map[string]any) { delete(u, "payments") }), []string{"order.updated/pending"}},
		{"approval reversed", "CHECKOUT.PAYMENT-APPROVAL.REVERSED", "CHECKOUT.PAYMENT-APPROVAL.REVERSED", nil, []string{"order.updated/failed"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, err := ppMap(t, c.typ, c.fixture, c.edit)
			if err != nil || !slices.Equal(ppActions(evs), c.want) {
				t.Fatalf("Map = %v, %v; want %v", ppActions(evs), err, c.want)
			}
		})
	}
}

// TestPayPalOrderFields: an order's money is its purchase units' together
// in their one currency, lines come from the items, the address from the
// first unit shipped to.
func TestPayPalOrderFields(t *testing.T) {
	evs, err := ppMap(t, "CHECKOUT.ORDER.APPROVED", "CHECKOUT.ORDER.APPROVED", func(m map[string]any) {
		r := m["resource"].(map[string]any)
		units := r["purchase_units"].([]any)
		u := units[0].(map[string]any)
		u["items"] = []any{
			map[string]any{"name": "Mug", "sku": "HB-MUG-01", "quantity": "2", "unit_amount": map[string]any{"currency_code": "USD", "value": "1.00"}, "category": "PHYSICAL_GOODS"},
			map[string]any{"name": "E-book", "quantity": "1", "unit_amount": map[string]any{"currency_code": "USD", "value": "2.00"}, "category": "DIGITAL_GOODS"},
		}
		u["amount"].(map[string]any)["breakdown"].(map[string]any)["discount"] = map[string]any{"currency_code": "USD", "value": "0.50"}
		second := map[string]any{"reference_id": "b", "amount": map[string]any{"currency_code": "USD", "value": "4.00", "breakdown": map[string]any{
			"item_total": map[string]any{"currency_code": "USD", "value": "4.00"}, "shipping": map[string]any{"currency_code": "USD", "value": "0"},
			"tax_total": map[string]any{"currency_code": "USD", "value": "0.00"},
		}}}
		r["purchase_units"] = append(units, second)
	})
	if err != nil || len(evs) != 1 {
		t.Fatalf("Map = %v, %v", evs, err)
	}
	o := evs[0].Data.(*commerce.Order)
	if o.Total != "10.00" || o.Subtotal != "8.00" || o.Shipping != "2.00" || o.Tax != "0.00" || o.Discount != "" || o.Currency != "USD" || o.Number != "" {
		t.Errorf("money %+v: want 10.00 = 6.00+4.00, subtotal 8.00, shipping 2.00, tax 0.00, no discount (the second unit has none), no number", o)
	}
	if len(o.LineItems) != 2 || o.LineItems[0].Quantity != 2 || o.LineItems[0].UnitPrice != "1.00" || !*o.LineItems[0].RequiresShipping ||
		*o.LineItems[1].RequiresShipping || o.LineItems[1].SKU != "" {
		t.Errorf("lines %+v", o.LineItems)
	}
	if a := o.ShippingAddr; a == nil || a.Name != "John Doe" || a.City != "San Jose" || a.Region != "CA" || a.Country != "US" {
		t.Errorf("address %+v", o.ShippingAddr)
	}
	if c := o.Customer; c == nil || c.ID != "B2UMZNYVC4PHJ" || c.Email != "sb-iwwkw8549201@personal.example.com" {
		t.Errorf("customer %+v", o.Customer)
	}
}

// TestPayPalUnusable: a mapped event whose resource cannot be read is
// unusable, with its reason.
func TestPayPalUnusable(t *testing.T) {
	money := func(v any, currency string) func(map[string]any) {
		return ppResource(func(r map[string]any) { r["amount"] = map[string]any{"currency_code": currency, "value": v} })
	}
	for _, c := range []struct {
		name, typ, fixture string
		edit               func(map[string]any)
	}{
		{"resource missing", "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.COMPLETED", func(m map[string]any) { delete(m, "resource") }},
		{"resource an array", "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.COMPLETED", func(m map[string]any) { m["resource"] = []any{} }},
		{"capture without an id", "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.COMPLETED", ppResource(func(r map[string]any) { delete(r, "id") })},
		{"amount with a comma", "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.COMPLETED", money("30,00", "USD")},
		{"amount with an exponent", "PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DENIED", money("1e3", "EUR")},
		{"amount without currency", "PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REFUNDED", money("0.99", "")},
		{"bad currency", "PAYMENT.CAPTURE.REVERSED", "PAYMENT.CAPTURE.REVERSED", money("2.51", "DOLLAR")},
		{"bad create_time", "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.COMPLETED", func(m map[string]any) { m["create_time"] = "yesterday" }},
		{"order without an id", "CHECKOUT.ORDER.COMPLETED", "CHECKOUT.ORDER.COMPLETED", ppResource(func(r map[string]any) { delete(r, "id") })},
		{"order in two currencies", "CHECKOUT.ORDER.COMPLETED", "CHECKOUT.ORDER.COMPLETED", ppUnit(func(u map[string]any) {
			u["amount"].(map[string]any)["breakdown"].(map[string]any)["item_total"] = map[string]any{"currency_code": "EUR", "value": "1285.13"}
		})},
		{"item quantity not a count", "CHECKOUT.ORDER.COMPLETED", "CHECKOUT.ORDER.COMPLETED", ppUnit(func(u map[string]any) {
			u["items"].([]any)[0].(map[string]any)["quantity"] = "1.5"
		})},
		{"item quantity a number", "CHECKOUT.ORDER.COMPLETED", "CHECKOUT.ORDER.COMPLETED", ppUnit(func(u map[string]any) {
			u["items"].([]any)[0].(map[string]any)["quantity"] = 1
		})},
		{"approval reversed without an order", "CHECKOUT.PAYMENT-APPROVAL.REVERSED", "CHECKOUT.PAYMENT-APPROVAL.REVERSED", ppResource(func(r map[string]any) { delete(r, "order_id") })},
		{"sale total not a decimal", "PAYMENT.SALE.COMPLETED", "PAYMENT.SALE.COMPLETED", ppResource(func(r map[string]any) { r["amount"] = map[string]any{"total": "0.48 USD", "currency": "USD"} })},
		{"refund of a sale without an id", "PAYMENT.SALE.REFUNDED", "PAYMENT.SALE.REFUNDED", ppResource(func(r map[string]any) { r["id"] = "" })},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, err := ppMap(t, c.typ, c.fixture, c.edit)
			if !errors.Is(err, commerce.ErrUnusable) || evs != nil {
				t.Fatalf("Map = %v, %v; want an error wrapping ErrUnusable", evs, err)
			}
		})
	}
}

// TestPayPalCaptures: a completed capture is a payment that succeeded,
// and its order paid when it is the final capture and names the order; a
// denied or declined one a payment that failed.
func TestPayPalCaptures(t *testing.T) {
	for _, c := range []struct {
		name, typ, fixture string
		edit               func(map[string]any)
		want               []string
	}{
		{"completed", "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.COMPLETED", nil, []string{"payment.succeeded/succeeded", "order.paid/paid"}},
		{"not the final capture", "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.COMPLETED", ppResource(func(r map[string]any) { r["final_capture"] = false }), []string{"payment.succeeded/succeeded"}},
		{"no order named", "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.COMPLETED", ppResource(func(r map[string]any) { delete(r, "supplementary_data") }), []string{"payment.succeeded/succeeded"}},
		{"denied", "PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DENIED", nil, []string{"payment.failed/failed"}},
		{"declined", "PAYMENT.CAPTURE.DECLINED", "PAYMENT.CAPTURE.DECLINED", nil, []string{"payment.failed/failed"}},
		{"sale completed", "PAYMENT.SALE.COMPLETED", "PAYMENT.SALE.COMPLETED", nil, []string{"payment.succeeded/succeeded"}},
		{"sale denied", "PAYMENT.SALE.DENIED", "PAYMENT.SALE.COMPLETED", ppResource(func(r map[string]any) { r["state"] = "denied" }), []string{"payment.failed/failed"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, err := ppMap(t, c.typ, c.fixture, c.edit)
			if err != nil || !slices.Equal(ppActions(evs), c.want) {
				t.Fatalf("Map = %v, %v; want %v", ppActions(evs), err, c.want)
			}
		})
	}
}

// TestPayPalRefunds: a refund's status is its own; its capture is its
// "up" link, when that names a capture; a v1 refund's negative total is
// the amount given back.
func TestPayPalRefunds(t *testing.T) {
	up := func(href string) func(map[string]any) {
		return ppResource(func(r map[string]any) { r["links"] = []any{map[string]any{"href": href, "rel": "up", "method": "GET"}} })
	}
	status := func(s string) func(map[string]any) {
		return ppResource(func(r map[string]any) { r["status"] = s })
	}
	for _, c := range []struct {
		name, typ, fixture string
		edit               func(map[string]any)
		status, payment    string
	}{
		{"refunded", "PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REFUNDED", nil, "succeeded", "0JF852973C016714D"},
		{"pending", "PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REFUNDED", status("PENDING"), "pending", "0JF852973C016714D"},
		{"failed", "PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REFUNDED", status("FAILED"), "failed", "0JF852973C016714D"},
		{"cancelled", "PAYMENT.CAPTURE.REVERSED", "PAYMENT.CAPTURE.REVERSED", status("CANCELLED"), "failed", "4L335234718889942"},
		{"up is not a capture", "PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REFUNDED", up("https://api.paypal.com/v2/payments/authorizations/7W5147081L658180V"), "succeeded", ""},
		{"up has more path", "PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REFUNDED", up("https://api.paypal.com/v2/payments/captures/X/refund"), "succeeded", ""},
		{"sale refunded", "PAYMENT.SALE.REFUNDED", "PAYMENT.SALE.REFUNDED", nil, "succeeded", "9T0916710M1105906"},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, err := ppMap(t, c.typ, c.fixture, c.edit)
			if err != nil || len(evs) != 1 || evs[0].Action != commerce.ActionCreated {
				t.Fatalf("Map = %v, %v; want one refund.created", evs, err)
			}
			r := evs[0].Data.(*commerce.Refund)
			if r.Status != c.status || r.PaymentID != c.payment || r.Amount == "" || r.Amount[0] == '-' {
				t.Errorf("refund %+v, want status %s, payment %q, a positive amount", r, c.status, c.payment)
			}
		})
	}
}

// TestPayPalSkipped: a type that means no canonical event is skipped even
// when its payload cannot be read.
func TestPayPalSkipped(t *testing.T) {
	for _, typ := range []string{"PAYMENT.CAPTURE.PENDING", "PAYMENT.AUTHORIZATION.CREATED", "PAYMENT.AUTHORIZATION.VOIDED",
		"PAYMENT.SALE.PENDING", "BILLING.SUBSCRIPTION.CREATED", "CUSTOMER.DISPUTE.CREATED", "CHECKOUT.ORDER.SAVED", "INVOICING.INVOICE.PAID"} {
		if evs, err := commerce.Map(paypalRaw(typ, []byte("not json"))); err != nil || evs != nil {
			t.Errorf("%s: Map = %v, %v; want nothing", typ, evs, err)
		}
	}
}

// TestPayPalPaidOnce: the order.paid of a completed capture and the one of
// the completed order it belongs to are one event (the same id), as they
// are one payment, and PayPal may send both.
func TestPayPalPaidOnce(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	paid := func(typ, id string) string {
		t.Helper()
		body, _, err := sample.DeliveryForOrder("paypal", sample.Locators{}, typ, id, "1001", now)
		if err != nil {
			t.Fatal(err)
		}
		raw := paypalRaw(typ, body)
		raw.ID = "WH-" + id
		evs, err := commerce.Map(raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range evs {
			if c.Entity == commerce.EntityOrder && c.Action == commerce.ActionPaid {
				return commerce.ID(raw, c)
			}
		}
		t.Fatalf("%s: no order.paid in %v", typ, ppActions(evs))
		return ""
	}
	if a, b := paid("PAYMENT.CAPTURE.COMPLETED", "e1"), paid("CHECKOUT.ORDER.COMPLETED", "e2"); a != b {
		t.Errorf("order.paid ids %s (capture) and %s (order) differ", a, b)
	}
}

// The bridge's PayPal samples (what `hookbridge send` posts) map as real
// deliveries do.
func TestPayPalSample(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		typ  string
		want []string
	}{
		{"PAYMENT.CAPTURE.COMPLETED", []string{"payment.succeeded/succeeded", "order.paid/paid"}},
		{"PAYMENT.CAPTURE.DENIED", []string{"payment.failed/failed"}},
		{"PAYMENT.CAPTURE.REFUNDED", []string{"refund.created/succeeded"}},
		{"CHECKOUT.ORDER.APPROVED", []string{"order.created/pending"}},
		{"CHECKOUT.ORDER.COMPLETED", []string{"order.updated/paid", "order.paid/paid"}},
		{"PAYMENT.SALE.COMPLETED", []string{"payment.succeeded/succeeded"}},
	} {
		body, _, err := sample.Delivery("paypal", sample.Locators{}, c.typ, "s-1", now)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := commerce.Map(paypalRaw(c.typ, body))
		if err != nil || !slices.Equal(ppActions(evs), c.want) {
			t.Errorf("%s: Map = %v, %v; want %v", c.typ, ppActions(evs), err, c.want)
		}
	}
}

// FuzzPayPalMapping holds the PayPal mapping to its contract on any body
// under any mapped type (see checkFuzzedEvents).
func FuzzPayPalMapping(f *testing.F) {
	fuzzMapping(f, "paypal", paypalRaw, "CHECKOUT.ORDER.APPROVED", "CHECKOUT.ORDER.COMPLETED", "CHECKOUT.PAYMENT-APPROVAL.REVERSED",
		"PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DECLINED", "PAYMENT.CAPTURE.REFUNDED",
		"PAYMENT.CAPTURE.REVERSED", "PAYMENT.SALE.COMPLETED", "PAYMENT.SALE.DENIED", "PAYMENT.SALE.REFUNDED", "PAYMENT.SALE.REVERSED")
}
