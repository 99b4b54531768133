package commerce_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// saleorOrderID is the order of every Saleor fixture (saleor/apps' SMTP
// sample order).
const saleorOrderID = "T3JkZXI6NTdiNTBhNDAtYzRmYi00YjQzLWIxODgtM2JhZmRlMTc3MGQ5"

// saleorRaw is a Saleor event of type typ (its Saleor-Event) as the
// normaliser reads it: the bridge takes the CloudEvent source from the
// shop's API URL and the time from issuedAt, else the time it received
// the delivery.
func saleorRaw(typ string, body []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "saleor", Source: "acme-saleor", ID: "3f1c2b0a9e8d7c6b5a4f3e2d1c0b9a8f",
		Type: "com.saleor." + typ, EvSource: "https://acme.eu.saleor.cloud/graphql/", Subject: saleorOrderID,
		Time: time.Date(2024, 1, 15, 14, 40, 2, 0, time.UTC), Data: body,
	}
}

// saleorOrder edits the order of an event.
func saleorOrder(edit func(o map[string]any)) func(map[string]any) {
	return func(m map[string]any) { edit(m["order"].(map[string]any)) }
}

// saleorSet sets fields of the order.
func saleorSet(kv ...any) func(map[string]any) {
	return saleorOrder(func(o map[string]any) {
		for i := 0; i+1 < len(kv); i += 2 {
			o[kv[i].(string)] = kv[i+1]
		}
	})
}

// saleorMap maps fixture, edited, under type typ.
func saleorMap(t *testing.T, typ, fixture string, edit func(map[string]any)) ([]commerce.Canonical, error) {
	t.Helper()
	return commerce.Map(saleorRaw(typ, editedFixture(t, "saleor", fixture, edit)))
}

