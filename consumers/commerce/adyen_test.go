package commerce_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// adyenEdit is the Adyen fixture name with edit applied to the item.
func adyenEdit(t *testing.T, name string, edit func(item map[string]any)) []byte {
	t.Helper()
	return editJSON(t, fixtures(t, "adyen")[name], edit)
}

// TestAdyenEventCodes is what each eventCode and outcome means: only an
// authorisation is a payment, and only refunds are refunds.
func TestAdyenEventCodes(t *testing.T) {
	for _, c := range []struct {
		name, fixture, code, success, action string
		want                                 []string
		status                               string
	}{
		{"authorised", "AUTHORISATION", "AUTHORISATION", "true", "", []string{"payment.succeeded"}, commerce.PaymentSucceeded},
		{"refused", "AUTHORISATION", "AUTHORISATION", "false", "", []string{"payment.failed"}, commerce.PaymentFailed},
		{"refunded", "REFUND", "REFUND", "true", "", []string{"refund.created"}, commerce.RefundSucceeded},
		{"refund refused", "REFUND", "REFUND", "false", "", []string{"refund.created"}, commerce.RefundFailed},
		{"refund failed after it was accepted", "REFUND", "REFUND_FAILED", "true", "", []string{"refund.created"}, commerce.RefundFailed},
		{"cancel-or-refund that refunded", "REFUND", "CANCEL_OR_REFUND", "true", "refund", []string{"refund.created"}, commerce.RefundSucceeded},
		{"cancel-or-refund that cancelled", "REFUND", "CANCEL_OR_REFUND", "true", "cancel", nil, ""},
		{"cancel-or-refund that says neither", "REFUND", "CANCEL_OR_REFUND", "true", "", nil, ""},
		{"captured: the authorisation was the payment", "CAPTURE", "CAPTURE", "true", "", nil, ""},
		{"capture failed", "CAPTURE", "CAPTURE_FAILED", "true", "", nil, ""},
		{"cancelled before capture", "CANCELLATION", "CANCELLATION", "true", "", nil, ""},
		{"a report", "CAPTURE", "REPORT_AVAILABLE", "true", "", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := adyenEdit(t, c.fixture, func(it map[string]any) {
				it["eventCode"], it["success"] = c.code, c.success
				if c.action != "" {
					it["additionalData"] = map[string]any{"modification.action": c.action}
				}
			})
			evs, err := commerce.Map(adyenRaw(c.code, body))
			if err != nil || !slices.Equal(actions(evs), c.want) {
				t.Fatalf("Map = %v, %v; want %v", actions(evs), err, c.want)
			}
			for _, e := range evs {
				if status := dataStatus(e.Data); status != c.status {
					t.Errorf("status %q, want %q", status, c.status)
				}
			}
		})
	}
}

// TestAdyenReferences: a payment is its pspReference and its order the
// merchantReference; a refund names its payment (originalReference), not
// an order.
func TestAdyenReferences(t *testing.T) {
	evs, err := commerce.Map(adyenRaw("AUTHORISATION", fixtures(t, "adyen")["AUTHORISATION"]))
	if p := evs[0].Data.(*commerce.Payment); err != nil || p.ID != "123456789" || p.OrderID != "8313842560770001" || evs[0].Subject != p.ID {
		t.Errorf("payment %+v, %v", p, err)
	}
	evs, err = commerce.Map(adyenRaw("REFUND", fixtures(t, "adyen")["REFUND"]))
	if r := evs[0].Data.(*commerce.Refund); err != nil || r.ID != "PSP_REFERENCE" || r.PaymentID != "ORIGINAL_PSP" || r.OrderID != "" {
		t.Errorf("refund %+v, %v", r, err)
	}
}

// TestAdyenMoney: Adyen's minor units, by Adyen's own table of decimals
// where it differs from ISO 4217.
func TestAdyenMoney(t *testing.T) {
	for _, c := range []struct {
		value, currency, want string
	}{
		{"10100", "EUR", "101.00"},
		{"500", "JPY", "500"},
		{"150000", "IDR", "150000"}, // none in Adyen's table, two in ISO 4217
		{"1000", "CVE", "1000"},     // the same
		{"1000", "CLP", "10.00"},    // two in Adyen's table, none in ISO 4217
		{"1250", "KWD", "1.250"},
		{"5", "LYD", "0.005"},
		{"0", "USD", "0.00"},
	} {
		body := adyenEdit(t, "AUTHORISATION", func(it map[string]any) {
			it["amount"] = map[string]any{"value": json.Number(c.value), "currency": c.currency}
		})
		evs, err := commerce.Map(adyenRaw("AUTHORISATION", body))
		if p := evs[0].Data.(*commerce.Payment); err != nil || p.Amount != c.want || p.Currency != c.currency {
			t.Errorf("%s %s: %q %q, %v; want %q", c.value, c.currency, p.Amount, p.Currency, err, c.want)
		}
	}
	body := adyenEdit(t, "REFUND", func(it map[string]any) { delete(it, "amount") })
	if evs, err := commerce.Map(adyenRaw("REFUND", body)); err != nil || evs[0].Data.(*commerce.Refund).Amount != "" {
		t.Errorf("no amount: %v, %v; want an absent amount", evs, err)
	}
}

// TestAdyenUnusable: a mapped eventCode whose item cannot be read is
// refused with ErrUnusable, never skipped.
func TestAdyenUnusable(t *testing.T) {
	edit := func(f func(it map[string]any)) []byte { return adyenEdit(t, "AUTHORISATION", f) }
	for name, body := range map[string][]byte{
		"not JSON":                       []byte(`{"eventCode":`),
		"an array":                       []byte(`[]`),
		"no pspReference":                edit(func(it map[string]any) { delete(it, "pspReference") }),
		"a pspReference that is no id":   edit(func(it map[string]any) { it["pspReference"] = true }),
		"success neither true nor false": edit(func(it map[string]any) { it["success"] = true }),
		"an eventDate not RFC 3339":      edit(func(it map[string]any) { it["eventDate"] = "19.01.2017 16:42" }),
		"a value in a string":            edit(func(it map[string]any) { it["amount"] = map[string]any{"value": "10100", "currency": "EUR"} }),
		"a value with a fraction": edit(func(it map[string]any) {
			it["amount"] = map[string]any{"value": json.Number("101.00"), "currency": "EUR"}
		}),
		"a value without a currency": edit(func(it map[string]any) { it["amount"] = map[string]any{"value": json.Number("10100")} }),
		"a currency that is not one": edit(func(it map[string]any) { it["amount"] = map[string]any{"value": json.Number("1"), "currency": "EURO"} }),
	} {
		t.Run(name, func(t *testing.T) {
			if evs, err := commerce.Map(adyenRaw("AUTHORISATION", body)); !errors.Is(err, commerce.ErrUnusable) {
				t.Errorf("Map = %v, %v; want ErrUnusable", evs, err)
			}
		})
	}
	raw := adyenRaw("AUTHORISATION", fixtures(t, "adyen")["AUTHORISATION"])
	raw.Type = "AUTHORISATION"
	if evs, err := commerce.Map(raw); err != nil || len(evs) != 0 {
		t.Errorf("a type without com.adyen.: %v, %v; want nothing", evs, err)
	}
}

// FuzzAdyenMapping: whatever item is posted with Adyen's signatures, the
// mapping keeps checkFuzzed's promises and never panics.
func FuzzAdyenMapping(f *testing.F) {
	fuzzMapping(f, "adyen", adyenRaw, "AUTHORISATION", "REFUND", "REFUND_FAILED", "CANCEL_OR_REFUND", "CAPTURE", "CANCELLATION")
}
