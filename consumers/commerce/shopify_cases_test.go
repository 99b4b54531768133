package commerce_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// shopifyOrderOf maps an orders/updated payload made from the #1001 order
// with edit applied, and is its order data or the error.
func shopifyOrderOf(t *testing.T, edit func(map[string]any)) (*commerce.Order, error) {
	t.Helper()
	got, err := commerce.Map(shopifyRaw("orders.updated", shopifyPayload(t, "orders.updated", edit)))
	if err != nil {
		return nil, err
	}
	if len(got) != 1 {
		t.Fatalf("%d events, want 1", len(got))
	}
	return got[0].Data.(*commerce.Order), nil
}

// shopifyMapped reports whether a case's events are there to check: it
// fails t when err is not the ErrUnusable a case wants, or is an error a
// case does not want.
func shopifyMapped(t *testing.T, name string, err error, wantErr bool) bool {
	t.Helper()
	switch {
	case wantErr && !errors.Is(err, commerce.ErrUnusable):
		t.Errorf("%s: %v, want ErrUnusable", name, err)
	case !wantErr && err != nil:
		t.Errorf("%s: %v", name, err)
	}
	return !wantErr && err == nil
}

// TestShopifyOrderStatus: Shopify keeps an order's state in three fields;
// the canonical status reads them in one order of precedence, and the
// platform status is the financial status as Shopify wrote it.
func TestShopifyOrderStatus(t *testing.T) {
	for _, c := range []struct {
		financial, fulfillment any
		cancelledAt            any
		want                   string
	}{
		{"pending", nil, nil, commerce.OrderPending},
		{"authorized", nil, nil, commerce.OrderPending},
		{"partially_paid", nil, nil, commerce.OrderPending},
		{"paid", nil, nil, commerce.OrderPaid},
		{"paid", "partial", nil, commerce.OrderPaid},
		{"paid", "fulfilled", nil, commerce.OrderFulfilled},
		{"pending", "fulfilled", nil, commerce.OrderFulfilled},
		{"partially_refunded", "fulfilled", nil, commerce.OrderPartiallyRefunded},
		{"refunded", "fulfilled", nil, commerce.OrderRefunded},
		{"refunded", nil, "2021-12-31T19:00:00-05:00", commerce.OrderCancelled},
		{"paid", nil, "2021-12-31T19:00:00-05:00", commerce.OrderCancelled},
		{"voided", nil, nil, commerce.OrderCancelled},
		{"expired", nil, nil, commerce.OrderFailed},
		{"something_new", nil, nil, ""},
		{nil, nil, nil, ""},
		{nil, "fulfilled", nil, commerce.OrderFulfilled},
	} {
		o, err := shopifyOrderOf(t, func(m map[string]any) {
			m["financial_status"], m["fulfillment_status"], m["cancelled_at"] = c.financial, c.fulfillment, c.cancelledAt
		})
		if err != nil {
			t.Fatal(err)
		}
		wantPlatform, _ := c.financial.(string)
		if o.Status != c.want || o.PlatformStatus != wantPlatform {
			t.Errorf("financial %v, fulfillment %v, cancelled_at %v: status %q (%q), want %q (%q)",
				c.financial, c.fulfillment, c.cancelledAt, o.Status, o.PlatformStatus, c.want, wantPlatform)
		}
	}
}

