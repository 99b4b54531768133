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

// adobeRaw is an Adobe Commerce event of type typ (after "com.adobe.") as
// the normaliser reads it: the CloudEvent source is the body's source,
// the event provider's urn.
func adobeRaw(typ string, body []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "adobe", Source: "acme-commerce", ID: "b0f2b088-5490-4d16-9ce9-0cb1fb3e5ed0",
		Type: "com.adobe." + typ, EvSource: "urn:uuid:fb58963f-d2e7-4ab4-83da-b6ff15b8ebc0",
		Time: time.Date(2025, 7, 17, 15, 48, 42, 436e6, time.UTC), Data: body,
	}
}

// adobeValue edits the entity (data.value) of an Adobe fixture.
func adobeValue(edit func(v map[string]any)) func(map[string]any) {
	return func(m map[string]any) { edit(m["data"].(map[string]any)["value"].(map[string]any)) }
}

// adobeMap maps fixture name (its type, or typ when set) edited by edit.
func adobeMap(t *testing.T, name, typ string, edit func(v map[string]any)) ([]commerce.Canonical, error) {
	t.Helper()
	if typ == "" {
		typ = fixtureType(name)
	}
	var e func(map[string]any)
	if edit != nil {
		e = adobeValue(edit)
	}
	return commerce.Map(adobeRaw(typ, editedFixture(t, "adobe", name, e)))
}

const adobeOrder = "commerce.observer.sales_order_save_after"

// TestAdobeOrder: what an order save means, by its state, its totals and
// what _origData says it was.
func TestAdobeOrder(t *testing.T) {
	state := func(s string, orig map[string]any) func(v map[string]any) {
		return func(v map[string]any) {
			v["state"] = s
			if orig != nil {
				v["_origData"] = orig
			}
		}
	}
	paid := func(edit func(v map[string]any)) func(v map[string]any) {
		return func(v map[string]any) {
			v["state"], v["status"], v["total_paid"] = "processing", "processing", json.Number("165")
			if edit != nil {
				edit(v)
			}
		}
	}
	cases := []struct {
		name       string
		typ        string
		edit       func(v map[string]any)
		want       []string
		wantStatus string
		at         string // the milestones' time, when there are some
	}{
		{name: "saved, pending", want: []string{"order.updated"}, wantStatus: commerce.OrderPending},
		{name: "commit event alike", typ: "commerce.observer.sales_order_save_commit_after", want: []string{"order.updated"}, wantStatus: commerce.OrderPending},
		{name: "app's event", typ: "commerce.my_app.observer.sales_order_save_after", want: []string{"order.updated"}, wantStatus: commerce.OrderPending},
		{name: "_isNew", edit: func(v map[string]any) { v["_isNew"] = true }, want: []string{"order.created"}, wantStatus: commerce.OrderPending},
		{name: "_isNew false, same times", edit: func(v map[string]any) { v["_isNew"] = false; v["updated_at"] = v["created_at"] }, want: []string{"order.updated"}, wantStatus: commerce.OrderPending},
		{name: "created and updated at once", edit: func(v map[string]any) { v["updated_at"] = v["created_at"] }, want: []string{"order.created"}, wantStatus: commerce.OrderPending},
		{name: "paid", edit: paid(nil), want: []string{"order.updated", "order.paid"}, wantStatus: commerce.OrderPaid, at: "2017-08-21T22:22:20Z"},
		{name: "paid before", edit: paid(func(v map[string]any) { v["_origData"] = map[string]any{"total_paid": "165.0000"} }),
			want: []string{"order.updated"}, wantStatus: commerce.OrderPaid},
		{name: "paid by this save", edit: paid(func(v map[string]any) { v["_origData"] = map[string]any{"total_paid": nil, "state": "new"} }),
			want: []string{"order.updated", "order.paid"}, wantStatus: commerce.OrderPaid},
		{name: "paid in part", edit: paid(func(v map[string]any) { v["total_paid"] = "100.00" }), want: []string{"order.updated"}, wantStatus: commerce.OrderPending},
		{name: "processing, nothing said of payment", edit: func(v map[string]any) { v["state"] = "processing" }, want: []string{"order.updated"}},
		{name: "placed paid", edit: paid(func(v map[string]any) { v["_isNew"], v["_origData"] = true, []any{} }),
			want: []string{"order.created", "order.paid"}, wantStatus: commerce.OrderPaid},
		{name: "cancelled", edit: state("canceled", nil), want: []string{"order.updated", "order.cancelled"}, wantStatus: commerce.OrderCancelled, at: "2017-08-21T22:22:20Z"},
		{name: "cancelled by this save", edit: state("canceled", map[string]any{"state": "new"}), want: []string{"order.updated", "order.cancelled"}, wantStatus: commerce.OrderCancelled},
		{name: "cancelled before", edit: state("canceled", map[string]any{"state": "canceled"}), want: []string{"order.updated"}, wantStatus: commerce.OrderCancelled},
		{name: "complete", edit: state("complete", map[string]any{"state": "processing"}), want: []string{"order.updated", "order.fulfilled"}, wantStatus: commerce.OrderFulfilled},
		{name: "closed", edit: state("closed", map[string]any{"state": "complete"}), want: []string{"order.updated", "order.refunded"}, wantStatus: commerce.OrderRefunded},
		{name: "refunded in part", edit: func(v map[string]any) { v["state"], v["total_refunded"] = "complete", "22.0000" },
			want: []string{"order.updated", "order.fulfilled"}, wantStatus: commerce.OrderPartiallyRefunded},
		{name: "on hold", edit: state("holded", nil), want: []string{"order.updated"}, wantStatus: commerce.OrderPending},
		{name: "a state of its own", edit: state("archived", nil), want: []string{"order.updated"}},
		{name: "custom fields only", want: []string{"order.updated"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := adobeOrder
			if c.name == "custom fields only" {
				name += "-custom-fields"
			}
			evs, err := adobeMap(t, name, c.typ, c.edit)
			if err != nil {
				t.Fatal(err)
			}
			if got := actions(evs); !slices.Equal(got, c.want) {
				t.Fatalf("events %v, want %v", got, c.want)
			}
			o := evs[0].Data.(*commerce.Order)
			if o.Status != c.wantStatus {
				t.Errorf("status %q, want %q", o.Status, c.wantStatus)
			}
			for _, e := range evs[1:] {
				if c.at != "" && e.Time.Format(time.RFC3339) != c.at {
					t.Errorf("%s.%s at %s, want %s", e.Entity, e.Action, e.Time, c.at)
				}
			}
		})
	}
}

