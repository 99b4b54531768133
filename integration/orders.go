package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/internal/sample"
)

// Order is what a suite decides about one order; the rest of each delivery's
// body is the platform-shaped sample of internal/sample.
type Order struct {
	ID    string // the platform's order id: digits
	Lines []Line
}

// Line is one line item.
type Line struct {
	SKU      string
	Quantity int
}

// OrderDelivery builds the platform's signed delivery id about order o, of
// event type eventType (Shopify: orders/create, orders/paid,
// orders/cancelled; WooCommerce: order.created, order.updated; Stripe:
// checkout.session.*). Its line items are o.Lines: in the order for Shopify
// and WooCommerce; for Stripe, whose events carry none, in the Checkout
// Session's metadata "items" ("SKU:QTY,..."), the convention the shipping
// sample reads (the sample session has a shipping address). status, when
// not empty, is the WooCommerce order's status (the sample's is processing)
// or the Stripe session's payment_status (the sample's is paid). Like
// NewDelivery, the result is sent unchanged on every attempt.
func (p *Platform) OrderDelivery(id, eventType string, o Order, status string) (Delivery, error) {
	now := time.Now()
	body, h, err := sample.DeliveryForOrder(p.Kind, sample.Locators{}, eventType, id, o.ID, now)
	if err != nil {
		return Delivery{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // keep the order id's digits as they are
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return Delivery{}, fmt.Errorf("sample body: %w", err)
	}
	switch {
	case p.Kind == StripeKind:
		stripeOrder(doc, o, status)
	case status != "" && p.Kind != WooKind:
		return Delivery{}, fmt.Errorf("a status for a %s order", p.Kind)
	default:
		if status != "" {
			doc["status"] = status
		}
		items := make([]any, len(o.Lines))
		for i, l := range o.Lines {
			items[i] = map[string]any{"sku": l.SKU, "quantity": l.Quantity, "price": "12.00", "name": l.SKU}
		}
		doc["line_items"] = items
	}
	if body, err = json.Marshal(doc); err != nil {
		return Delivery{}, err
	}
	if err := p.Provider.Sign(body, h, now); err != nil {
		return Delivery{}, err
	}
	return Delivery{ID: id, body: body, header: h}, nil
}

// stripeOrder makes the sample event's Checkout Session order o: its id is
// cs_test_<o.ID>, so that several events concern one session.
func stripeOrder(doc map[string]any, o Order, paymentStatus string) {
	session := doc["data"].(map[string]any)["object"].(map[string]any)
	session["id"] = "cs_test_" + o.ID
	items := make([]string, len(o.Lines))
	for i, l := range o.Lines {
		items[i] = fmt.Sprintf("%s:%d", l.SKU, l.Quantity)
	}
	session["metadata"] = map[string]any{"items": strings.Join(items, ",")}
	if paymentStatus != "" {
		session["payment_status"] = paymentStatus
	}
}

// EventID is the CloudEvent id the bridge must give d, computed here from the
// README's contract rather than read from the bridge: the delivery id for
// Shopify; for WooCommerce "<X-WC-Webhook-ID>-" and the first 32 hex digits
// of sha256(topic + "\n" + body); for Stripe the event's id.
func (d Delivery) EventID() string {
	if topic := d.header.Get("X-WC-Webhook-Topic"); topic != "" {
		sum := sha256.Sum256([]byte(topic + "\n" + string(d.body)))
		return d.header.Get("X-WC-Webhook-ID") + "-" + hex.EncodeToString(sum[:])[:32]
	}
	if d.header.Get("Stripe-Signature") != "" {
		return d.stripeField("id")
	}
	return d.header.Get("X-Shopify-Event-Id")
}

// EventType is the CloudEvent type the bridge must give d.
func (d Delivery) EventType() string {
	if topic := d.header.Get("X-WC-Webhook-Topic"); topic != "" {
		return "com.woocommerce." + topic
	}
	if d.header.Get("Stripe-Signature") != "" {
		return "com.stripe." + d.stripeField("type")
	}
	return "com.shopify." + strings.ReplaceAll(d.header.Get("X-Shopify-Topic"), "/", ".")
}

// stripeField is a top-level string of a Stripe event's body.
func (d Delivery) stripeField(name string) string {
	var ev map[string]any
	_ = json.Unmarshal(d.body, &ev) // the body is one this package built
	s, _ := ev[name].(string)
	return s
}
