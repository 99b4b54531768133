package commerce_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// mutate is the fixture name with edit applied to its data.object (numbers
// kept as written).
func mutate(t *testing.T, name string, edit func(obj map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(fixtures(t, "stripe")[name]))
	dec.UseNumber()
	var ev map[string]any
	if err := dec.Decode(&ev); err != nil {
		t.Fatal(err)
	}
	edit(ev["data"].(map[string]any)["object"].(map[string]any))
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// mapOne maps body as an event of type typ and wants exactly one
// canonical event.
func mapOne(t *testing.T, typ string, body []byte) commerce.Canonical {
	t.Helper()
	evs, err := commerce.Map(stripeRaw(typ, body))
	if err != nil || len(evs) != 1 {
		t.Fatalf("Map(%s) = %d events, %v; want one", typ, len(evs), err)
	}
	return evs[0]
}

const (
	completed = "checkout.session.completed"
	asyncOK   = "checkout.session.async_payment_succeeded"
)

// TestStripeSessionOrder is how a completed Checkout Session reads as an
// order, beyond what the golden fixtures show.
func TestStripeSessionOrder(t *testing.T) {
	t.Run("a completed session awaiting a delayed payment is created, pending, not paid", func(t *testing.T) {
		c := mapOne(t, completed, mutate(t, completed, func(o map[string]any) { o["payment_status"] = "unpaid" }))
		o := c.Data.(*commerce.Order)
		if c.Action != commerce.ActionCreated || o.Status != commerce.OrderPending || o.PlatformStatus != "unpaid" {
			t.Errorf("got %s, status %q (%q); want created, pending (unpaid)", c.Action, o.Status, o.PlatformStatus)
		}
	})
	t.Run("the shop's metadata and the phone entered at checkout are carried", func(t *testing.T) {
		c := mapOne(t, asyncOK, mutate(t, completed, func(o map[string]any) {
			o["metadata"] = map[string]any{"items": "HB-MUG-01:2", "cart": "c-77"}
			o["customer_details"] = map[string]any{"email": "jenny@example.com", "phone": "+15555550100"}
		}))
		o := c.Data.(*commerce.Order)
		if len(o.Metadata) != 2 || o.Metadata["items"] != "HB-MUG-01:2" || o.Metadata["cart"] != "c-77" {
			t.Errorf("metadata %v", o.Metadata)
		}
		if o.Customer == nil || o.Customer.Phone != "+15555550100" {
			t.Errorf("customer %+v, want the phone of customer_details", o.Customer)
		}
		empty := mapOne(t, asyncOK, mutate(t, completed, func(o map[string]any) { o["metadata"] = map[string]any{} }))
		if md := empty.Data.(*commerce.Order).Metadata; md != nil {
			t.Errorf("empty metadata gives %v, want none", md)
		}
	})
	t.Run("a session with nothing to pay is paid", func(t *testing.T) {
		evs, err := commerce.Map(stripeRaw(completed, mutate(t, completed, func(o map[string]any) {
			o["payment_status"], o["amount_total"] = "no_payment_required", 0
		})))
		if err != nil || len(evs) != 2 || evs[1].Action != commerce.ActionPaid {
			t.Fatalf("got %v, %v; want order.created and order.paid", evs, err)
		}
		if o := evs[1].Data.(*commerce.Order); o.Status != commerce.OrderPaid || o.Total != "0.00" {
			t.Errorf("status %q, total %q; want paid, 0.00", o.Status, o.Total)
		}
	})
	t.Run("shipping, tax, discount and customer as a 2025 API version writes them", func(t *testing.T) {
		o := mapOne(t, asyncOK, mutate(t, asyncOK, func(o map[string]any) {
			o["currency"], o["amount_total"], o["amount_subtotal"] = "kwd", 12340, 11000
			o["total_details"] = map[string]any{"amount_discount": 500, "amount_shipping": 1500, "amount_tax": 340}
			o["customer"], o["customer_email"] = "cus_NffrFeUfNV2Hib", "prefilled@example.com"
			o["customer_details"] = map[string]any{"email": "jennyrosen@example.com"}
			o["collected_information"] = map[string]any{"shipping_details": map[string]any{
				"name": "Jenny Rosen", "address": map[string]any{"line1": "510 Townsend St", "line2": nil,
					"city": "San Francisco", "state": "CA", "postal_code": "94103", "country": "US"}}}
			o["shipping_details"] = map[string]any{"name": "Not the newest place"}
		})).Data.(*commerce.Order)
		want := commerce.Order{Currency: "KWD", Total: "12.340", Subtotal: "11.000", Tax: "0.340", Shipping: "1.500", Discount: "0.500"}
		if o.Currency != want.Currency || o.Total != want.Total || o.Subtotal != want.Subtotal ||
			o.Tax != want.Tax || o.Shipping != want.Shipping || o.Discount != want.Discount {
			t.Errorf("money %+v, want %+v", *o, want)
		}
		if o.Customer == nil || *o.Customer != (commerce.Customer{ID: "cus_NffrFeUfNV2Hib", Email: "jennyrosen@example.com"}) {
			t.Errorf("customer %+v; want the id and the email entered at checkout", o.Customer)
		}
		wantAddr := commerce.Address{Name: "Jenny Rosen", Line1: "510 Townsend St", City: "San Francisco",
			Region: "CA", PostalCode: "94103", Country: "US"}
		if o.ShippingAddr == nil || *o.ShippingAddr != wantAddr {
			t.Errorf("shipping address %+v, want %+v", o.ShippingAddr, wantAddr)
		}
	})
	t.Run("the address of API versions before 2025-03-31 and before 2022-08-01", func(t *testing.T) {
		for _, field := range []string{"shipping_details", "shipping"} {
			o := mapOne(t, asyncOK, mutate(t, asyncOK, func(o map[string]any) {
				delete(o, "shipping_details")
				o[field] = map[string]any{"name": "Jenny Rosen", "address": map[string]any{"country": "JP"}}
			})).Data.(*commerce.Order)
			if o.ShippingAddr == nil || *o.ShippingAddr != (commerce.Address{Name: "Jenny Rosen", Country: "JP"}) {
				t.Errorf("%s: shipping address %+v", field, o.ShippingAddr)
			}
		}
	})
	t.Run("a zero-decimal currency", func(t *testing.T) {
		o := mapOne(t, asyncOK, mutate(t, asyncOK, func(o map[string]any) { o["currency"] = "jpy" })).Data.(*commerce.Order)
		if o.Total != "2198" || o.Tax != "0" || o.Currency != "JPY" {
			t.Errorf("total %q, tax %q %s; want 2198, 0 JPY", o.Total, o.Tax, o.Currency)
		}
	})
	t.Run("the customer's email falls back to the one the session was created with", func(t *testing.T) {
		o := mapOne(t, asyncOK, mutate(t, asyncOK, func(o map[string]any) {
			o["customer_email"] = "prefilled@example.com"
			o["customer_details"] = map[string]any{"email": nil}
		})).Data.(*commerce.Order)
		if o.Customer == nil || *o.Customer != (commerce.Customer{Email: "prefilled@example.com"}) {
			t.Errorf("customer %+v", o.Customer)
		}
	})
}

// TestStripePaymentMethod: a method is named only where the payload says
// which one paid.
func TestStripePaymentMethod(t *testing.T) {
	const failed = "payment_intent.payment_failed"
	for _, c := range []struct {
		name string
		edit func(map[string]any)
		want string
	}{
		{"the customer could choose between card and link", func(map[string]any) {}, ""},
		{"only one type was allowed", func(o map[string]any) { o["payment_method_types"] = []any{"sepa_debit"} }, "sepa_debit"},
		{"the failed attempt's payment method", func(o map[string]any) {
			o["last_payment_error"] = map[string]any{"code": "card_declined", "payment_method": map[string]any{"id": "pm_1", "type": "card"}}
		}, "card"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := mapOne(t, failed, mutate(t, failed, c.edit)).Data.(*commerce.Payment)
			if p.Method != c.want {
				t.Errorf("method %q, want %q", p.Method, c.want)
			}
		})
	}
}

