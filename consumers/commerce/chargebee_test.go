package commerce_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// chargebeeRaw is a Chargebee event of type typ as the normaliser reads it:
// a Chargebee event names no site, so the bridge gives the CloudEvent
// source /<kind>/<source name>.
func chargebeeRaw(typ string, body []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "chargebee", Source: "acme-cb", ID: "ev_AzqYRySIstMN16O",
		Type: "com.chargebee." + typ, EvSource: "/chargebee/acme-cb",
		Time: time.Date(2020, 12, 11, 17, 35, 3, 0, time.UTC), Data: body,
	}
}

// chargebeeTxn edits content.transaction of an event.
func chargebeeTxn(edit func(e map[string]any)) func(map[string]any) {
	return func(m map[string]any) {
		edit(m["content"].(map[string]any)["transaction"].(map[string]any))
	}
}

// TestChargebeeCases: integer amounts in minor units become major units
// with the currency's decimals; payloads that cannot be read are unusable.
func TestChargebeeCases(t *testing.T) {
	amount := func(n any, currency string) func(map[string]any) {
		return chargebeeTxn(func(e map[string]any) { e["amount"], e["currency_code"] = n, currency })
	}
	for _, c := range []struct {
		name, fixture string
		edit          func(map[string]any)
		wantErr       bool
		wantAmount    string
	}{
		{name: "USD in cents", fixture: "payment_succeeded", edit: amount(json.Number("450000"), "USD"), wantAmount: "4500.00"},
		{name: "one cent", fixture: "payment_failed", edit: amount(json.Number("1"), "USD"), wantAmount: "0.01"},
		{name: "JPY has no decimals", fixture: "payment_succeeded", edit: amount(json.Number("295"), "JPY"), wantAmount: "295"},
		{name: "KWD has three", fixture: "payment_succeeded", edit: amount(json.Number("295990"), "KWD"), wantAmount: "295.990"},
		{name: "lower-case currency", fixture: "payment_succeeded", edit: amount(json.Number("224"), "eur"), wantAmount: "2.24"},
		{name: "amount beyond float64", fixture: "payment_succeeded", edit: amount(json.Number("123456789012345678901"), "USD"), wantAmount: "1234567890123456789.01"},
		{name: "amount as a string", fixture: "payment_succeeded", edit: amount("450000", "USD"), wantErr: true},
		{name: "amount with a fraction", fixture: "payment_succeeded", edit: amount(json.Number("4500.5"), "USD"), wantErr: true},
		{name: "no currency", fixture: "payment_failed", edit: amount(json.Number("224"), ""), wantErr: true},
		{name: "bad currency", fixture: "payment_failed", edit: amount(json.Number("224"), "US$"), wantErr: true},
		{name: "no transaction id", fixture: "payment_failed", edit: chargebeeTxn(func(e map[string]any) { delete(e, "id") }), wantErr: true},
		{name: "bad transaction date", fixture: "payment_succeeded", edit: chargebeeTxn(func(e map[string]any) { e["date"] = "today" }), wantErr: true},
		{name: "no transaction", fixture: "payment_succeeded", edit: func(m map[string]any) { delete(m["content"].(map[string]any), "transaction") }, wantErr: true},
		{name: "no content", fixture: "payment_refunded", edit: func(m map[string]any) { delete(m, "content") }, wantErr: true},
		{name: "bad occurred_at", fixture: "refund_initiated", edit: func(m map[string]any) { m["occurred_at"] = "today" }, wantErr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkPaymentAmount(t, chargebeeRaw(c.fixture, editedFixture(t, "chargebee", c.fixture, c.edit)), c.wantErr, c.wantAmount)
		})
	}
}

// checkPaymentAmount maps raw and checks that it is unusable (wantErr) or
// that it is one payment of amount want.
func checkPaymentAmount(t *testing.T, raw commerce.Raw, wantErr bool, want string) {
	t.Helper()
	evs, err := commerce.Map(raw)
	if wantErr {
		if !errors.Is(err, commerce.ErrUnusable) || evs != nil {
			t.Fatalf("Map = %v, %v; want an error wrapping ErrUnusable", evs, err)
		}
		return
	}
	if err != nil || len(evs) != 1 {
		t.Fatalf("Map = %d events, %v; want 1", len(evs), err)
	}
	if p, ok := evs[0].Data.(*commerce.Payment); !ok || p.Amount != want {
		t.Errorf("data %+v, want a payment of %q", evs[0].Data, want)
	}
}

// TestChargebeeRefundStatus: a refund's state is the refund transaction's
// status at the event.
func TestChargebeeRefundStatus(t *testing.T) {
	for status, want := range map[string]string{
		"success": commerce.RefundSucceeded, "in_progress": commerce.RefundPending,
		"needs_attention": commerce.RefundPending, "failure": commerce.RefundFailed,
		"voided": commerce.RefundFailed, "timeout": commerce.RefundFailed, "new": commerce.RefundPending,
	} {
		body := editedFixture(t, "chargebee", "payment_refunded", chargebeeTxn(func(e map[string]any) { e["status"] = status }))
		evs, err := commerce.Map(chargebeeRaw("payment_refunded", body))
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s: Map = %v, %v", status, evs, err)
		}
		if r := evs[0].Data.(*commerce.Refund); r.Status != want {
			t.Errorf("%s: refund status %q, want %q", status, r.Status, want)
		}
	}
}

// TestChargebeeSkipped: a type that means no canonical event is skipped
// even when its payload cannot be read.
func TestChargebeeSkipped(t *testing.T) {
	for _, typ := range []string{"payment_initiated", "invoice_generated", "subscription_created", "transaction_created", "payment"} {
		if evs, err := commerce.Map(chargebeeRaw(typ, []byte("not json"))); err != nil || evs != nil {
			t.Errorf("%s: Map = %v, %v; want nothing", typ, evs, err)
		}
	}
}

// FuzzChargebeeMapping holds the Chargebee mapping to its contract on any
// body under any mapped type (see checkFuzzedEvents).
func FuzzChargebeeMapping(f *testing.F) {
	types := []string{"payment_succeeded", "payment_failed", "payment_refunded", "refund_initiated", "payment_initiated"}
	for name, body := range fixtures(f, "chargebee") {
		f.Add(uint8(max(slices.Index(types, fixtureType(name)), 0)), body)
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		raw := chargebeeRaw(types[int(which)%len(types)], body)
		evs, err := commerce.Map(raw)
		checkFuzzedEvents(t, raw, evs, err)
	})
}
