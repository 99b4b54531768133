// Package sample builds deliveries shaped like each platform's own, for
// `hookbridge send` and for tests. The bodies are sample data, not fixtures
// of any real shop.
package sample

import (
	"cmp"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
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
	num := orderID
	if num == "" {
		num = numericID(id)
	} else if strings.Trim(num, "0123456789") != "" {
		return nil, nil, fmt.Errorf("order id %q: want digits, as the platforms' order ids are", num)
	}
	build := builder(kind)
	if build == nil {
		return nil, nil, fmt.Errorf("no sample delivery for provider %q", kind)
	}
	r := request{
		h: http.Header{}, loc: loc, eventType: eventType, id: id, num: num, now: now,
		order: map[string]any{
			"id":         json.Number(num),
			"currency":   "USD",
			"line_items": []any{map[string]any{"sku": "HB-MUG-01", "quantity": 2, "price": "12.00", "name": "Mug"}},
		},
	}
	r.h.Set("Content-Type", "application/json")
	v := build(&r)
	if f, ok := v.(form); ok {
		return []byte(f), r.h, nil
	}
	data, err := json.Marshal(v)
	return data, r.h, err
}

// request is what a platform's builder shapes its delivery from: it sets
// the platform's headers on h and returns the body.
type request struct {
	h         http.Header
	loc       Locators
	eventType string
	id, num   string // the delivery's id, the order's numeric id
	now       time.Time
	order     map[string]any // the order fields every commerce platform shares
}

// builder is the delivery shape of a provider kind, or nil.
func builder(kind string) func(*request) any {
	switch kind {
	case "shopify":
		return shopify
	case "woocommerce":
		return woocommerce
	case "stripe":
		return stripe
	case "standardwebhooks":
		return standardWebhooks
	case "github":
		return github
	case "hmac":
		return genericHMAC
	case "paddle":
		return paddle
	case "recurly":
		return recurly
	case "razorpay":
		return razorpay
	case "square":
		return square
	case "adyen":
		return adyen
	case "bigcommerce":
		return bigCommerce
	case "shopware":
		return shopware
	case "chargebee":
		return chargebee
	case "lemonsqueezy":
		return lemonSqueezy
	case "mollie":
		return mollie
	case "ecwid":
		return ecwid
	case "braintree":
		return braintree
	case "paypal":
		return paypal
	case "saleor":
		return saleor
	case "adobe":
		return adobe
	}
	return nil
}

// form is a builder's body that is sent as it is, not as JSON.
type form []byte

func shopify(r *request) any {
	eventType := orDefault(r.eventType, "orders/create")
	h, order, now := r.h, r.order, r.now
	h.Set("User-Agent", "Shopify-Captain-Hook")
	h.Set("X-Shopify-Topic", eventType)
	h.Set("X-Shopify-Shop-Domain", "hookbridge-dev.myshopify.com")
	h.Set("X-Shopify-API-Version", "2025-10")
	h.Set("X-Shopify-Webhook-Id", r.id)
	h.Set("X-Shopify-Event-Id", r.id)
	h.Set("X-Shopify-Triggered-At", now.UTC().Format(time.RFC3339Nano))
	order["admin_graphql_api_id"] = "gid://shopify/Order/" + r.num
	order["created_at"] = now.Format(time.RFC3339)
	order["financial_status"] = "paid"
	if eventType == "orders/cancelled" {
		order["cancelled_at"] = now.Format(time.RFC3339)
		order["cancel_reason"] = "customer"
	}
	order["total_price"] = "24.00"
	return order
}

func woocommerce(r *request) any {
	eventType := orDefault(r.eventType, "order.created")
	resource, event, _ := strings.Cut(eventType, ".")
	h, order := r.h, r.order
	h.Set("User-Agent", "WooCommerce/9.4.0 Hookshot (WordPress/6.7.1)")
	h.Set("X-WC-Webhook-Source", "https://shop.example.test/")
	h.Set("X-WC-Webhook-Topic", eventType)
	h.Set("X-WC-Webhook-Resource", resource)
	h.Set("X-WC-Webhook-Event", event)
	h.Set("X-WC-Webhook-ID", "1")
	h.Set("X-WC-Webhook-Delivery-ID", r.id)
	order["status"] = "processing"
	order["date_created_gmt"] = r.now.UTC().Format("2006-01-02T15:04:05")
	order["date_modified_gmt"] = r.now.UTC().Format("2006-01-02T15:04:05")
	order["total"] = "24.00"
	return order
}

