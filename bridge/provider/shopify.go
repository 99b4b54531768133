package provider

import (
	"fmt"
	"net/http"
	"time"
)

// Shopify signs the raw body: X-Shopify-Hmac-Sha256 is
// base64(HMAC-SHA256(app client secret, body)). Shopify Events (developer
// preview) send the same value without the X- prefix. Nothing signed
// carries a time, so there is no replay window.
const (
	shopifyHMAC       = "X-Shopify-Hmac-Sha256"
	shopifyEventsHMAC = "Shopify-Hmac-Sha256"
	shopifyEventID    = "X-Shopify-Event-Id"
	shopifyWebhookID  = "X-Shopify-Webhook-Id"
	shopifyTopic      = "X-Shopify-Topic"
	shopifyShopDomain = "X-Shopify-Shop-Domain"
	shopifyTriggered  = "X-Shopify-Triggered-At"
)

type shopify struct{ mac bodyMAC }

var _ scheme = shopify{}

func newShopify(secrets []string) shopify {
	return shopify{mac: bodyMAC{keys: sha256Keys(rawKeys(secrets)), enc: base64Encoding, header: shopifyHMAC}}
}

func (s shopify) verify(body []byte, h http.Header) error {
	if v := h.Get(shopifyHMAC); v != "" {
		return s.mac.verify(shopifyHMAC, v, body)
	}
	if v := h.Get(shopifyEventsHMAC); v != "" {
		return s.mac.verify(shopifyEventsHMAC, v, body)
	}
	return fmt.Errorf("%s: %w", shopifyHMAC, ErrMissingSignature)
}

// extract maps a delivery to:
//
//	ID      X-Shopify-Event-Id, else X-Shopify-Webhook-Id. The event id is
//	        the same on every subscription's copy of one event (Shopify's
//	        own duplicate test), the webhook id on every retry of one copy.
//	Type    X-Shopify-Topic ("orders/create")
//	Source  X-Shopify-Shop-Domain
//	Subject body "id" (a platform id: a string, or an integer as
//	        written), else body "admin_graphql_api_id"
//	Time    X-Shopify-Triggered-At (RFC 3339)
func (s shopify) extract(body []byte, h http.Header) (Event, error) {
	e := Event{
		ID:     h.Get(shopifyEventID),
		Type:   h.Get(shopifyTopic),
		Source: h.Get(shopifyShopDomain),
	}
	if e.ID == "" {
		e.ID = h.Get(shopifyWebhookID)
	}
	if e.ID == "" {
		return Event{}, fmt.Errorf("%s and %s are both missing: %w", shopifyEventID, shopifyWebhookID, ErrUnusable)
	}
	if e.Type == "" {
		return Event{}, fmt.Errorf("%s is missing: %w", shopifyTopic, ErrUnusable)
	}
	obj := parseJSONObject(body)
	if e.Subject = obj.id("id"); e.Subject == "" {
		e.Subject = obj.id("admin_graphql_api_id")
	}
	if t, err := time.Parse(time.RFC3339, h.Get(shopifyTriggered)); err == nil {
		e.Time = t
	}
	if obj.err != nil {
		return Event{}, obj.err
	}
	return e, nil
}

func (s shopify) sign(body []byte, h http.Header, _ time.Time) error {
	s.mac.sign(body, h)
	return nil
}