// TestShopifyOrderMoney: Shopify writes amounts as decimal strings in the
// shop's currency, with as many decimals as the currency has; they are
// kept exactly as written, whatever the currency, and never pass through a
// float. What is not a plain decimal is refused.
func TestShopifyOrderMoney(t *testing.T) {
	for _, c := range []struct {
		name           string
		currency       any
		total          any // nil: null; absent: deleted
		wantTotal      string
		wantCurrency   string
		wantErr        bool
		deleteTotalKey bool
	}{
		{name: "cents", currency: "USD", total: "598.94", wantTotal: "598.94", wantCurrency: "USD"},
		{name: "trailing zeros kept", currency: "USD", total: "199.00", wantTotal: "199.00", wantCurrency: "USD"},
		{name: "zero-decimal yen", currency: "JPY", total: "64900", wantTotal: "64900", wantCurrency: "JPY"},
		{name: "three-decimal dinar", currency: "KWD", total: "12.345", wantTotal: "12.345", wantCurrency: "KWD"},
		{name: "lower-case currency", currency: "eur", total: "5.00", wantTotal: "5.00", wantCurrency: "EUR"},
		{name: "negative", currency: "USD", total: "-5.00", wantTotal: "-5.00", wantCurrency: "USD"},
		{name: "zero", currency: "USD", total: "0.00", wantTotal: "0.00", wantCurrency: "USD"},
		{name: "beyond float64", currency: "USD", total: "90071992547409931234.01", wantTotal: "90071992547409931234.01", wantCurrency: "USD"},
		{name: "a JSON number, as written", currency: "USD", total: json.Number("598.940"), wantTotal: "598.940", wantCurrency: "USD"},
		{name: "null", currency: "USD", total: nil, wantCurrency: "USD"},
		{name: "empty", currency: "USD", total: "", wantCurrency: "USD"},
		{name: "absent", currency: "USD", deleteTotalKey: true, wantCurrency: "USD"},
		{name: "no currency", currency: nil, total: "598.94", wantTotal: "598.94"},
		{name: "exponent", currency: "USD", total: json.Number("5.9894e2"), wantErr: true},
		{name: "decimal comma", currency: "EUR", total: "598,94", wantErr: true},
		{name: "grouping", currency: "USD", total: "1,598.94", wantErr: true},
		{name: "leading point", currency: "USD", total: ".94", wantErr: true},
		{name: "trailing point", currency: "USD", total: "598.", wantErr: true},
		{name: "leading zero", currency: "USD", total: "0598.94", wantErr: true},
		{name: "a zero before the point", currency: "USD", total: "0.94", wantTotal: "0.94", wantCurrency: "USD"},
		{name: "plus sign", currency: "USD", total: "+598.94", wantErr: true},
		{name: "with a symbol", currency: "USD", total: "$598.94", wantErr: true},
		{name: "boolean", currency: "USD", total: true, wantErr: true},
		{name: "currency a name", currency: "US Dollar", total: "598.94", wantErr: true},
		{name: "currency two letters", currency: "US", total: "598.94", wantErr: true},
	} {
		o, err := shopifyOrderOf(t, func(m map[string]any) {
			m["currency"], m["total_price"] = c.currency, c.total
			if c.deleteTotalKey {
				delete(m, "total_price")
			}
		})
		if !shopifyMapped(t, c.name, err, c.wantErr) {
			continue
		}
		if o.Total != c.wantTotal || o.Currency != c.wantCurrency {
			t.Errorf("%s: total %q %q, want %q %q", c.name, o.Total, o.Currency, c.wantTotal, c.wantCurrency)
		}
	}
}

// TestShopifyRefundMoney: a refund's money is what its refund transactions
// sent back (Shopify writes no total on a refund), added exactly, in the
// currency they name; its status is theirs.
func TestShopifyRefundMoney(t *testing.T) {
	tx := func(kind, status, amount string, currency, parent any) map[string]any {
		return map[string]any{"id": json.Number("1068278484"), "kind": kind, "status": status,
			"amount": amount, "currency": currency, "parent_id": parent}
	}
	for _, c := range []struct {
		name                     string
		txs                      []any
		amount, currency, status string
		payment                  string
		wantErr                  bool
	}{
		{name: "one, as written", txs: []any{tx("refund", "success", "5.00", "USD", json.Number("801038806"))},
			amount: "5.00", currency: "USD", status: "succeeded", payment: "801038806"},
		{name: "two added", txs: []any{tx("refund", "success", "75.00", "USD", json.Number("1")), tx("refund", "success", "10.5", "USD", json.Number("1"))},
			amount: "85.50", currency: "USD", status: "succeeded", payment: "1"},
		{name: "zero-decimal yen", txs: []any{tx("refund", "success", "1000", "JPY", nil), tx("refund", "success", "500", "JPY", nil)},
			amount: "1500", currency: "JPY", status: "succeeded"},
		{name: "three-decimal dinar", txs: []any{tx("refund", "success", "1.250", "KWD", nil), tx("refund", "success", "0.005", "KWD", nil)},
			amount: "1.255", currency: "KWD", status: "succeeded"},
		{name: "two payments: none named", txs: []any{tx("refund", "success", "1.00", "USD", json.Number("1")), tx("refund", "success", "2.00", "USD", json.Number("2"))},
			amount: "3.00", currency: "USD", status: "succeeded"},
		{name: "pending counts and wins", txs: []any{tx("refund", "success", "1.00", "USD", nil), tx("refund", "pending", "2.00", "USD", nil)},
			amount: "3.00", currency: "USD", status: "pending"},
		{name: "failed one left out", txs: []any{tx("refund", "success", "1.00", "USD", nil), tx("refund", "failure", "2.00", "USD", nil)},
			amount: "1.00", currency: "USD", status: "succeeded"},
		{name: "all failed: what was tried", txs: []any{tx("refund", "failure", "1.00", "USD", nil), tx("refund", "error", "2.00", "USD", nil)},
			amount: "3.00", currency: "USD", status: "failed"},
		{name: "other kinds are not the refund's money", txs: []any{tx("refund", "success", "1.00", "USD", nil), tx("suggested_refund", "success", "9.00", "USD", nil)},
			amount: "1.00", currency: "USD", status: "succeeded"},
		{name: "no currency named", txs: []any{tx("refund", "success", "75.00", nil, nil)},
			amount: "75.00", status: "succeeded"},
		{name: "an amount missing", txs: []any{tx("refund", "success", "1.00", "USD", nil), tx("refund", "success", "", "USD", nil)},
			currency: "USD", status: "succeeded"},
		{name: "no money moved", txs: []any{}, status: "succeeded"},
		{name: "several currencies", txs: []any{tx("refund", "success", "1.00", "USD", nil), tx("refund", "success", "1.00", "EUR", nil)}, wantErr: true},
		{name: "amount not a decimal", txs: []any{tx("refund", "success", "1e2", "USD", nil)}, wantErr: true},
	} {
		data := shopifyPayload(t, "refunds.create-shipping", func(m map[string]any) { m["transactions"] = c.txs })
		got, err := commerce.Map(shopifyRaw("refunds.create", data))
		if !shopifyMapped(t, c.name, err, c.wantErr) {
			continue
		}
		r := got[0].Data.(*commerce.Refund)
		if r.Amount != c.amount || r.Currency != c.currency || r.Status != c.status || r.PaymentID != c.payment {
			t.Errorf("%s: %q %q %q payment %q, want %q %q %q payment %q",
				c.name, r.Amount, r.Currency, r.Status, r.PaymentID, c.amount, c.currency, c.status, c.payment)
		}
	}
}

