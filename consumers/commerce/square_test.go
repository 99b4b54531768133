package commerce_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// editJSON is body with edit applied to the object at path (numbers kept
// as written).
func editJSON(t testing.TB, body []byte, edit func(obj map[string]any), path ...string) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	obj := doc
	for _, p := range path {
		obj = obj[p].(map[string]any)
	}
	edit(obj)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// squareEdit is the Square fixture name with edit applied to the object
// under data.object (key: order_updated, payment, refund).
func squareEdit(t *testing.T, name, key string, edit func(obj map[string]any)) []byte {
	t.Helper()
	return editJSON(t, fixtures(t, "square")[name], edit, "data", "object", key)
}

// mapSquare maps body as a Square event of type typ.
func mapSquare(t *testing.T, typ string, body []byte) []commerce.Canonical {
	t.Helper()
	evs, err := commerce.Map(squareRaw(typ, body))
	if err != nil {
		t.Fatalf("Map(%s): %v", typ, err)
	}
	return evs
}

func actions(evs []commerce.Canonical) []string {
	var out []string
	for _, c := range evs {
		out = append(out, c.Entity+"."+c.Action)
	}
	return out
}

// TestSquareOrderStates: an order's state is its status and the milestones
// it implies, each at the order's updated_at.
func TestSquareOrderStates(t *testing.T) {
	for _, c := range []struct {
		state, status string
		want          []string
	}{
		{"OPEN", "", []string{"order.updated"}},
		{"COMPLETED", commerce.OrderFulfilled, []string{"order.updated", "order.paid", "order.fulfilled"}},
		{"CANCELED", commerce.OrderCancelled, []string{"order.updated", "order.cancelled"}},
		{"DRAFT", "", nil},
		{"A_STATE_NOT_KNOWN_YET", "", []string{"order.updated"}},
	} {
		t.Run(c.state, func(t *testing.T) {
			evs := mapSquare(t, "order.updated", squareEdit(t, "order.updated", "order_updated", func(o map[string]any) { o["state"] = c.state }))
			if !slices.Equal(actions(evs), c.want) {
				t.Fatalf("events %v, want %v", actions(evs), c.want)
			}
			for _, e := range evs {
				o := e.Data.(*commerce.Order)
				if o.Status != c.status || o.PlatformStatus != c.state || e.Time.Format("15:04:05.000") != "23:14:26.359" {
					t.Errorf("%s: status %q (%q) at %v; want %q (%q) at updated_at", e.Action, o.Status, o.PlatformStatus, e.Time, c.status, c.state)
				}
			}
		})
	}
	t.Run("an order created completed is paid and fulfilled when created", func(t *testing.T) {
		evs := mapSquare(t, "order.created", editJSON(t, fixtures(t, "square")["order.created"],
			func(o map[string]any) { o["state"] = "COMPLETED" }, "data", "object", "order_created"))
		if want := []string{"order.created", "order.paid", "order.fulfilled"}; !slices.Equal(actions(evs), want) {
			t.Errorf("events %v, want %v", actions(evs), want)
		}
	})
}

// TestSquarePaymentStatuses: only a captured (COMPLETED) or FAILED payment
// is a canonical payment; created and updated read alike.
func TestSquarePaymentStatuses(t *testing.T) {
	for _, c := range []struct {
		status string
		want   []string
	}{
		{"COMPLETED", []string{"payment.succeeded"}},
		{"FAILED", []string{"payment.failed"}},
		{"APPROVED", nil},
		{"PENDING", nil},
		{"CANCELED", nil},
	} {
		for _, typ := range []string{"payment.created", "payment.updated"} {
			evs := mapSquare(t, typ, squareEdit(t, typ, "payment", func(p map[string]any) { p["status"] = c.status }))
			if !slices.Equal(actions(evs), c.want) {
				t.Errorf("%s %s: events %v, want %v", typ, c.status, actions(evs), c.want)
			}
		}
	}
}

// TestSquareRefundStatuses maps every refund status Square documents.
func TestSquareRefundStatuses(t *testing.T) {
	for status, want := range map[string]string{
		"PENDING": commerce.RefundPending, "COMPLETED": commerce.RefundSucceeded,
		"REJECTED": commerce.RefundFailed, "FAILED": commerce.RefundFailed, "": commerce.RefundPending,
	} {
		for _, typ := range []string{"refund.created", "refund.updated"} {
			evs := mapSquare(t, typ, squareEdit(t, typ, "refund", func(r map[string]any) { r["status"] = status }))
			if len(evs) != 1 || evs[0].Action != commerce.ActionCreated || evs[0].Data.(*commerce.Refund).Status != want {
				t.Errorf("%s %q: %v, want one refund.created, %s", typ, status, evs, want)
			}
		}
	}
}