// TestStripeSkipped: events that mean no canonical event are skipped, not
// dead-lettered, whatever their payload.
func TestStripeSkipped(t *testing.T) {
	for _, c := range []struct {
		name, typ string
		body      []byte
	}{
		{"a type no canonical event means", "customer.created", []byte(`not json`)},
		{"a cancelled PaymentIntent", "payment_intent.canceled", fixtures(t, "stripe")["payment_intent.succeeded"]},
		{"an expired session", "checkout.session.expired", []byte(`not json`)},
		{"a setup-mode session saves a card, sells nothing", completed,
			mutate(t, completed, func(o map[string]any) { o["mode"] = "setup" })},
		{"the charge of a PaymentIntent", "charge.succeeded",
			mutate(t, "charge.succeeded", func(o map[string]any) { o["payment_intent"] = "pi_3MtweELkdIwHu7ix0Dt0gF2H" })},
		{"charge.refunded without its refunds (API 2022-11-15 and later)", "charge.refunded",
			mutate(t, "charge.refunded", func(o map[string]any) { delete(o, "refunds") })},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, err := commerce.Map(stripeRaw(c.typ, c.body))
			if err != nil || len(evs) != 0 {
				t.Errorf("Map = %v, %v; want nothing", evs, err)
			}
		})
	}
	raw := stripeRaw(completed, fixtures(t, "stripe")[completed])
	raw.Type = "com.shopify.orders.paid"
	if evs, err := commerce.Map(raw); err != nil || len(evs) != 0 {
		t.Errorf("a type without com.stripe.: %v, %v", evs, err)
	}
}