// TestShopifyPayments: a transaction is a payment event when money moved
// or an attempt to move it failed.
func TestShopifyPayments(t *testing.T) {
	for _, c := range []struct{ kind, status, want string }{
		{"capture", "success", "payment.succeeded"},
		{"sale", "success", "payment.succeeded"},
		{"capture", "failure", "payment.failed"},
		{"sale", "error", "payment.failed"},
		{"authorization", "failure", "payment.failed"},
		{"authorization", "success", ""},
		{"sale", "pending", ""},
		{"void", "success", ""},
		{"refund", "success", ""},
		{"change", "success", ""},
	} {
		data := shopifyPayload(t, "order_transactions.create-capture", func(m map[string]any) { m["kind"], m["status"] = c.kind, c.status })
		got, err := commerce.Map(shopifyRaw("order_transactions.create", data))
		if err != nil {
			t.Fatalf("%s %s: %v", c.kind, c.status, err)
		}
		var kind string
		if len(got) == 1 {
			p := got[0].Data.(*commerce.Payment)
			kind = got[0].Entity + "." + got[0].Action
			if p.Status != got[0].Action || p.Amount != "10.00" || p.Method != "bogus" || got[0].Subject != "1068278465" {
				t.Errorf("%s %s: %+v", c.kind, c.status, p)
			}
		}
		if kind != c.want || len(got) > 1 {
			t.Errorf("%s %s: %d events (%s), want %q", c.kind, c.status, len(got), kind, c.want)
		}
	}
}

// TestShopifyShippingFacts: what a shipping team needs of an order, read
// from Shopify's own fields: which lines ship, the tracking of every
// successful fulfillment, and the phone the order was placed with.
func TestShopifyShippingFacts(t *testing.T) {
	o, err := shopifyOrderOf(t, func(p map[string]any) {
		p["phone"] = "+15555550100"
		lines := p["line_items"].([]any)
		lines[0].(map[string]any)["requires_shipping"] = false
		delete(lines[1].(map[string]any), "requires_shipping")
		p["fulfillments"] = []any{
			map[string]any{"status": "success", "tracking_company": "UPS", "tracking_number": "1Z2345", "tracking_url": "https://ups.example/1Z2345"},
			map[string]any{"status": "failure", "tracking_company": "USPS", "tracking_number": "9400"},
			map[string]any{"status": "success", "tracking_number": ""},
			map[string]any{"status": "success", "tracking_company": "DHL", "tracking_number": "JD01"},
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if rs := o.LineItems[0].RequiresShipping; rs == nil || *rs {
		t.Errorf("line 0 requires_shipping = %v, want false", rs)
	}
	if rs := o.LineItems[1].RequiresShipping; rs != nil {
		t.Errorf("line 1 requires_shipping = %v, want absent (Shopify did not say)", *rs)
	}
	want := []commerce.Tracking{{Company: "UPS", Number: "1Z2345", URL: "https://ups.example/1Z2345"}, {Company: "DHL", Number: "JD01"}}
	if !slices.Equal(o.Tracking, want) {
		t.Errorf("tracking %+v, want %+v (successful fulfillments with a number)", o.Tracking, want)
	}
	if o.Customer == nil || o.Customer.Phone != "+15555550100" {
		t.Errorf("customer %+v, want the order's phone", o.Customer)
	}
}