// TestAdobeOrderMilestoneIDs: a milestone keeps its id when the same save
// comes twice (save_after and save_commit_after, or a redelivery with a
// new event id), and a later save with _origData gives no second one.
func TestAdobeOrderMilestoneIDs(t *testing.T) {
	cancelled := adobeValue(func(v map[string]any) { v["state"] = "canceled" })
	a := adobeRaw(adobeOrder, editedFixture(t, "adobe", adobeOrder, cancelled))
	b := adobeRaw("commerce.observer.sales_order_save_commit_after", a.Data)
	b.ID = "another-event-id"
	ea, err := commerce.Map(a)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := commerce.Map(b)
	if err != nil {
		t.Fatal(err)
	}
	if commerce.ID(a, ea[1]) != commerce.ID(b, eb[1]) {
		t.Errorf("order.cancelled has two ids for one save")
	}
	if commerce.ID(a, ea[0]) == commerce.ID(b, eb[0]) {
		t.Errorf("order.updated of two events share an id")
	}
}

// TestAdobeOrderFields: what an order carries, and what makes one unusable.
func TestAdobeOrderFields(t *testing.T) {
	evs, err := adobeMap(t, adobeOrder, "", func(v map[string]any) {
		v["discount_amount"] = "-10.0000"
		v["items"] = append(v["items"].([]any),
			map[string]any{"item_id": 4, "sku": "MH01", "name": "Chaz Kangeroo Hoodie", "product_type": "configurable", "qty_ordered": "2.0000", "price": "52.0000"},
			map[string]any{"item_id": 5, "parent_item_id": 4, "sku": "MH01-XS-Black", "name": "Chaz Kangeroo Hoodie-XS-Black", "product_type": "simple", "qty_ordered": "2.0000", "price": "0.0000"})
		v["addresses"] = []any{
			map[string]any{"address_type": "billing", "city": "Elsewhere"},
			map[string]any{"address_type": "shipping", "firstname": "Jane", "lastname": "Doe", "street": []any{"123 Oak Ave", "Suite 4"}, "city": "Purchase", "region": "New York", "region_code": "NY", "postcode": "10577", "country_id": "US", "telephone": "512-555-1111"},
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	o := evs[0].Data.(*commerce.Order)
	want := commerce.Order{
		ID: "3", Number: "000000003", Platform: "adobe", Source: "acme-commerce", Status: commerce.OrderPending, PlatformStatus: "pending",
		Currency: "USD", Total: "165", Subtotal: "160", Tax: "0", Shipping: "5", Discount: "10.0000",
		CreatedAt: "2017-08-21T22:22:19Z", UpdatedAt: "2017-08-21T22:22:20Z",
	}
	got := *o
	got.LineItems, got.Customer, got.ShippingAddr = nil, nil, nil
	if b1, _ := json.Marshal(got); string(b1) != string(must(json.Marshal(want))) {
		t.Errorf("order %s\nwant  %s", b1, must(json.Marshal(want)))
	}
	if len(o.LineItems) != 2 || o.LineItems[1] != (commerce.LineItem{ID: "4", SKU: "MH01", Name: "Chaz Kangeroo Hoodie", Quantity: 2, UnitPrice: "52.0000"}) {
		t.Errorf("line items %+v, want the tee and the hoodie, not its child", o.LineItems)
	}
	if o.Customer == nil || *o.Customer != (commerce.Customer{ID: "3", Email: "jdoe@example.com"}) {
		t.Errorf("customer %+v", o.Customer)
	}
	if a := o.ShippingAddr; a == nil || *a != (commerce.Address{Name: "Jane Doe", Line1: "123 Oak Ave", Line2: "Suite 4", City: "Purchase", Region: "NY", PostalCode: "10577", Country: "US", Phone: "512-555-1111"}) {
		t.Errorf("shipping address %+v, want the one typed shipping", a)
	}

	for _, c := range []struct {
		name string
		edit func(v map[string]any)
	}{
		{"no entity_id", func(v map[string]any) { delete(v, "entity_id") }},
		{"entity_id not an id", func(v map[string]any) { v["entity_id"] = 1.5 }},
		{"bad currency", func(v map[string]any) { v["order_currency_code"] = "US$" }},
		{"grand_total not a decimal", func(v map[string]any) { v["grand_total"] = "165,00" }},
		{"a fraction of an item", func(v map[string]any) { v["items"].([]any)[0].(map[string]any)["qty_ordered"] = "1.5000" }},
		{"created_at not a time", func(v map[string]any) { v["created_at"] = "yesterday" }},
		{"items not an array", func(v map[string]any) { v["items"] = "none" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, err := adobeMap(t, adobeOrder, "", c.edit)
			if !errors.Is(err, commerce.ErrUnusable) || evs != nil {
				t.Fatalf("Map = %v, %v; want ErrUnusable", evs, err)
			}
		})
	}
	for name, body := range map[string]string{
		"no data.value": `{"type":"com.adobe.commerce.observer.sales_order_save_after","data":{}}`,
		"value a list":  `{"data":{"value":[]}}`,
		"not JSON":      `order`,
	} {
		if evs, err := commerce.Map(adobeRaw(adobeOrder, []byte(body))); !errors.Is(err, commerce.ErrUnusable) || evs != nil {
			t.Errorf("%s: Map = %v, %v; want ErrUnusable", name, evs, err)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

const (
	adobeInvoice    = "commerce.observer.sales_order_invoice_save_after"
	adobeCreditmemo = "commerce.observer.sales_order_creditmemo_save_after"
)

// TestAdobePayment: an invoice that enters the paid state is a payment.
func TestAdobePayment(t *testing.T) {
	for _, c := range []struct {
		name string
		typ  string
		edit func(v map[string]any)
		want []string
	}{
		{name: "paid", want: []string{"payment.succeeded"}},
		{name: "commit event", typ: "commerce.observer.sales_order_invoice_save_commit_after", want: []string{"payment.succeeded"}},
		{name: "state as a string", edit: func(v map[string]any) { v["state"] = "2" }, want: []string{"payment.succeeded"}},
		{name: "paid by this save", edit: func(v map[string]any) { v["_origData"] = map[string]any{"state": "1"} }, want: []string{"payment.succeeded"}},
		{name: "saved again paid", edit: func(v map[string]any) { v["_origData"] = map[string]any{"state": 2} }, want: []string{}},
		{name: "open", edit: func(v map[string]any) { v["state"] = 1 }, want: []string{}},
		{name: "canceled", edit: func(v map[string]any) { v["state"] = 3 }, want: []string{}},
		{name: "no state", edit: func(v map[string]any) { delete(v, "state") }, want: []string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, err := adobeMap(t, adobeInvoice, c.typ, c.edit)
			if err != nil {
				t.Fatal(err)
			}
			if got := actions(evs); !slices.Equal(got, c.want) {
				t.Fatalf("events %v, want %v", got, c.want)
			}
		})
	}
	evs, err := adobeMap(t, adobeInvoice, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := evs[0].Data.(*commerce.Payment); *p != (commerce.Payment{
		ID: "13", OrderID: "8", Platform: "adobe", Source: "acme-commerce", Amount: "1100", Currency: "USD",
		Status: commerce.PaymentSucceeded, CreatedAt: "2023-04-06T18:36:18Z", UpdatedAt: "2023-04-06T18:36:18Z",
	}) {
		t.Errorf("payment %+v", p)
	}
	if _, err := adobeMap(t, adobeInvoice, "", func(v map[string]any) { v["order_currency_code"] = "dollars" }); !errors.Is(err, commerce.ErrUnusable) {
		t.Errorf("bad currency: %v", err)
	}
}

// TestAdobeRefund: a credit memo is a refund when it is first saved.
func TestAdobeRefund(t *testing.T) {
	for _, c := range []struct {
		name, status string
		edit         func(v map[string]any)
	}{
		{name: "refunded", status: commerce.RefundSucceeded},
		{name: "open", status: commerce.RefundPending, edit: func(v map[string]any) { v["state"] = 1 }},
		{name: "new", status: commerce.RefundSucceeded, edit: func(v map[string]any) { v["_isNew"], v["_origData"] = true, []any{} }},
		{name: "first saved", status: commerce.RefundSucceeded, edit: func(v map[string]any) { v["_origData"] = map[string]any{"state": nil} }},
		{name: "saved again", edit: func(v map[string]any) { v["_origData"] = map[string]any{"state": 2} }},
		{name: "refunded after open", edit: func(v map[string]any) { v["_origData"] = map[string]any{"state": "1"} }},
		{name: "canceled", edit: func(v map[string]any) { v["state"] = 3 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, err := adobeMap(t, adobeCreditmemo, "", c.edit)
			if err != nil {
				t.Fatal(err)
			}
			if c.status == "" {
				if len(evs) != 0 {
					t.Fatalf("events %v, want none", actions(evs))
				}
				return
			}
			if got := actions(evs); !slices.Equal(got, []string{"refund.created"}) {
				t.Fatalf("events %v, want refund.created", got)
			}
			r := evs[0].Data.(*commerce.Refund)
			if r.Status != c.status || r.ID != "3" || r.OrderID != "3" || r.PaymentID != "3" || r.Amount != "22" || r.Currency != "USD" {
				t.Errorf("refund %+v", r)
			}
		})
	}
}

// TestAdobeSkipped: a type that means no canonical event is skipped even
// when its payload cannot be read.
func TestAdobeSkipped(t *testing.T) {
	for _, typ := range []string{
		"commerce.observer.catalog_product_save_commit_after", "commerce.observer.sales_order_place_after",
		"commerce.observer.sales_order_invoice_pay", "commerce.observer.sales_order_creditmemo_refund",
		"commerce.observer.sales_order_shipment_save_after", "commerce.plugin.sales.api.order_management.place",
		"commerce.my.app.observer.sales_order_save_after", "commerce.observer.", "QUEUED", "sales_order_save_after",
	} {
		if evs, err := commerce.Map(adobeRaw(typ, []byte("not json"))); err != nil || evs != nil {
			t.Errorf("%s: Map = %v, %v; want nothing", typ, evs, err)
		}
	}
}

// The bridge's sample (what `hookbridge send` posts to an adobe source)
// maps like a real order save, to the same order for the same --order.
func TestAdobeSample(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for typ, want := range map[string][]string{
		"": {"order.created", "order.paid"},
		"com.adobe.commerce.observer.sales_order_save_after":            {"order.created", "order.paid"},
		"com.adobe.commerce.observer.sales_order_invoice_save_after":    {"payment.succeeded"},
		"com.adobe.commerce.observer.sales_order_creditmemo_save_after": {"refund.created"},
	} {
		body, _, err := sample.DeliveryForOrder("adobe", sample.Locators{}, typ, "a-1", "1001", now)
		if err != nil {
			t.Fatal(err)
		}
		var ce struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(body, &ce); err != nil {
			t.Fatal(err)
		}
		evs, err := commerce.Map(adobeRaw(ce.Type[len("com.adobe."):], body))
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if got := actions(evs); !slices.Equal(got, want) {
			t.Fatalf("%s: events %v, want %v", typ, got, want)
		}
		if evs[0].Entity == commerce.EntityOrder && evs[0].Subject != "1001" {
			t.Errorf("order %s, want 1001", evs[0].Subject)
		}
	}
}

// FuzzAdobeMapping holds the Adobe Commerce mapping to its contract on any
// body under any mapped type (see checkFuzzedEvents).
func FuzzAdobeMapping(f *testing.F) {
	fuzzMapping(f, "adobe", adobeRaw, "commerce.observer.sales_order_save_after",
		"commerce.observer.sales_order_invoice_save_after", "commerce.observer.sales_order_creditmemo_save_after",
		"commerce.observer.catalog_product_save_commit_after")
}