func stripe(r *request) any {
	eventType := orDefault(r.eventType, "payment_intent.succeeded")
	object := map[string]any{
		"id": "pi_" + r.id, "object": "payment_intent", "amount": 2400, "currency": "usd", "status": "succeeded",
	}
	if strings.HasPrefix(eventType, "checkout.session.") {
		// A paid Checkout Session: the closest thing Stripe has to an order.
		object = map[string]any{
			"id": "cs_test_" + r.id, "object": "checkout.session", "mode": "payment", "status": "complete",
			"payment_status": "paid", "currency": "usd", "amount_subtotal": 2400, "amount_total": 2400,
			"total_details":    map[string]any{"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
			"customer_details": map[string]any{"email": "jenny.rosen@example.com"},
			"payment_intent":   "pi_" + r.id, "created": r.now.Unix(),
			// Where Checkout puts the address it collected (API 2025-03-31 on),
			// and the shop's own note of what was bought: Stripe's events
			// carry no line items, and the shipping sample reads this one.
			"collected_information": map[string]any{"shipping_details": map[string]any{
				"name": "Jenny Rosen",
				"address": map[string]any{"line1": "354 Oyster Point Blvd", "city": "South San Francisco",
					"state": "CA", "postal_code": "94080", "country": "US"},
			}},
			"metadata": map[string]any{"items": "HB-MUG-01:2"},
		}
	}
	return map[string]any{
		"id": "evt_" + r.id, "object": "event", "api_version": "2025-09-30.clover",
		"created": r.now.Unix(), "livemode": false, "type": eventType,
		"data": map[string]any{"object": object},
	}
}

func standardWebhooks(r *request) any {
	r.h.Set("webhook-id", "msg_"+r.id)
	return map[string]any{
		"type": orDefault(r.eventType, "invoice.paid"), "timestamp": r.now.UTC().Format(time.RFC3339),
		"data": map[string]any{"id": "inv_" + r.id, "amount": 2400, "currency": "USD"},
	}
}

// bigCommerce is BigCommerce's webhook payload (its docs' order example):
// the event type is "scope", the store is "producer", and the resource is
// only named in "data" (BigCommerce sends no resource body). Retries of one
// event share "hash", and webhook-id.
func bigCommerce(r *request) any {
	r.h.Set("webhook-id", r.id)
	sum := sha1.Sum([]byte(r.id))
	return map[string]any{
		"created_at": r.now.Unix(), "store_id": "1025646", "producer": "stores/hb7dev",
		"scope": orDefault(r.eventType, "store/order/created"), "hash": hex.EncodeToString(sum[:]),
		"data": map[string]any{"type": "order", "id": json.Number(r.num)},
	}
}

// shopware is a Shopware 6 app webhook: X-Shopware-Event-Id, and the
// sequence in X-Shopware-Sequence and (signed) source.sequence, as Shopware
// sends both; an entity-written event ("order.written") names the entity
// by primaryKey, a business event (checkout.order.placed, the default)
// carries it.
func shopware(r *request) any {
	event := orDefault(r.eventType, "checkout.order.placed")
	seq := r.now.UnixMicro()
	r.h.Set("sw-version", "6.7.13.0")
	r.h.Set("X-Shopware-Event-Id", r.id)
	r.h.Set("X-Shopware-Sequence", strconv.FormatInt(seq, 10))
	r.h.Set("X-Shopware-Attempt", "0")
	orderID := strings.Repeat("0", max(0, 32-len(r.num))) + r.num // Shopware ids: 32 hex digits
	var payload any = map[string]any{"order": map[string]any{
		"id": orderID, "orderNumber": r.num, "amountTotal": 24.0, "currency": map[string]any{"isoCode": "USD"},
		"stateMachineState": map[string]any{"technicalName": "open"},
		"lineItems":         []any{map[string]any{"productNumber": "HB-MUG-01", "quantity": 2, "unitPrice": 12.0, "label": "Mug"}},
	}}
	if entity, ok := strings.CutSuffix(event, ".written"); ok {
		payload = []any{map[string]any{"entity": entity, "operation": "update", "primaryKey": orderID, "updatedFields": []any{"stateId"}}}
	}
	return map[string]any{
		"data": map[string]any{"payload": payload, "event": event},
		"source": map[string]any{
			"url": "https://shop.example.test", "appVersion": "1.0.0", "shopId": "hbDevShop01",
			"eventId": r.id, "sequence": seq,
		},
		"timestamp": r.now.Unix(),
	}
}

// chargebee is a Chargebee Event object: the event type names the entity
// in "content" (subscription_created: content.subscription).
func chargebee(r *request) any {
	r.h.Set("User-Agent", "ChargeBee")
	return map[string]any{
		"id": "ev_" + r.id, "occurred_at": r.now.Unix(), "source": "admin_console", "object": "event",
		"api_version": "v2", "event_type": orDefault(r.eventType, "subscription_created"),
		"content": map[string]any{
			"subscription": map[string]any{"id": "sub_" + r.num, "customer_id": "cus_" + r.num, "status": "active", "currency_code": "USD"},
			"customer":     map[string]any{"id": "cus_" + r.num, "email": "jenny.rosen@example.com"},
			"invoice":      map[string]any{"id": r.num, "total": 2400, "currency_code": "USD", "status": "paid"},
			"transaction":  map[string]any{"id": "txn_" + r.num, "amount": 2400, "currency_code": "USD", "status": "success", "payment_method": "card"},
		},
	}
}

func github(r *request) any {
	event, action, _ := strings.Cut(orDefault(r.eventType, "issues.opened"), ".")
	r.h.Set("User-Agent", "GitHub-Hookshot/0000000")
	r.h.Set("X-GitHub-Event", event)
	r.h.Set("X-GitHub-Delivery", r.id)
	r.h.Set("X-GitHub-Hook-ID", "1")
	b := map[string]any{
		"repository": map[string]any{"full_name": "acme/shop", "html_url": "https://github.com/acme/shop"},
		"sender":     map[string]any{"login": "octocat"},
	}
	if action != "" {
		b["action"] = action
		b["issue"] = map[string]any{"number": 1, "title": "Sample issue"}
	}
	return b
}

// square is a Square event as the webhooks reference shows one: the
// resource's type and id under data, an order event's summary under
// data.object.order_<event> ("order_created"), a payment's object under
// data.object.payment.
func square(r *request) any {
	eventType := orDefault(r.eventType, "order.created")
	resource, event, _ := strings.Cut(eventType, ".")
	at := r.now.UTC().Format(time.RFC3339Nano)
	r.h.Set("User-Agent", "Square Connect v2")
	r.h.Set("Square-Environment", "Sandbox")
	r.h.Set("Square-Initial-Delivery-Timestamp", at)
	object := map[string]any{"order_" + event: map[string]any{
		"order_id": r.num, "location_id": "L8XM4MDV6YQ4N", "state": "OPEN", "version": 1, "created_at": at,
	}}
	if resource != "order" {
		object = map[string]any{resource: map[string]any{
			"id": r.num, "status": "COMPLETED", "location_id": "L8XM4MDV6YQ4N", "created_at": at,
			"amount_money": map[string]any{"amount": 2400, "currency": "USD"},
		}}
	}
	return map[string]any{
		"merchant_id": "MLEFBHHSJGVHD", "type": eventType, "event_id": r.id, "created_at": at,
		"data": map[string]any{"type": resource, "id": r.num, "object": object},
	}
}

// adyen is a standard notification of one item, as Adyen's webhook
// reference shows one: the payment's pspReference is the delivery's id, a
// modification (CAPTURE, REFUND, ...) names the authorisation it
// modifies in originalReference, and the order is the merchantReference.
// Its hmacSignature is written by provider.SignBody.
func adyen(r *request) any {
	eventCode := orDefault(r.eventType, "AUTHORISATION")
	r.h.Set("User-Agent", "Adyen HttpClient 1.0")
	item := map[string]any{
		"additionalData":      map[string]any{"authCode": "058158", "cardSummary": "1111", "expiryDate": "03/2030"},
		"amount":              map[string]any{"currency": "USD", "value": 2400},
		"eventCode":           eventCode,
		"eventDate":           r.now.Format(time.RFC3339),
		"merchantAccountCode": "HookbridgeECOM",
		"merchantReference":   "order-" + r.num,
		"operations":          []any{"CANCEL", "CAPTURE", "REFUND"},
		"paymentMethod":       "visa",
		"pspReference":        r.id,
		"reason":              "058158:1111:03/2030",
		"success":             "true",
	}
	if eventCode != "AUTHORISATION" {
		item["originalReference"] = "A" + r.num
		delete(item, "operations")
	}
	return map[string]any{"live": "false", "notificationItems": []any{map[string]any{"NotificationRequestItem": item}}}
}

// genericHMAC puts each value where its locator says, in a header or the body.
func genericHMAC(r *request) any {
	b := map[string]any{"data": map[string]any{"id": r.num}}
	for _, l := range []struct{ locator, value string }{
		{r.loc.ID, r.id}, {r.loc.Type, orDefault(r.eventType, "example.created")},
		{r.loc.Subject, r.num}, {r.loc.Time, r.now.UTC().Format(time.RFC3339)},
	} {
		kind, where, ok := strings.Cut(l.locator, ":")
		switch {
		case !ok:
		case kind == "header":
			r.h.Set(where, l.value)
		case kind == "json":
			setPath(b, where, l.value)
		}
	}
	return b
}

// paddle is a Paddle Billing notification: an event wrapping the entity
// (by default a completed transaction) as the API returns it.
func paddle(r *request) any {
	eventType := orDefault(r.eventType, "transaction.completed")
	at := r.now.UTC().Format(time.RFC3339Nano)
	return map[string]any{
		"event_id": "evt_" + r.id, "notification_id": "ntf_" + r.id,
		"event_type": eventType, "occurred_at": at,
		"data": map[string]any{
			"id": "txn_" + r.num, "status": "completed", "origin": "web", "currency_code": "USD",
			"customer_id": "ctm_01hv6y1jedq4p1n0yqn5ba3ky4", "created_at": at, "billed_at": at,
			"items": []any{map[string]any{
				"quantity": 2,
				"price":    map[string]any{"id": "pri_01gsz8x8sawmvhz1pv30nge1ke", "description": "Mug", "unit_price": map[string]any{"amount": "1200", "currency_code": "USD"}},
			}},
			"details": map[string]any{"totals": map[string]any{"subtotal": "2400", "tax": "0", "total": "2400", "currency_code": "USD"}},
		},
	}
}

// recurly is a Recurly JSON notification: it names the object (by default
// a paid charge invoice) and the event, and nothing more; the object id is
// derived from the order id, as several events can concern one object.
func recurly(r *request) any {
	object, event, _ := strings.Cut(orDefault(r.eventType, "charge_invoice.paid"), ".")
	n, _ := strconv.ParseUint(r.num, 10, 64)
	return map[string]any{
		"id": "r" + strconv.FormatUint(n, 36), "object_type": object, "site_id": "qc326l1hl8k9",
		"event_type": event, "event_time": r.now.UTC().Format(time.RFC3339),
	}
}

// razorpay is a Razorpay event: by default a captured payment; an order.*
// event carries the order beside its payment.
func razorpay(r *request) any {
	eventType := orDefault(r.eventType, "payment.captured")
	r.h.Set("X-Razorpay-Event-Id", r.id)
	payment := map[string]any{"entity": map[string]any{
		"id": "pay_" + r.id, "entity": "payment", "amount": 2400, "currency": "INR", "status": "captured",
		"order_id": "order_" + r.num, "method": "card", "captured": true, "email": "gaurav.kumar@example.com",
		"contact": "+919000090000", "notes": map[string]any{}, "created_at": r.now.Unix(),
	}}
	payload, contains := map[string]any{"payment": payment}, []any{"payment"}
	if strings.HasPrefix(eventType, "order.") {
		payload["order"] = map[string]any{"entity": map[string]any{
			"id": "order_" + r.num, "entity": "order", "amount": 2400, "amount_paid": 2400, "amount_due": 0,
			"currency": "INR", "receipt": "rcpt_" + r.num, "status": "paid", "attempts": 1, "created_at": r.now.Unix(),
		}}
		contains = append(contains, "order")
	}
	return map[string]any{
		"entity": "event", "account_id": "acc_HookbridgeDev1", "event": eventType,
		"contains": contains, "payload": payload, "created_at": r.now.Unix(),
	}
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

// lemonSqueezy is an order event as Lemon Squeezy's webhook docs show one:
// a JSON:API order resource under "data", the event name in "meta" and in
// X-Event-Name. Lemon Squeezy sends no delivery id: the bridge derives one
// from the body, so the delivery id shows as the order's identifier.
func lemonSqueezy(r *request) any {
	eventName := orDefault(r.eventType, "order_created")
	r.h.Set("X-Event-Name", eventName)
	// Lemon Squeezy writes times with six zero decimals.
	at := r.now.UTC().Format("2006-01-02T15:04:05") + ".000000Z"
	return map[string]any{
		"meta": map[string]any{"test_mode": true, "event_name": eventName, "webhook_id": "9c1b7c52-3a10-4e7c-8a3f-0b6a1f2e4d5c"},
		"data": map[string]any{
			"type": "orders", "id": r.num,
			"attributes": map[string]any{
				"store_id": 24813, "customer_id": 1001, "identifier": r.id, "order_number": json.Number(r.num),
				"user_name": "Darlene Daugherty", "user_email": "darlene@example.com",
				"currency": "USD", "currency_rate": "1.0000", "subtotal": 2400, "discount_total": 0, "tax": 0, "total": 2400,
				"status": "paid", "status_formatted": "Paid", "refunded": false, "refunded_at": nil,
				"first_order_item": map[string]any{"order_id": json.Number(r.num), "product_name": "Mug", "variant_name": "HB-MUG-01", "quantity": 2, "price": 1200},
				"created_at":       at, "updated_at": at, "test_mode": true,
			},
			"links": map[string]any{"self": "https://api.lemonsqueezy.com/v1/orders/" + r.num},
		},
	}
}

// mollie is a next-gen webhook event as Mollie's docs show one: the event
// with its entity (a paid payment link) embedded.
func mollie(r *request) any {
	link := "pl_" + r.num
	at := r.now.UTC().Format(time.RFC3339)
	return map[string]any{
		"resource": "event", "id": "event_" + r.id, "type": orDefault(r.eventType, "payment-link.paid"),
		"entityId": link, "createdAt": at,
		// A delivery embeds the entity under its resource name (the Events
		// API, which a consumer may call, under "entity").
		"_embedded": map[string]any{"payment-link": map[string]any{
			"resource": "payment-link", "id": link, "mode": "test", "description": "Order " + r.num,
			"amount": map[string]any{"currency": "EUR", "value": "24.00"}, "archived": false,
			"profileId": "pfl_QkEhN94Ba", "createdAt": at, "paidAt": at,
		}},
		"_links": map[string]any{"self": map[string]any{"href": "https://api.mollie.com/v2/events/event_" + r.id, "type": "application/hal+json"}},
	}
}

// ecwid is an order event as Ecwid's docs show one. Ecwid signs only
// eventCreated and eventId, so the sample's event time is now.
func ecwid(r *request) any {
	r.h.Set("Content-Type", "application/json; charset=UTF-8")
	return map[string]any{
		"eventId": r.id, "eventCreated": r.now.Unix(), "storeId": 1003, "entityId": json.Number(r.num),
		"eventType": orDefault(r.eventType, "order.created"),
		"data":      map[string]any{"orderId": r.num, "newPaymentStatus": "PAID", "newFulfillmentStatus": "AWAITING_PROCESSING"},
	}
}

// braintree is a notification as braintree_node's
// WebhookTesting.sampleNotification builds one: the XML (kind, timestamp
// now, and a subscription or, for a transaction_* kind, a transaction
// whose id is id) base64-encoded with a trailing newline in bt_payload.
// The transaction is a sale with its currency, as the SDK's
// transaction_settled sample is: a transaction without a type could be a
// refund, which the normaliser will not guess.
// provider.SignBody adds bt_signature. Braintree sends no delivery id:
// the bridge derives one from the notification, whose timestamp is now,
// so two sends of one id in different seconds are two deliveries.
func braintree(r *request) any {
	kind := orDefault(r.eventType, "subscription_charged_successfully")
	var id, k strings.Builder
	_ = xml.EscapeText(&id, []byte(r.id))
	_ = xml.EscapeText(&k, []byte(kind))
	subject := `<subscription>
    <id>` + id.String() + `</id>
    <transactions type="array">
      <transaction>
        <id>` + id.String() + `</id>
        <status>submitted_for_settlement</status>
        <amount>49.99</amount>
      </transaction>
    </transactions>
    <add_ons type="array"></add_ons>
    <discounts type="array"></discounts>
</subscription>`
	if strings.HasPrefix(kind, "transaction_") {
		subject = `<transaction>
  <id>` + id.String() + `</id>
  <type>sale</type>
  <currency-iso-code>USD</currency-iso-code>
  <amount>100</amount>
  <order-id>` + r.num + `</order-id>
  <status>settled</status>
</transaction>`
	}
	doc := `<notification>
    <timestamp type="datetime">` + r.now.UTC().Format(time.RFC3339) + `</timestamp>
    <kind>` + k.String() + `</kind>
    <subject>` + subject + `</subject>
</notification>`
	r.h.Set("Content-Type", "application/x-www-form-urlencoded")
	payload := base64.StdEncoding.EncodeToString([]byte(doc)) + "\n"
	return form(url.Values{"bt_payload": {payload}}.Encode())
}

// paypal is a PayPal webhook event shaped like the ones PayPal's webhook
// simulator sends (its payloads are those of PayPal's docs): by default a
// completed capture (Payments v2) naming its order, the order being the
// order id. CHECKOUT.ORDER.* events carry the order (Orders v2): its
// purchase unit with the mug, the shipping address and, once COMPLETED,
// its capture; PAYMENT.CAPTURE.REFUNDED and .REVERSED a refund of that
// capture; PAYMENT.SALE.* a sale (Payments v1, as subscriptions send).
// provider.Sign adds the five PAYPAL-* signature headers.
func paypal(r *request) any {
	eventType := orDefault(r.eventType, "PAYMENT.CAPTURE.COMPLETED")
	r.h.Set("User-Agent", "PayPal/AUHD-214.0-58391792")
	r.h.Set("PAYPAL-AUTH-VERSION", "v2")
	const api = "https://api.sandbox.paypal.com"
	at := r.now.UTC().Format(time.RFC3339)
	orderID, captureID := r.num, "C"+r.num
	usd := func(v string) map[string]any { return map[string]any{"currency_code": "USD", "value": v} }
	link := func(href, rel, method string) map[string]any {
		return map[string]any{"href": api + href, "rel": rel, "method": method}
	}
	capture := func(status string) map[string]any {
		return map[string]any{
			"id": captureID, "status": status, "amount": usd("24.00"), "final_capture": true,
			"seller_protection":           map[string]any{"status": "ELIGIBLE", "dispute_categories": []any{"ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"}},
			"seller_receivable_breakdown": map[string]any{"gross_amount": usd("24.00"), "paypal_fee": usd("1.19"), "net_amount": usd("22.81")},
			"supplementary_data":          map[string]any{"related_ids": map[string]any{"order_id": orderID}},
			"create_time":                 at, "update_time": at,
			"links": []any{
				link("/v2/payments/captures/"+captureID, "self", "GET"),
				link("/v2/payments/captures/"+captureID+"/refund", "refund", "POST"),
				link("/v2/checkout/orders/"+orderID, "up", "GET"),
			},
		}
	}
	var resourceType, summary string
	var resource map[string]any
	switch {
	case strings.HasPrefix(eventType, "CHECKOUT.ORDER."):
		status := strings.TrimPrefix(eventType, "CHECKOUT.ORDER.")
		unit := map[string]any{
			"reference_id": "default",
			"amount": map[string]any{"currency_code": "USD", "value": "24.00", "breakdown": map[string]any{
				"item_total": usd("24.00"), "shipping": usd("0.00"), "tax_total": usd("0.00"),
			}},
			"payee": map[string]any{"email_address": "sb-hookbridge@business.example.com", "merchant_id": "HBDEVMERCHANT1"},
			"items": []any{map[string]any{"name": "Mug", "sku": "HB-MUG-01", "quantity": "2", "unit_amount": usd("12.00"), "category": "PHYSICAL_GOODS"}},
			"shipping": map[string]any{
				"name": map[string]any{"full_name": "John Doe"},
				"address": map[string]any{"address_line_1": "1 Main St", "admin_area_2": "San Jose", "admin_area_1": "CA",
					"postal_code": "95131", "country_code": "US"},
			},
		}
		if status == "COMPLETED" {
			unit["payments"] = map[string]any{"captures": []any{capture("COMPLETED")}}
		}
		resourceType, summary = "checkout-order", "An order has been "+strings.ToLower(status)
		resource = map[string]any{
			"id": orderID, "intent": "CAPTURE", "status": status, "purchase_units": []any{unit},
			"payer": map[string]any{
				"name": map[string]any{"given_name": "John", "surname": "Doe"}, "email_address": "sb-buyer@personal.example.com",
				"payer_id": "HBDEVPAYER01", "address": map[string]any{"country_code": "US"},
			},
			"create_time": at, "update_time": at,
			"links": []any{link("/v2/checkout/orders/"+orderID, "self", "GET")},
		}
	case eventType == "PAYMENT.CAPTURE.REFUNDED" || eventType == "PAYMENT.CAPTURE.REVERSED":
		refundID := "R" + r.num
		resourceType, summary = "refund", "A $ 24.00 USD capture payment was refunded"
		resource = map[string]any{
			"id": refundID, "amount": usd("24.00"), "status": "COMPLETED",
			"seller_payable_breakdown": map[string]any{"gross_amount": usd("24.00"), "paypal_fee": usd("0.00"),
				"net_amount": usd("24.00"), "total_refunded_amount": usd("24.00")},
			"create_time": at, "update_time": at,
			"links": []any{link("/v2/payments/refunds/"+refundID, "self", "GET"), link("/v2/payments/captures/"+captureID, "up", "GET")},
		}
	case strings.HasPrefix(eventType, "PAYMENT.SALE."):
		saleID := "S" + r.num
		resourceType, summary = "sale", "A sale payment was made for $ 24.00 USD"
		resource = map[string]any{
			"id": saleID, "state": strings.ToLower(strings.TrimPrefix(eventType, "PAYMENT.SALE.")),
			"amount": map[string]any{"total": "24.00", "currency": "USD"}, "payment_mode": "INSTANT_TRANSFER",
			"parent_payment": "PAY-" + r.num, "create_time": at, "update_time": at,
			"links": []any{link("/v1/payments/sale/"+saleID, "self", "GET")},
		}
	default:
		status := map[string]string{"PAYMENT.CAPTURE.DENIED": "DECLINED", "PAYMENT.CAPTURE.DECLINED": "DECLINED", "PAYMENT.CAPTURE.PENDING": "PENDING"}[eventType]
		resourceType, summary, resource = "capture", "Payment completed for $ 24.00 USD", capture(cmp.Or(status, "COMPLETED"))
	}
	id := "WH-" + r.id
	return map[string]any{
		"id": id, "event_version": "1.0", "create_time": r.now.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		"resource_type": resourceType, "resource_version": "2.0", "event_type": eventType, "summary": summary,
		"resource": resource,
		"links": []any{
			link("/v1/notifications/webhooks-events/"+id, "self", "GET"),
			link("/v1/notifications/webhooks-events/"+id+"/resend", "resend", "POST"),
		},
	}
}

// saleor is an order event as a Saleor webhook sends it when its
// subscription query is the one hookbridge's README documents for the
// normaliser: the event's __typename and issuedAt, and the order (a
// global id, "Order:<uuid>" in base64) with its status, money as GraphQL
// Floats, lines, customer and address. The order's state follows the
// event: paid for order_paid and order_fully_paid, fulfilled with a
// tracking number for order_fulfilled, cancelled, refunded. Saleor sends
// no delivery id: the bridge derives one from the event and the body,
// whose issuedAt is now, so two sends of one id in different seconds are
// two deliveries. provider.Sign adds Saleor-Signature, Saleor-Api-Url and
// Saleor-Domain.
func saleor(r *request) any {
	event := orDefault(r.eventType, "order_created")
	r.h.Set("User-Agent", "Saleor/3.20")
	r.h.Set("Saleor-Event", event)
	r.h.Set("X-Saleor-Event", event)
	at := r.now.UTC().Format("2006-01-02T15:04:05.000000") + "+00:00" // Python's isoformat
	tail := r.num[max(0, len(r.num)-12):]
	uuid := "5aa1e0a0-0000-4000-8000-" + strings.Repeat("0", 12-len(tail)) + tail
	status, charge, payment := "UNFULFILLED", "NONE", "NOT_CHARGED"
	fulfillments := []any{}
	switch event {
	case "order_paid", "order_fully_paid":
		charge, payment = "FULL", "FULLY_CHARGED"
	case "order_fulfilled":
		status, charge, payment = "FULFILLED", "FULL", "FULLY_CHARGED"
		fulfillments = []any{map[string]any{"trackingNumber": "1Z999AA10123456784"}}
	case "order_cancelled":
		status = "CANCELED"
	case "order_refunded", "order_fully_refunded":
		charge, payment = "NONE", "FULLY_REFUNDED"
	}
	money := func(amount string) map[string]any {
		return map[string]any{"gross": map[string]any{"amount": json.Number(amount), "currency": "USD"}}
	}
	total := money("24.0")
	total["tax"] = map[string]any{"amount": json.Number("0.0")}
	var typename strings.Builder
	for w := range strings.SplitSeq(event, "_") {
		if w != "" {
			typename.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return map[string]any{
		"__typename": typename.String(),
		"issuedAt":   at,
		"order": map[string]any{
			"id":     base64.StdEncoding.EncodeToString([]byte("Order:" + uuid)),
			"number": r.num, "status": status, "chargeStatus": charge, "paymentStatus": payment,
			"created": at, "updatedAt": at,
			"userEmail": "jenny.rosen@example.com",
			"user":      map[string]any{"id": "VXNlcjox", "email": "jenny.rosen@example.com"},
			"total":     total, "subtotal": money("24.0"), "shippingPrice": money("0.0"),
			"discounts": []any{},
			"lines": []any{map[string]any{
				"id": base64.StdEncoding.EncodeToString([]byte("OrderLine:" + uuid)), "productSku": "HB-MUG-01",
				"productName": "Mug", "variantName": "", "quantity": 2, "isShippingRequired": true,
				"unitPrice": money("12.0"),
			}},
			"shippingAddress": map[string]any{
				"firstName": "Jenny", "lastName": "Rosen", "companyName": "", "streetAddress1": "354 Oyster Point Blvd",
				"streetAddress2": "", "city": "SOUTH SAN FRANCISCO", "countryArea": "CA", "postalCode": "94080",
				"country": map[string]any{"code": "US"}, "phone": "+16505550100",
			},
			"fulfillments": fulfillments,
			"metadata":     []any{},
		},
	}
}

// adobe is an Adobe Commerce event as Adobe I/O Events delivers it: a
// CloudEvent (as commerce-extensibility's debugging tutorial shows one)
// whose data.value is the saved entity with all its fields. By default an
// order placed and paid at once (_isNew, total_paid equal to
// grand_total); com.adobe.commerce.observer.sales_order_invoice_save_after
// is the order's paid invoice, and
// com.adobe.commerce.observer.sales_order_creditmemo_save_after a credit
// memo refunding it. The invoice and the credit memo take the order's id.
// The event id is id; provider.SignBody addresses the event to the
// source's client id, as I/O Events addresses each registration's.
func adobe(r *request) any {
	eventType := orDefault(r.eventType, "com.adobe.commerce.observer.sales_order_save_after")
	at := r.now.UTC().Format("2006-01-02 15:04:05")
	num := json.Number(r.num)
	h := r.h
	h.Set("User-Agent", "Adobe/1.0")
	h.Set("X-Adobe-Event-Id", r.id)
	h.Set("X-Adobe-Event-Code", eventType)
	h.Set("X-Adobe-Provider", "hookbridge-dev")
	h.Set("X-Adobe-Delivery-Id", "delivery-"+r.id)
	value := map[string]any{
		"entity_id": num, "increment_id": fmt.Sprintf("%09s", r.num), "order_id": num, "invoice_id": num,
		"state": 2, "order_currency_code": "USD", "base_currency_code": "USD", "grand_total": "24.0000",
		"subtotal": "24.0000", "tax_amount": "0.0000", "shipping_amount": "0.0000", "created_at": at, "updated_at": at,
	}
	switch {
	case strings.HasSuffix(eventType, ".observer.sales_order_invoice_save_after"),
		strings.HasSuffix(eventType, ".observer.sales_order_creditmemo_save_after"):
		delete(value, "invoice_id")
		if strings.Contains(eventType, "creditmemo") {
			value["invoice_id"] = num
		}
	default:
		delete(value, "order_id")
		delete(value, "invoice_id")
		value["state"], value["status"] = "processing", "processing"
		value["total_paid"], value["discount_amount"] = "24.0000", "0.0000"
		value["customer_email"], value["customer_is_guest"] = "jdoe@example.com", 1
		value["items"] = []any{map[string]any{
			"item_id": num, "sku": "HB-MUG-01", "name": "Mug", "product_type": "simple", "qty_ordered": "2.0000", "price": "12.0000",
		}}
		value["addresses"] = []any{map[string]any{
			"address_type": "shipping", "firstname": "Jane", "lastname": "Doe", "street": []any{"123 Oak Ave"},
			"city": "Purchase", "region": "New York", "region_code": "NY", "postcode": "10577", "country_id": "US",
		}}
		value["_isNew"], value["_origData"] = true, []any{}
	}
	return map[string]any{
		"specversion": "1.0", "id": "ce-" + r.id, "source": "urn:uuid:5c8f2d48-a2a7-4d0e-bb49-aabf9a72bd1e",
		"type": eventType, "datacontenttype": "application/json", "time": r.now.UTC().Format(time.RFC3339),
		"eventid": r.id, "event_id": r.id,
		"data": map[string]any{
			"key": "key-" + r.id, "value": value, "source": "hookbridge-dev.Production",
			"_metadata": map[string]any{"commerceEdition": "Adobe Commerce", "storeId": "1", "websiteId": "1", "storeGroupId": "1"},
		},
	}
}
