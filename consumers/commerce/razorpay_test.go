package commerce_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// razorpayRaw is a Razorpay event of type typ as the normaliser reads it:
// the bridge takes the CloudEvent source from the body's account_id.
func razorpayRaw(typ string, body []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "razorpay", Source: "acme-rzp", ID: "KWNFMHDmmVFxPR",
		Type: "com.razorpay." + typ, EvSource: "acc_BFQ7uQEaa7j2z7",
		Time: time.Date(2019, 9, 5, 9, 3, 26, 0, time.UTC), Data: body,
	}
}

// razorpayEntity edits payload.<name>.entity of an event.
func razorpayEntity(name string, edit func(e map[string]any)) func(map[string]any) {
	return func(m map[string]any) {
		edit(m["payload"].(map[string]any)[name].(map[string]any)["entity"].(map[string]any))
	}
}

// TestRazorpayCases: integer amounts in the smallest sub-unit become major
// units with the currency's decimals; payloads that cannot be read are
// unusable.
func TestRazorpayCases(t *testing.T) {
	amount := func(n any, currency string) func(map[string]any) {
		return razorpayEntity("payment", func(e map[string]any) { e["amount"], e["currency"] = n, currency })
	}
	for _, c := range []struct {
		name, fixture string
		edit          func(map[string]any)
		wantErr       bool
		wantAmount    string
	}{
		{name: "INR in paise", fixture: "payment.captured", edit: amount(json.Number("29900"), "INR"), wantAmount: "299.00"},
		{name: "one paisa", fixture: "payment.captured", edit: amount(json.Number("1"), "INR"), wantAmount: "0.01"},
		{name: "JPY has no decimals", fixture: "payment.captured", edit: amount(json.Number("295"), "JPY"), wantAmount: "295"},
		{name: "KWD has three", fixture: "payment.captured", edit: amount(json.Number("295990"), "KWD"), wantAmount: "295.990"},
		{name: "amount beyond float64", fixture: "payment.captured", edit: amount(json.Number("123456789012345678901"), "INR"), wantAmount: "1234567890123456789.01"},
		{name: "amount as a string", fixture: "payment.captured", edit: amount("29900", "INR"), wantErr: true},
		{name: "amount with a fraction", fixture: "payment.captured", edit: amount(json.Number("299.5"), "INR"), wantErr: true},
		{name: "no currency", fixture: "payment.failed", edit: amount(json.Number("100"), ""), wantErr: true},
		{name: "no payment id", fixture: "payment.failed", edit: razorpayEntity("payment", func(e map[string]any) { delete(e, "id") }), wantErr: true},
		{name: "no payment", fixture: "payment.captured", edit: func(m map[string]any) { delete(m, "payload") }, wantErr: true},
		{name: "no order", fixture: "order.paid", edit: func(m map[string]any) { delete(m["payload"].(map[string]any), "order") }, wantErr: true},
		{name: "bad created_at", fixture: "refund.processed", edit: func(m map[string]any) { m["created_at"] = "today" }, wantErr: true},
		{name: "refund amount as a float", fixture: "refund.created", edit: razorpayEntity("refund", func(e map[string]any) { e["amount"] = json.Number("5e4") }), wantErr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkPaymentAmount(t, razorpayRaw(c.fixture, editedFixture(t, "razorpay", c.fixture, c.edit)), c.wantErr, c.wantAmount)
		})
	}
}

// TestRazorpayRefundOrder: a refund names the order of the payment carried
// beside it, and only of that payment.
func TestRazorpayRefundOrder(t *testing.T) {
	other := editedFixture(t, "razorpay", "refund.processed", razorpayEntity("payment", func(e map[string]any) { e["id"] = "pay_Other" }))
	evs, err := commerce.Map(razorpayRaw("refund.processed", other))
	if err != nil || len(evs) != 1 {
		t.Fatalf("Map = %v, %v", evs, err)
	}
	if r := evs[0].Data.(*commerce.Refund); r.OrderID != "" || r.PaymentID != "pay_FPoJKWQQ8lK13n" {
		t.Errorf("order %q, payment %q: want no order, the refund's own payment", r.OrderID, r.PaymentID)
	}
}

// TestRazorpaySkipped: a type that means no canonical event is skipped even
// when its payload cannot be read.
func TestRazorpaySkipped(t *testing.T) {
	for _, typ := range []string{"payment.authorized", "refund.speed_changed", "payment.downtime.started", "order"} {
		if evs, err := commerce.Map(razorpayRaw(typ, []byte("not json"))); err != nil || evs != nil {
			t.Errorf("%s: Map = %v, %v; want nothing", typ, evs, err)
		}
	}
}

// FuzzRazorpayMapping holds the Razorpay mapping to its contract on any
// body under any mapped type (see checkFuzzedEvents).
func FuzzRazorpayMapping(f *testing.F) {
	types := []string{
		"payment.captured", "payment.failed", "order.paid",
		"refund.created", "refund.processed", "refund.failed", "payment.authorized",
	}
	for name, body := range fixtures(f, "razorpay") {
		f.Add(uint8(slices.Index(types, fixtureType(name))), body)
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		raw := razorpayRaw(types[int(which)%len(types)], body)
		evs, err := commerce.Map(raw)
		checkFuzzedEvents(t, raw, evs, err)
	})
}