// TestStripeRefunds: every event that carries a Refund tells its state;
// a refund listed without its own currency or payment takes the charge's.
func TestStripeRefunds(t *testing.T) {
	for _, typ := range []string{"refund.updated", "refund.failed", "charge.refund.updated"} {
		body := mutate(t, "refund.created", func(o map[string]any) { o["status"] = "failed" })
		c := mapOne(t, typ, body)
		if r := c.Data.(*commerce.Refund); c.Action != commerce.ActionCreated || r.Status != commerce.RefundFailed || r.Amount != "10.00" {
			t.Errorf("%s: %s.%s %+v", typ, c.Entity, c.Action, r)
		}
	}
	evs, err := commerce.Map(stripeRaw("charge.refunded", mutate(t, "charge.refunded", func(o map[string]any) {
		o["currency"], o["payment_intent"] = "bhd", "pi_1GszsK2eZvKYlo2CfhZyoZLp"
		for _, r := range o["refunds"].(map[string]any)["data"].([]any) {
			delete(r.(map[string]any), "currency")
		}
	})))
	if err != nil || len(evs) != 2 {
		t.Fatalf("Map = %v, %v", evs, err)
	}
	if r := evs[0].Data.(*commerce.Refund); r.Currency != "BHD" || r.Amount != "0.100" || r.PaymentID != "pi_1GszsK2eZvKYlo2CfhZyoZLp" {
		t.Errorf("refund %+v; want 0.100 BHD of pi_1GszsK2eZvKYlo2CfhZyoZLp", r)
	}
}

