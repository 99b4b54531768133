// Package sample builds deliveries shaped like each platform's own, for
// `hookbridge send` and for tests. The bodies are sample data, not fixtures
// of any real shop.
package sample

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Locators says where a generic hmac source reads its values
// ("header:<Name>" or "json:<dot.path>"); empty ones are skipped.
type Locators struct {
	ID, Type, Subject, Time string
}

// Delivery builds a delivery for provider kind shaped like the platform's
// own: the body and the headers the platform sets besides its signature
// (provider.Sign adds that). An empty eventType picks a typical one. id makes
// the delivery unique; the same id gives the same delivery id, as a
// platform's retry would. The order (resource) id is derived from id; loc
// is used only for the hmac kind.
func Delivery(kind string, loc Locators, eventType, id string, now time.Time) ([]byte, http.Header, error) {
	return DeliveryForOrder(kind, loc, eventType, id, "", now)
}

// DeliveryForOrder is Delivery about a given order (resource) id, so that
// several events (created, paid, cancelled) can concern one order. An empty
// orderID derives one from id.
func DeliveryForOrder(kind string, loc Locators, eventType, id, orderID string, now time.Time) ([]byte, http.Header, error) {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	num := orderID
	if num == "" {
		num = numericID(id)
	} else if strings.Trim(num, "0123456789") != "" {
		return nil, nil, fmt.Errorf("order id %q: want digits, as the platforms' order ids are", num)
	}
	order := map[string]any{
		"id":         json.Number(num),
		"currency":   "USD",
		"line_items": []any{map[string]any{"sku": "HB-MUG-01", "quantity": 2, "price": "12.00", "name": "Mug"}},
	}
	var body any
	switch kind {
	case "shopify":
		eventType = orDefault(eventType, "orders/create")
		h.Set("User-Agent", "Shopify-Captain-Hook")
		h.Set("X-Shopify-Topic", eventType)
		h.Set("X-Shopify-Shop-Domain", "hookbridge-dev.myshopify.com")
		h.Set("X-Shopify-API-Version", "2025-10")
		h.Set("X-Shopify-Webhook-Id", id)
		h.Set("X-Shopify-Event-Id", id)
		h.Set("X-Shopify-Triggered-At", now.UTC().Format(time.RFC3339Nano))
		order["admin_graphql_api_id"] = "gid://shopify/Order/" + num
		order["created_at"] = now.Format(time.RFC3339)
		order["financial_status"] = "paid"
		if eventType == "orders/cancelled" {
			order["cancelled_at"] = now.Format(time.RFC3339)
			order["cancel_reason"] = "customer"
		}
		order["total_price"] = "24.00"
		body = order
	case "woocommerce":
		eventType = orDefault(eventType, "order.created")
		resource, event, _ := strings.Cut(eventType, ".")
		h.Set("User-Agent", "WooCommerce/9.4.0 Hookshot (WordPress/6.7.1)")
		h.Set("X-WC-Webhook-Source", "https://shop.example.test/")
		h.Set("X-WC-Webhook-Topic", eventType)
		h.Set("X-WC-Webhook-Resource", resource)
		h.Set("X-WC-Webhook-Event", event)
		h.Set("X-WC-Webhook-ID", "1")
		h.Set("X-WC-Webhook-Delivery-ID", id)
		order["status"] = "processing"
		order["date_created_gmt"] = now.UTC().Format("2006-01-02T15:04:05")
		order["date_modified_gmt"] = now.UTC().Format("2006-01-02T15:04:05")
		order["total"] = "24.00"
		body = order
	case "stripe":
		eventType = orDefault(eventType, "payment_intent.succeeded")
		body = map[string]any{
			"id": "evt_" + id, "object": "event", "api_version": "2025-09-30.clover",
			"created": now.Unix(), "livemode": false, "type": eventType,
			"data": map[string]any{"object": map[string]any{
				"id": "pi_" + id, "object": "payment_intent", "amount": 2400, "currency": "usd", "status": "succeeded",
			}},
		}
	case "standardwebhooks":
		eventType = orDefault(eventType, "invoice.paid")
		h.Set("webhook-id", "msg_"+id)
		body = map[string]any{
			"type": eventType, "timestamp": now.UTC().Format(time.RFC3339),
			"data": map[string]any{"id": "inv_" + id, "amount": 2400, "currency": "USD"},
		}
	case "github":
		eventType = orDefault(eventType, "issues.opened")
		event, action, _ := strings.Cut(eventType, ".")
		h.Set("User-Agent", "GitHub-Hookshot/0000000")
		h.Set("X-GitHub-Event", event)
		h.Set("X-GitHub-Delivery", id)
		h.Set("X-GitHub-Hook-ID", "1")
		b := map[string]any{
			"repository": map[string]any{"full_name": "acme/shop", "html_url": "https://github.com/acme/shop"},
			"sender":     map[string]any{"login": "octocat"},
		}
		if action != "" {
			b["action"] = action
			b["issue"] = map[string]any{"number": 1, "title": "Sample issue"}
		}
		body = b
	case "hmac":
		eventType = orDefault(eventType, "example.created")
		b := map[string]any{"data": map[string]any{"id": num}}
		for _, l := range []struct{ locator, value string }{
			{loc.ID, id}, {loc.Type, eventType},
			{loc.Subject, num}, {loc.Time, now.UTC().Format(time.RFC3339)},
		} {
			kind, where, ok := strings.Cut(l.locator, ":")
			switch {
			case !ok:
			case kind == "header":
				h.Set(where, l.value)
			case kind == "json":
				setPath(b, where, l.value)
			}
		}
		body = b
	default:
		return nil, nil, fmt.Errorf("no sample delivery for provider %q", kind)
	}
	data, err := json.Marshal(body)
	return data, h, err
}

// GitHubForm wraps a JSON delivery body the way GitHub sends it from a
// webhook whose content type is "form" (the default of webhooks created
// through its REST API): the body becomes payload=<url-encoded JSON> and
// h's Content-Type says so. The signature is then over the returned body.
func GitHubForm(body []byte, h http.Header) []byte {
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	return []byte(url.Values{"payload": {string(body)}}.Encode())
}

// setPath sets m[a][b]... = v for the dotted path "a.b".
func setPath(m map[string]any, path string, v any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}

// numericID derives a platform-style numeric resource id from id.
func numericID(id string) string {
	n := new(big.Int)
	if _, ok := n.SetString(id, 16); !ok {
		var sum uint64
		for _, c := range id {
			sum = sum*31 + uint64(c)
		}
		return strconv.FormatUint(sum%1e15+1e15, 10)
	}
	return n.Mod(n, big.NewInt(1e15)).Add(n, big.NewInt(1e15)).String()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Pad grows a JSON object body to about size bytes with a "note" field, so
// that benchmarks and load runs use realistic body sizes.
func Pad(body []byte, size int) []byte {
	n := size - len(body) - len(`,"note":""`)
	if n <= 0 || len(body) < 2 || body[len(body)-1] != '}' {
		return body
	}
	out := make([]byte, 0, size)
	out = append(out, body[:len(body)-1]...)
	out = append(out, `,"note":"`...)
	for i := range n {
		out = append(out, 'a'+byte(i%26))
	}
	return append(out, `"}`...)
}