// TestSquareMoney: Square's Money in minor units is the same amount in
// major units; a payment's amount includes its tip.
func TestSquareMoney(t *testing.T) {
	money := func(amount any, currency string) map[string]any {
		return map[string]any{"amount": amount, "currency": currency}
	}
	for _, c := range []struct {
		name         string
		edit         func(p map[string]any)
		want, wantCC string
	}{
		{"cents", func(p map[string]any) { p["total_money"] = money(json.Number("2400"), "USD") }, "24.00", "USD"},
		{"yen have none", func(p map[string]any) { p["total_money"] = money(json.Number("500"), "JPY") }, "500", "JPY"},
		{"dinars have three", func(p map[string]any) { p["total_money"] = money(json.Number("1250"), "KWD") }, "1.250", "KWD"},
		{"the tip is in total_money", func(p map[string]any) {
			p["amount_money"], p["tip_money"], p["total_money"] = money(json.Number("100"), "USD"), money(json.Number("20"), "USD"), money(json.Number("120"), "USD")
		}, "1.20", "USD"},
		{"without total_money, amount_money", func(p map[string]any) { delete(p, "total_money") }, "1.00", "USD"},
		{"no money at all", func(p map[string]any) { delete(p, "total_money"); delete(p, "amount_money") }, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs := mapSquare(t, "payment.updated", squareEdit(t, "payment.updated", "payment", c.edit))
			if p := evs[0].Data.(*commerce.Payment); p.Amount != c.want || p.Currency != c.wantCC {
				t.Errorf("amount %q %q, want %q %q", p.Amount, p.Currency, c.want, c.wantCC)
			}
		})
	}
}

// TestSquareUnusable: a mapped type whose payload cannot be read is
// refused with ErrUnusable, never skipped.
func TestSquareUnusable(t *testing.T) {
	pay := func(edit func(p map[string]any)) []byte { return squareEdit(t, "payment.updated", "payment", edit) }
	for _, c := range []struct {
		name, typ string
		body      []byte
	}{
		{"not JSON", "payment.updated", []byte(`{"type":`)},
		{"no data.object", "order.created", []byte(`{"type":"order.created","data":{"id":"o1"}}`)},
		{"an order event without its summary", "order.updated", fixtures(t, "square")["order.created"]},
		{"a payment event without a payment", "payment.updated", fixtures(t, "square")["refund.created"]},
		{"a refund event without a refund", "refund.created", fixtures(t, "square")["payment.updated"]},
		{"an amount in a string", "payment.updated", pay(func(p map[string]any) { p["total_money"] = map[string]any{"amount": "1.00", "currency": "USD"} })},
		{"an amount with a fraction", "payment.updated", pay(func(p map[string]any) {
			p["total_money"] = map[string]any{"amount": json.Number("1.5"), "currency": "USD"}
		})},
		{"an amount without a currency", "payment.updated", pay(func(p map[string]any) { p["total_money"] = map[string]any{"amount": json.Number("100")} })},
		{"a currency that is not one", "payment.updated", pay(func(p map[string]any) {
			p["total_money"] = map[string]any{"amount": json.Number("100"), "currency": "US$"}
		})},
		{"a time that is not RFC 3339", "payment.updated", pay(func(p map[string]any) { p["created_at"] = "22/11/2020" })},
		{"a time in the year 10000 in UTC", "payment.updated", pay(func(p map[string]any) { p["created_at"] = "9999-12-31T23:00:00-05:00" })},
		{"a payment without an id", "payment.updated", editJSON(t, pay(func(p map[string]any) { delete(p, "id") }), func(d map[string]any) { delete(d, "id") }, "data")},
		{"an event time that is not RFC 3339", "refund.created", editJSON(t, fixtures(t, "square")["refund.created"], func(e map[string]any) { e["created_at"] = "yesterday" })},
	} {
		t.Run(c.name, func(t *testing.T) {
			if evs, err := commerce.Map(squareRaw(c.typ, c.body)); !errors.Is(err, commerce.ErrUnusable) {
				t.Errorf("Map = %v, %v; want ErrUnusable", evs, err)
			}
		})
	}
}

// TestSquareSkipped: types that mean no canonical event are skipped
// whatever their payload.
func TestSquareSkipped(t *testing.T) {
	for _, typ := range []string{"customer.created", "order.fulfillment.updated", "invoice.payment_made"} {
		if evs, err := commerce.Map(squareRaw(typ, []byte(`not json`))); err != nil || len(evs) != 0 {
			t.Errorf("%s: %v, %v; want nothing", typ, evs, err)
		}
	}
	raw := squareRaw("payment.updated", fixtures(t, "square")["payment.updated"])
	raw.Type = "payment.updated"
	if evs, err := commerce.Map(raw); err != nil || len(evs) != 0 {
		t.Errorf("a type without com.square.: %v, %v", evs, err)
	}
}

// FuzzSquareMapping: whatever is posted with Square's signature, the
// mapping keeps checkFuzzed's promises and never panics.
func FuzzSquareMapping(f *testing.F) {
	fuzzMapping(f, "square", squareRaw, "order.created", "order.updated", "payment.created", "payment.updated", "refund.created", "refund.updated")
}
