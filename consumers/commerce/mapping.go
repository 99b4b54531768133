package commerce

import (
	"errors"
	"time"
)

// Raw is one raw platform event as the normaliser reads it from WEBHOOKS.
type Raw struct {
	Provider string    // the provider kind, from the subject: shopify
	Source   string    // hookbridge's source name, from the subject: acme-shop
	ID       string    // the CloudEvent id
	Type     string    // the CloudEvent type: com.shopify.orders.paid
	EvSource string    // the CloudEvent source: the shop's identity
	Subject  string    // the CloudEvent subject, when the bridge read one
	Time     time.Time // the CloudEvent time
	Data     []byte    // the platform's body
	// TraceParent and TraceState are the raw event's CloudEvents
	// distributed tracing extension, where the delivery's trace started
	// (set once, at ingest): every canonical event carries them unchanged.
	TraceParent, TraceState string
}

// Canonical is one canonical event a raw event means.
type Canonical struct {
	Entity  string    // EntityOrder, EntityPayment, EntityRefund
	Action  string    // ActionCreated, ...
	Subject string    // the entity's platform id
	Time    time.Time // the platform's time of the change
	Data    any       // *Order, *Payment or *Refund
}

// ErrUnusable is matched (errors.Is) by the error of a raw event of a mapped
// type whose payload cannot be mapped: it is dead-lettered with the reason,
// as no retry can change it.
var ErrUnusable = errors.New("unusable payload")

// mapping turns one raw event into the canonical events it means: none (a
// type that means none of them, skipped and counted), one or several.
type mapping func(Raw) ([]Canonical, error)

// mappingFor is the mapping of a provider kind, or nil when the normaliser
// maps none of its events.
func mappingFor(provider string) mapping {
	switch provider {
	case "shopify":
		return mapShopify
	case "woocommerce":
		return mapWooCommerce
	case "stripe":
		return mapStripe
	case "paddle":
		return mapPaddle
	case "razorpay":
		return mapRazorpay
	case "square":
		return mapSquare
	case "adyen":
		return mapAdyen
	case "bigcommerce":
		return mapBigCommerce
	case "shopware":
		return mapShopware
	case "chargebee":
		return mapChargebee
	case "recurly":
		return mapRecurly
	case "lemonsqueezy":
		return mapLemonSqueezy
	case "mollie":
		return mapMollie
	case "braintree":
		return mapBraintree
	case "ecwid":
		return mapEcwid
	case "paypal":
		return mapPayPal
	case "saleor":
		return mapSaleor
	case "adobe":
		return mapAdobe
	}
	return nil
}

// Map is the canonical events raw means, in the order they are published;
// none for a provider or type the normaliser does not map. An error wraps
// ErrUnusable.
func Map(raw Raw) ([]Canonical, error) {
	m := mappingFor(raw.Provider)
	if m == nil {
		return nil, nil
	}
	return m(raw)
}
