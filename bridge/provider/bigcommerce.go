package provider

import (
	"fmt"
	"net/http"
)

// BigCommerce signs Standard Webhooks (webhook-id, webhook-timestamp,
// webhook-signature over "id.timestamp.body") with the app's client secret
// as the raw HMAC key, not a base64 whsec_ secret: BigCommerce's docs
// base64-encode the client secret before handing it to the standardwebhooks
// library, which decodes it again. So it is the standardwebhooks scheme
// with raw keys, always (verify and sign are that scheme's, the svix-*
// spelling included), and its own reading of BigCommerce's body.
type bigCommerce struct{ standardWebhooks }

var _ scheme = bigCommerce{}

func newBigCommerce(secrets []string, w window) bigCommerce {
	return bigCommerce{standardWebhooks{keys: sha256Keys(rawKeys(secrets)), window: w}}
}

// extract maps a delivery to:
//
//	ID      webhook-id (the set that was verified, as standardwebhooks)
//	Type    body "scope" ("store/order/statusUpdated")
//	Source  body "producer" ("stores/{store_hash}")
//	Subject body data.id (a platform id: the order, product, ... number);
//	        for an order transaction, which has none, data.order_id
//	        (the order the payment belongs to)
//	Time    body "created_at" (Unix seconds), else the signed timestamp
//
// BigCommerce sends one webhook-id per event: its docs say that retries of
// one event also share the body's "hash", which is signed with the rest.
func (b bigCommerce) extract(body []byte, h http.Header) (Event, error) {
	v := swHeaders(h)
	if v.id == "" {
		return Event{}, fmt.Errorf("%s is missing: %w", v.names.idErr, ErrUnusable)
	}
	obj := parseJSONObject(body)
	e := Event{ID: v.id, Type: obj.str("scope"), Source: obj.str("producer"), Subject: obj.id("data", "id")}
	if e.Subject == "" {
		e.Subject = obj.id("data", "order_id")
	}
	if t, ok := parseUnix(obj.scalar("created_at")); ok {
		e.Time = t
	} else if t, ok := parseUnix(v.ts); ok {
		e.Time = t
	}
	if obj.err != nil {
		return Event{}, obj.err
	}
	if e.Type == "" {
		return Event{}, fmt.Errorf("body has no string \"scope\": %w", ErrUnusable)
	}
	return e, nil
}