// TestStripeUnusable: a mapped event whose payload cannot be mapped is an
// error wrapping ErrUnusable, to be dead-lettered with the reason.
func TestStripeUnusable(t *testing.T) {
	set := func(field string, v any) func(map[string]any) {
		return func(o map[string]any) { o[field] = v }
	}
	for _, c := range []struct {
		name, typ string
		body      []byte
		reason    string // a part of the error's text
	}{
		{"not JSON", completed, []byte(`{"id":`), "not a Stripe event"},
		{"an array", completed, []byte(`[]`), "not a Stripe event: a JSON array"},
		{"no data", completed, []byte(`{"id":"evt_1","type":"checkout.session.completed"}`), "data.object"},
		{"data.object is a string", completed, []byte(`{"data":{"object":"cs_test_1"}}`), "data.object"},
		{"the event's created is not a number", completed, []byte(`{"created":"yesterday","data":{"object":{"id":"cs_1"}}}`),
			"created is a JSON string"},
		{"the event's created is negative", completed, []byte(`{"created":-1,"data":{"object":{"id":"cs_1"}}}`), "created"},
		{"no id", completed, mutate(t, completed, func(o map[string]any) { delete(o, "id") }), "without an id"},
		{"an id that is an object", completed, mutate(t, completed, set("id", map[string]any{})), "not a platform id"},
		{"another kind of object", completed, mutate(t, completed, set("object", "charge")), "cs_test_a11YYufWQzNY63zpQ6QSNRQhkUpVph4WRmzW0zWJO2znZKdVujZ0N0S22u is not a checkout.session"},
		{"a fraction of a cent", completed, mutate(t, completed, set("amount_total", json.Number("2198.5"))), "not an integer"},
		{"an amount in words", completed, mutate(t, completed, set("amount_total", "lots")), "amount_total is a JSON string"},
		{"an amount in a string", completed, mutate(t, completed, set("amount_total", "2198")), "amount_total is a JSON string"},
		{"a tax that is an object", completed, mutate(t, completed, set("total_details", map[string]any{"amount_tax": map[string]any{}})),
			"total_details.amount_tax is a JSON object"},
		{"amounts without a currency", completed, mutate(t, completed, set("currency", nil)), "no currency"},
		{"a currency that is not a code", completed, mutate(t, completed, set("currency", "dollars")), "three-letter"},
		{"an email that is a number", completed, mutate(t, completed, set("customer_details", map[string]any{"email": 7})),
			"customer_details.email is a JSON number"},
		{"a payment's created in the year 10000", "payment_intent.succeeded",
			mutate(t, "payment_intent.succeeded", set("created", json.Number("253402300800"))), "Unix seconds"},
		{"a listed refund without an id", "charge.refunded", mutate(t, "charge.refunded", func(o map[string]any) {
			delete(o["refunds"].(map[string]any)["data"].([]any)[1].(map[string]any), "id")
		}), "without an id"},
		{"a refund of an amount in scientific notation", "refund.created",
			mutate(t, "refund.created", set("amount", json.Number("1e3"))), "not an integer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, err := commerce.Map(stripeRaw(c.typ, c.body))
			if !errors.Is(err, commerce.ErrUnusable) {
				t.Fatalf("Map = %v, %v; want an error wrapping ErrUnusable", evs, err)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(c.reason)) {
				t.Errorf("error %q does not say %q", err, c.reason)
			}
		})
	}
}

// TestStripeUnusableKeepsValuesOut: a dead letter's reason is stored, so
// it names what is wrong, never the value, which can be personal data.
func TestStripeUnusableKeepsValuesOut(t *testing.T) {
	const email = "jennyrosen@example.com"
	for _, field := range []string{"amount_total", "created", "currency", "payment_status"} {
		body := mutate(t, completed, func(o map[string]any) {
			o[field] = map[string]any{"email": email}
			if field != "payment_status" {
				o[field] = email
			}
		})
		_, err := commerce.Map(stripeRaw(completed, body))
		if !errors.Is(err, commerce.ErrUnusable) || bytes.Contains([]byte(err.Error()), []byte("jenny")) {
			t.Errorf("%s: %v", field, err)
		}
	}
}

// FuzzStripeMapping: whatever Stripe (or anyone holding the secret) posts,
// the mapping never panics, and it either refuses the payload as unusable
// or gives events whose data marshals, names its platform and source, and
// writes money as decimals (see checkFuzzed).
func FuzzStripeMapping(f *testing.F) {
	fuzzMapping(f, "stripe", stripeRaw,
		"checkout.session.completed", "checkout.session.async_payment_succeeded",
		"checkout.session.async_payment_failed", "checkout.session.expired",
		"payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled",
		"charge.succeeded", "charge.failed", "charge.refunded", "charge.refund.updated",
		"refund.created", "refund.updated", "refund.failed",
	)
}