// TestSaleorOrderEvents: each order event's action, and the order's
// status: the payload's, raised to the event's when that is further
// along.
func TestSaleorOrderEvents(t *testing.T) {
	for _, c := range []struct {
		name, typ, fixture string
		edit               func(map[string]any)
		want               []string // action/status of each event
	}{
		{"created, payload unpaid", "order_created", "order_created", nil, []string{"created/pending"}},
		{"created, ids only", "order_created", "order_updated", nil, []string{"created/"}},
		{"created, paid", "order_created", "order_created", saleorSet("chargeStatus", "FULL"), []string{"created/paid"}},
		{"confirmed", "order_confirmed", "order_confirmed", nil, []string{"updated/pending"}},
		{"updated, ids only", "order_updated", "order_updated", nil, []string{"updated/"}},
		{"fully paid, payload unpaid", "order_fully_paid", "order_fully_paid", nil, []string{"paid/paid"}},
		{"fully paid, already fulfilled", "order_fully_paid", "order_fully_paid", saleorSet("status", "FULFILLED", "chargeStatus", "FULL"), []string{"paid/fulfilled"}},
		{"fully paid, ids only", "order_fully_paid", "order_paid", nil, []string{"paid/paid"}},
		{"paid in full (chargeStatus)", "order_paid", "order_paid", saleorSet("chargeStatus", "FULL"), []string{"paid/paid"}},
		{"paid in full (overcharged)", "order_paid", "order_paid", saleorSet("chargeStatus", "OVERCHARGED"), []string{"paid/paid"}},
		{"paid in full (paymentStatus)", "order_paid", "order_paid", saleorSet("paymentStatus", "FULLY_CHARGED"), []string{"paid/paid"}},
		{"paid in part", "order_paid", "order_paid", saleorSet("chargeStatus", "PARTIAL", "paymentStatus", "PARTIALLY_CHARGED"), []string{"updated/pending"}},
		{"paid, ids only", "order_paid", "order_paid", nil, []string{"updated/"}},
		{"cancelled", "order_cancelled", "order_cancelled", saleorSet("status", "CANCELED"), []string{"cancelled/cancelled"}},
		{"cancelled, payload not yet", "order_cancelled", "order_cancelled", nil, []string{"cancelled/cancelled"}},
		{"expired", "order_expired", "order_expired", nil, []string{"cancelled/cancelled"}},
		{"expired, with its status", "order_expired", "order_expired", saleorSet("status", "EXPIRED"), []string{"cancelled/cancelled"}},
		{"fulfilled", "order_fulfilled", "order_fulfilled", saleorSet("status", "FULFILLED", "chargeStatus", "FULL"), []string{"fulfilled/fulfilled"}},
		{"fulfilled, payload unfulfilled", "order_fulfilled", "order_fulfilled", nil, []string{"fulfilled/fulfilled"}},
		{"fulfilled and returned", "order_fulfilled", "order_fulfilled", saleorSet("status", "RETURNED"), []string{"fulfilled/fulfilled"}},
		{"refunded in full", "order_refunded", "order_refunded", saleorSet("paymentStatus", "FULLY_REFUNDED"), []string{"refunded/refunded"}},
		{"refunded in part", "order_refunded", "order_refunded", saleorSet("paymentStatus", "PARTIALLY_REFUNDED"), []string{"updated/partially_refunded"}},
		{"refunded, no paymentStatus", "order_refunded", "order_refunded", nil, []string{"updated/pending"}},
		{"fully refunded", "order_fully_refunded", "order_fully_refunded", nil, []string{"refunded/refunded"}},
		{"fully refunded, cancelled before", "order_fully_refunded", "order_fully_refunded", saleorSet("status", "CANCELED"), []string{"refunded/cancelled"}},
		{"payment refused", "order_updated", "order_updated", saleorSet("paymentStatus", "REFUSED"), []string{"updated/failed"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, err := saleorMap(t, c.typ, c.fixture, c.edit)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range evs {
				o := ev.Data.(*commerce.Order)
				got = append(got, ev.Action+"/"+o.Status)
				if ev.Entity != commerce.EntityOrder || ev.Subject != saleorOrderID || o.ID != saleorOrderID {
					t.Errorf("%s.%s about %q (order %q)", ev.Entity, ev.Action, ev.Subject, o.ID)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("events %v, want %v", got, c.want)
			}
		})
	}
}

// TestSaleorBulk: order_bulk_created is an order.created for each order.
func TestSaleorBulk(t *testing.T) {
	body := []byte(`{"__typename": "OrderBulkCreated", "issuedAt": "2024-01-15T14:40:02+00:00", "orders": [{"id": "T3JkZXI6MQ=="}, {"id": "T3JkZXI6Mg==", "chargeStatus": "FULL"}]}`)
	evs, err := commerce.Map(saleorRaw("order_bulk_created", body))
	if err != nil || len(evs) != 2 {
		t.Fatalf("Map = %v, %v", evs, err)
	}
	for i, want := range []struct{ id, status string }{{"T3JkZXI6MQ==", ""}, {"T3JkZXI6Mg==", commerce.OrderPaid}} {
		o := evs[i].Data.(*commerce.Order)
		if evs[i].Action != commerce.ActionCreated || o.ID != want.id || o.Status != want.status || !evs[i].Time.Equal(time.Date(2024, 1, 15, 14, 40, 2, 0, time.UTC)) {
			t.Errorf("event %d: %s %+v at %v", i, evs[i].Action, o, evs[i].Time)
		}
	}
	for _, bad := range []string{`{"orders": [{"id": "T3JkZXI6MQ=="}, {}]}`, `{"orders": {"id": "T3JkZXI6MQ=="}}`} {
		if evs, err := commerce.Map(saleorRaw("order_bulk_created", []byte(bad))); !errors.Is(err, commerce.ErrUnusable) || evs != nil {
			t.Errorf("%s: Map = %v, %v; want ErrUnusable", bad, evs, err)
		}
	}
	if evs, err := commerce.Map(saleorRaw("order_bulk_created", []byte(`{"orders": []}`))); err != nil || evs != nil {
		t.Errorf("no orders: Map = %v, %v; want nothing", evs, err)
	}
}

// TestSaleorOrderData: what the documented subscription query's fields
// become, and the time of the change: updatedAt, else issuedAt.
func TestSaleorOrderData(t *testing.T) {
	body, _, err := sample.DeliveryForOrder("saleor", sample.Locators{}, "order_fulfilled", "s-1", "1001", time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	evs, err := commerce.Map(saleorRaw("order_fulfilled", body))
	if err != nil || len(evs) != 1 {
		t.Fatalf("Map = %v, %v", evs, err)
	}
	yes := true
	want := &commerce.Order{
		ID: "T3JkZXI6NWFhMWUwYTAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAxMDAx", Number: "1001", Platform: "saleor", Source: "acme-saleor",
		Status: commerce.OrderFulfilled, PlatformStatus: "FULFILLED", Currency: "USD",
		Total: "24.0", Subtotal: "24.0", Tax: "0.0", Shipping: "0.0",
		LineItems: []commerce.LineItem{{ID: "T3JkZXJMaW5lOjVhYTFlMGEwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMTAwMQ==", SKU: "HB-MUG-01", Name: "Mug", Quantity: 2, UnitPrice: "12.0", RequiresShipping: &yes}},
		Customer:  &commerce.Customer{ID: "VXNlcjox", Email: "jenny.rosen@example.com"},
		ShippingAddr: &commerce.Address{Name: "Jenny Rosen", Line1: "354 Oyster Point Blvd", City: "SOUTH SAN FRANCISCO",
			Region: "CA", PostalCode: "94080", Country: "US", Phone: "+16505550100"},
		Tracking:  []commerce.Tracking{{Number: "1Z999AA10123456784"}},
		CreatedAt: "2026-05-01T12:00:00Z", UpdatedAt: "2026-05-01T12:00:00Z",
	}
	got, _ := json.Marshal(evs[0].Data)
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) {
		t.Errorf("order\n got %s\nwant %s", got, wantJSON)
	}
	if !evs[0].Time.Equal(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("time %v", evs[0].Time)
	}

	// The SMTP app's sample: the discount is undiscountedTotal less total,
	// the variant joins the product's name, public metadata is kept.
	evs, err = saleorMap(t, "order_created", "order_created", nil)
	if err != nil {
		t.Fatal(err)
	}
	o := evs[0].Data.(*commerce.Order)
	if o.Discount != "24.0" || o.Total != "213.0" || o.Tax != "19.36" || o.LineItems[0].Name != "Organic Cotton T-Shirt - Navy / Large" ||
		o.LineItems[1].Name != "Limited Edition Anniversary Collection Ceramic Mug with Gold Trim" || o.Metadata["loyalty_points_earned"] != "213" {
		t.Errorf("order %+v", o)
	}

	for _, c := range []struct {
		name string
		edit func(map[string]any)
		want time.Time
	}{
		{"updatedAt", saleorSet("updatedAt", "2024-01-15T15:00:00.123456+01:00"), time.Date(2024, 1, 15, 14, 0, 0, 123456000, time.UTC)},
		{"issuedAt", func(m map[string]any) { m["issuedAt"] = "2024-01-15T14:45:00+00:00" }, time.Date(2024, 1, 15, 14, 45, 0, 0, time.UTC)},
		{"updatedAt before issuedAt", func(m map[string]any) {
			m["issuedAt"] = "2024-01-15T14:45:00+00:00"
			m["order"].(map[string]any)["updatedAt"] = "2024-01-15T14:44:00+00:00"
		}, time.Date(2024, 1, 15, 14, 44, 0, 0, time.UTC)},
		{"neither", nil, time.Time{}},
	} {
		evs, err := saleorMap(t, "order_fully_paid", "order_fully_paid", c.edit)
		if err != nil || len(evs) != 1 || !evs[0].Time.Equal(c.want) {
			t.Errorf("%s: Map = %v, %v; want the time %v", c.name, evs, err, c.want)
		}
	}
}

// TestSaleorMilestoneOnce: order_paid and order_fully_paid of one change
// (the same updatedAt) are one order.paid.
func TestSaleorMilestoneOnce(t *testing.T) {
	at := saleorSet("updatedAt", "2024-01-15T14:40:02.5+00:00", "chargeStatus", "FULL")
	paid, err1 := saleorMap(t, "order_paid", "order_paid", at)
	fully, err2 := saleorMap(t, "order_fully_paid", "order_paid", at)
	if err1 != nil || err2 != nil || len(paid) != 1 || len(fully) != 1 {
		t.Fatalf("Map = %v, %v; %v, %v", paid, err1, fully, err2)
	}
	a := commerce.ID(saleorRaw("order_paid", nil), paid[0])
	b := commerce.ID(commerce.Raw{Provider: "saleor", Source: "acme-saleor", ID: "another delivery"}, fully[0])
	if a != b {
		t.Errorf("the paid milestone has ids %s and %s", a, b)
	}
}

// TestSaleorUnusable: payloads a mapped event cannot be read from.
func TestSaleorUnusable(t *testing.T) {
	for _, c := range []struct {
		name, body string
	}{
		{"legacy payload (an array)", `[{"type": "Order", "id": "T3JkZXI6MQ=="}]`},
		{"no order queried", `{"__typename": "OrderCreated"}`},
		{"order null", `{"order": null}`},
		{"no order id", `{"order": {"number": "1"}}`},
		{"order id an object", `{"order": {"id": {}}}`},
		{"amount with an exponent", `{"order": {"id": "a", "total": {"gross": {"amount": 1e-05, "currency": "USD"}}}}`},
		{"amount a string", `{"order": {"id": "a", "total": {"gross": {"amount": "ten", "currency": "USD"}}}}`},
		{"amount without currency", `{"order": {"id": "a", "total": {"gross": {"amount": 10.0}}}}`},
		{"bad currency", `{"order": {"id": "a", "total": {"gross": {"amount": 10.0, "currency": "US$"}}}}`},
		{"quantity a float", `{"order": {"id": "a", "lines": [{"quantity": 1.5}]}}`},
		{"quantity negative", `{"order": {"id": "a", "lines": [{"quantity": -1}]}}`},
		{"no quantity", `{"order": {"id": "a", "lines": [{"productName": "Mug"}]}}`},
		{"bad updatedAt", `{"order": {"id": "a", "updatedAt": "yesterday"}}`},
		{"bad issuedAt", `{"issuedAt": 1705329602, "order": {"id": "a"}}`},
		{"not JSON", `order_created`},
	} {
		evs, err := commerce.Map(saleorRaw("order_created", []byte(c.body)))
		if !errors.Is(err, commerce.ErrUnusable) || evs != nil {
			t.Errorf("%s: Map = %v, %v; want an error wrapping ErrUnusable", c.name, evs, err)
		}
	}
}

// TestSaleorSkipped: a type that means no canonical event is skipped even
// when its payload cannot be read.
func TestSaleorSkipped(t *testing.T) {
	for _, typ := range []string{
		"order_metadata_updated", "draft_order_created", "checkout_fully_paid", "transaction_item_metadata_updated",
		"transaction_charge_requested", "fulfillment_created", "invoice_sent", "product_updated", "customer_created",
	} {
		if evs, err := commerce.Map(saleorRaw(typ, []byte("not json"))); err != nil || evs != nil {
			t.Errorf("%s: Map = %v, %v; want nothing", typ, evs, err)
		}
	}
}

// FuzzSaleorMapping holds the Saleor mapping to its contract on any body
// under any mapped type (see checkFuzzedEvents).
func FuzzSaleorMapping(f *testing.F) {
	fuzzMapping(f, "saleor", saleorRaw, "order_created", "order_bulk_created", "order_confirmed", "order_updated",
		"order_paid", "order_fully_paid", "order_cancelled", "order_expired", "order_fulfilled",
		"order_refunded", "order_fully_refunded", "checkout_fully_paid")
}
