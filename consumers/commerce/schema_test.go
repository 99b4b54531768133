package commerce_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/consumers/commerce/commercetest"
)

func rawEvent() commerce.Raw {
	return commerce.Raw{
		Provider: "shopify", Source: "acme-shop", ID: "b1e5c6a0-raw", Type: "com.shopify.orders.paid",
		EvSource: "acme.myshopify.com", Subject: "450789469", Time: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC),
	}
}

func fullOrder() *commerce.Order {
	return &commerce.Order{
		ID: "450789469", Number: "#1001", Platform: "shopify", Source: "acme-shop",
		Status: commerce.OrderPaid, PlatformStatus: "paid", Currency: "USD",
		Total: "409.94", Subtotal: "398.00", Tax: "11.94", Shipping: "0.00", Discount: "10.00",
		LineItems: []commerce.LineItem{{ID: "466157049", SKU: "IPOD2008GREEN", Name: "IPod Nano - 8gb", Quantity: 1, UnitPrice: "199.00", RequiresShipping: new(true)}},
		Customer:  &commerce.Customer{ID: "207119551", Email: "bob.norman@mail.example.com", Phone: "+15556251199"},
		ShippingAddr: &commerce.Address{Name: "Bob Norman", Line1: "Chestnut Street 92", City: "Louisville",
			Region: "Kentucky", PostalCode: "40202", Country: "US", Phone: "555-625-1199"},
		Tracking:  []commerce.Tracking{{Company: "UPS", Number: "1Z2345", URL: "https://www.ups.com/track?tracknum=1Z2345"}},
		Metadata:  map[string]string{"items": "HB-MUG-01:2"},
		CreatedAt: "2008-01-10T11:00:00Z", UpdatedAt: "2008-01-10T11:00:00Z",
	}
}

// Every shipped schema compiles, and the model's full and minimal values
// of each entity validate against it.
func TestModelValidatesAgainstSchemas(t *testing.T) {
	for _, c := range []commerce.Canonical{
		{Entity: commerce.EntityOrder, Action: commerce.ActionPaid, Subject: "450789469", Data: fullOrder()},
		{Entity: commerce.EntityOrder, Action: commerce.ActionCreated, Subject: "1", Data: &commerce.Order{ID: "1", Platform: "woocommerce", Source: "woo"}},
		{Entity: commerce.EntityPayment, Action: commerce.ActionSucceeded, Subject: "pi_1", Data: &commerce.Payment{
			ID: "pi_1", OrderID: "cs_1", Platform: "stripe", Source: "billing", Amount: "24.00", Currency: "USD",
			Status: commerce.PaymentSucceeded, Method: "card", CreatedAt: "2026-11-30T12:00:00Z"}},
		{Entity: commerce.EntityPayment, Action: commerce.ActionFailed, Subject: "pi_2", Data: &commerce.Payment{ID: "pi_2", Platform: "stripe", Source: "billing", Status: commerce.PaymentFailed}},
		{Entity: commerce.EntityRefund, Action: commerce.ActionCreated, Subject: "re_1", Data: &commerce.Refund{
			ID: "re_1", OrderID: "450789469", PaymentID: "ch_1", Platform: "stripe", Source: "billing", Amount: "5.00",
			Currency: "EUR", Status: commerce.RefundSucceeded, Reason: "requested_by_customer", CreatedAt: "2026-11-30T12:00:00Z"}},
	} {
		ev, _, err := commerce.Event(rawEvent(), c)
		if err != nil {
			t.Fatal(err)
		}
		commercetest.CheckEvent(t, ev)
	}
}

// The schemas refuse what the contract forbids: money as a number or with
// a thousands separator, a lower-case currency, a missing id, a field no
// version defines, a status outside the model's.
func TestSchemasRefuse(t *testing.T) {
	order := commercetest.Schema(t, commerce.EntityOrder)
	for name, doc := range map[string]string{
		"float money":      `{"id":"1","platform":"shopify","source":"s","line_items":[],"total":24.5}`,
		"grouped money":    `{"id":"1","platform":"shopify","source":"s","line_items":[],"total":"1,024.00"}`,
		"lower currency":   `{"id":"1","platform":"shopify","source":"s","line_items":[],"currency":"usd"}`,
		"no id":            `{"platform":"shopify","source":"s","line_items":[]}`,
		"empty id":         `{"id":"","platform":"shopify","source":"s","line_items":[]}`,
		"unknown field":    `{"id":"1","platform":"shopify","source":"s","line_items":[],"totl":"1.00"}`,
		"unknown status":   `{"id":"1","platform":"shopify","source":"s","line_items":[],"status":"shipped"}`,
		"no time zone":     `{"id":"1","platform":"shopify","source":"s","line_items":[],"created_at":"2017-03-22T16:28:02"}`,
		"fraction of item": `{"id":"1","platform":"shopify","source":"s","line_items":[{"quantity":1.5}]}`,
	} {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if order.Validate(v) == nil {
			t.Errorf("%s: accepted %s", name, doc)
		}
	}
}

// The statuses the schemas allow are exactly the model's constants.
func TestSchemaStatusesMatchTheModel(t *testing.T) {
	for entity, want := range map[string][]string{
		commerce.EntityOrder: {commerce.OrderPending, commerce.OrderPaid, commerce.OrderPartiallyRefunded, commerce.OrderRefunded,
			commerce.OrderFulfilled, commerce.OrderCancelled, commerce.OrderFailed},
		commerce.EntityPayment: {commerce.PaymentSucceeded, commerce.PaymentFailed, commerce.PaymentPending},
		commerce.EntityRefund:  {commerce.RefundSucceeded, commerce.RefundPending, commerce.RefundFailed},
	} {
		raw, _ := commerce.Schema(entity)
		var s struct {
			Properties struct {
				Status struct {
					Enum []string `json:"enum"`
				} `json:"status"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		got := slices.Sorted(slices.Values(s.Properties.Status.Enum))
		if !slices.Equal(got, slices.Sorted(slices.Values(want))) {
			t.Errorf("%s: schema statuses %q, model %q", entity, got, want)
		}
	}
}
