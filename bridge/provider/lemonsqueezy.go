package provider

import (
	"fmt"
	"net/http"
	"time"
)

// Lemon Squeezy signs the raw body: X-Signature is
// hex(HMAC-SHA256(signing secret, body)), the secret being the string
// chosen when the webhook was created (docs "Signing requests"). Nothing
// signed carries a time, so there is no replay window.
const (
	lsSignature = "X-Signature"
	lsEventName = "X-Event-Name"
)

type lemonSqueezy struct{ headerMAC }

var _ scheme = lemonSqueezy{}

func newLemonSqueezy(secrets []string) lemonSqueezy {
	return lemonSqueezy{headerMAC{bodyMAC{keys: sha256Keys(rawKeys(secrets)), enc: hexEncoding, header: lsSignature}}}
}

// extract maps a delivery (a JSON:API resource with a "meta" member) to:
//
//	ID      the first 32 hex digits of sha256(event name + "\n" + body),
//	        see below
//	Type    body meta.event_name ("order_created")
//	Source  body data.attributes.store_id (the store's id)
//	Subject body data.type + "/" + data.id ("orders/1"), the JSON:API
//	        resource: Lemon Squeezy numbers each resource type on its own,
//	        so the id alone does not say what it names
//	Time    body data.attributes.updated_at (RFC 3339), else zero
//
// The type is read from the body because the signature covers it;
// X-Event-Name, which Lemon Squeezy sends with the same value, is not
// signed. A delivery whose header names another event than its body has
// been altered on the way, and one whose body names none would take its
// type from an unsigned header: both are ErrUnusable.
//
// Why a derived ID: Lemon Squeezy documents no delivery or event id (a
// meta.webhook_id that some payloads carry is undocumented, so nothing
// relies on it). A retry, or a resend from the dashboard, re-sends the
// same payload, so the digest of the event name and the raw body is the
// same on every retry of one delivery, and the broker drops the retries.
// A real change to the resource changes the body (updated_at at least),
// so a new event is never taken for a retry. 128 bits of the hash are
// plenty against accidental collisions.
func (l lemonSqueezy) extract(body []byte, h http.Header) (Event, error) {
	obj := parseJSONObject(body)
	e := Event{
		Type:   obj.str("meta", "event_name"),
		Source: obj.id("data", "attributes", "store_id"),
	}
	if typ, id := obj.str("data", "type"), obj.id("data", "id"); typ != "" && id != "" {
		e.Subject = typ + "/" + id
	}
	if t, err := time.Parse(time.RFC3339, obj.str("data", "attributes", "updated_at")); err == nil {
		e.Time = t
	}
	e.ID = deliveryDigest([]byte(e.Type+"\n"), body)
	e, err := e.complete(obj, "", "meta.event_name") // the derived ID is never empty
	if err != nil {
		return Event{}, err
	}
	if named := h.Get(lsEventName); named != "" && named != e.Type {
		return Event{}, fmt.Errorf("%s differs from the signed meta.event_name: %w", lsEventName, ErrUnusable)
	}
	return e, nil
}
