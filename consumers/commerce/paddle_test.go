package commerce_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// paddleRaw is a Paddle notification of type typ as the normaliser reads it.
func paddleRaw(typ string, body []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "paddle", Source: "acme-billing", ID: "evt_01h8e1jxjnw9ra6zarhnz1a7y1",
		Type: "com.paddle." + typ, EvSource: "https://paddle.com",
		Time: time.Date(2023, 8, 22, 7, 15, 45, 0, time.UTC), Data: body,
	}
}

// paddleData edits the data object of a notification.
func paddleData(edit func(data map[string]any)) func(map[string]any) {
	return func(m map[string]any) { edit(m["data"].(map[string]any)) }
}

// TestPaddleCases: amounts in the lowest denomination become major units
// with the currency's decimals; payloads that cannot be read are
// unusable; adjustments that are not refunds and unmapped types are skipped.
func TestPaddleCases(t *testing.T) {
	currency := func(code string) func(map[string]any) {
		return paddleData(func(d map[string]any) {
			d["currency_code"] = code
			d["details"].(map[string]any)["totals"].(map[string]any)["grand_total"] = "123456"
		})
	}
	for _, c := range []struct {
		name, fixture string
		edit          func(map[string]any)
		wantErr       bool
		wantEvents    int
		wantTotal     string
	}{
		{name: "USD has cents", fixture: "transaction.paid", edit: currency("USD"), wantEvents: 2, wantTotal: "1234.56"},
		{name: "JPY has no decimals", fixture: "transaction.paid", edit: currency("JPY"), wantEvents: 2, wantTotal: "123456"},
		{name: "KWD has three", fixture: "transaction.paid", edit: currency("KWD"), wantEvents: 2, wantTotal: "123.456"},
		{name: "lower-case currency", fixture: "transaction.paid", edit: currency("gbp"), wantEvents: 2, wantTotal: "1234.56"},
		{name: "no grand_total: total", fixture: "transaction.paid", edit: paddleData(func(d map[string]any) {
			delete(d["details"].(map[string]any)["totals"].(map[string]any), "grand_total")
		}), wantEvents: 2, wantTotal: "898.80"},
		{name: "amount with a point", fixture: "transaction.paid", edit: paddleData(func(d map[string]any) {
			d["details"].(map[string]any)["totals"].(map[string]any)["tax"] = "149.80"
		}), wantErr: true},
		{name: "amount as a number", fixture: "transaction.paid", edit: paddleData(func(d map[string]any) {
			d["details"].(map[string]any)["totals"].(map[string]any)["tax"] = json.Number("14980")
		}), wantErr: true},
		{name: "payment amount not an integer", fixture: "transaction.paid", edit: paddleData(func(d map[string]any) {
			d["payments"].([]any)[0].(map[string]any)["amount"] = "1e5"
		}), wantErr: true},
		{name: "bad currency", fixture: "transaction.paid", edit: paddleData(func(d map[string]any) { d["currency_code"] = "POUND" }), wantErr: true},
		{name: "no id", fixture: "transaction.completed", edit: paddleData(func(d map[string]any) { delete(d, "id") }), wantErr: true},
		{name: "bad time", fixture: "transaction.completed", edit: func(m map[string]any) { m["occurred_at"] = "yesterday" }, wantErr: true},
		{name: "data not an object", fixture: "transaction.completed", edit: func(m map[string]any) { m["data"] = []any{} }, wantErr: true},
		{name: "no payments: order only", fixture: "transaction.paid", edit: paddleData(func(d map[string]any) { delete(d, "payments") }), wantEvents: 1, wantTotal: "898.80"},
		{name: "failed without a failed attempt", fixture: "transaction.payment_failed", edit: paddleData(func(d map[string]any) { d["payments"] = []any{} })},
		{name: "credit adjustment", fixture: "adjustment.created", edit: paddleData(func(d map[string]any) { d["action"] = "credit" })},
		{name: "refund amount not an integer", fixture: "adjustment.updated", edit: paddleData(func(d map[string]any) {
			d["totals"].(map[string]any)["total"] = "1.00"
		}), wantErr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := editedFixture(t, "paddle", c.fixture, c.edit)
			evs, err := commerce.Map(paddleRaw(c.fixture, body))
			if c.wantErr {
				if !errors.Is(err, commerce.ErrUnusable) || evs != nil {
					t.Fatalf("Map = %v, %v; want an error wrapping ErrUnusable", evs, err)
				}
				return
			}
			if err != nil || len(evs) != c.wantEvents {
				t.Fatalf("Map = %d events, %v; want %d", len(evs), err, c.wantEvents)
			}
			if c.wantTotal != "" {
				if o := evs[0].Data.(*commerce.Order); o.Total != c.wantTotal {
					t.Errorf("total %q, want %q", o.Total, c.wantTotal)
				}
			}
		})
	}
}

// TestPaddleSkipped: a type that means no canonical event is skipped even
// when its payload cannot be read.
func TestPaddleSkipped(t *testing.T) {
	for _, typ := range []string{"transaction.created", "transaction.billed", "subscription.created", "adjustment"} {
		if evs, err := commerce.Map(paddleRaw(typ, []byte("not json"))); err != nil || evs != nil {
			t.Errorf("%s: Map = %v, %v; want nothing", typ, evs, err)
		}
	}
}

// FuzzPaddleMapping holds the Paddle mapping to its contract on any body
// under any mapped type (see checkFuzzedEvents).
func FuzzPaddleMapping(f *testing.F) {
	types := []string{
		"transaction.paid", "transaction.completed", "transaction.payment_failed",
		"adjustment.created", "adjustment.updated", "transaction.created",
	}
	for name, body := range fixtures(f, "paddle") {
		f.Add(uint8(slices.Index(types, fixtureType(name))), body)
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		raw := paddleRaw(types[int(which)%len(types)], body)
		evs, err := commerce.Map(raw)
		checkFuzzedEvents(t, raw, evs, err)
	})
}
