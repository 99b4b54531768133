package commerce_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// The bridge's sample deliveries (what `hookbridge send` posts) mean the
// canonical events a real delivery of the same kind would.
func TestSquareAdyenSamples(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for typ, want := range map[string][]string{
		"order.created":   {"order.created"},
		"payment.created": {"payment.succeeded"}, // the sample's payment is COMPLETED
		"refund.updated":  {"refund.created"},
	} {
		body, _, err := sample.Delivery("square", sample.Locators{}, typ, "s-"+typ, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := actions(mapSquare(t, typ, body)); !slices.Equal(got, want) {
			t.Errorf("square %s: %v, want %v", typ, got, want)
		}
	}
	for code, want := range map[string][]string{"AUTHORISATION": {"payment.succeeded"}, "REFUND": {"refund.created"}, "CAPTURE": nil} {
		body, _, err := sample.Delivery("adyen", sample.Locators{}, code, "a-"+code, now)
		if err != nil {
			t.Fatal(err)
		}
		var n struct {
			Items []struct {
				Item json.RawMessage `json:"NotificationRequestItem"`
			} `json:"notificationItems"`
		}
		if err := json.Unmarshal(body, &n); err != nil || len(n.Items) != 1 {
			t.Fatalf("adyen sample: %d items, %v", len(n.Items), err)
		}
		evs, err := commerce.Map(adyenRaw(code, n.Items[0].Item))
		if got := actions(evs); err != nil || !slices.Equal(got, want) {
			t.Errorf("adyen %s: %v, %v; want %v", code, got, err, want)
		}
	}
}
