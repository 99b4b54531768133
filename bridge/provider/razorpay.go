package provider

import (
	"fmt"
	"net/http"
	"strings"
)

// Razorpay signs the raw body: X-Razorpay-Signature is the hex
// HMAC-SHA256 of the body under the webhook's secret (not the API key
// secret), its bytes as they are. Nothing signed carries a time. After a
// secret change Razorpay keeps signing retries of older events with the
// old secret, so keep both configured for a day (its retry period).
const (
	razorpaySignature = "X-Razorpay-Signature"
	razorpayEventID   = "X-Razorpay-Event-Id"
)

type razorpay struct{ headerMAC }

var _ scheme = razorpay{}

func newRazorpay(secrets []string) razorpay {
	return razorpay{headerMAC{bodyMAC{keys: sha256Keys(rawKeys(secrets)), enc: hexEncoding, header: razorpaySignature}}}
}

// razorpayEntities are the payload entities tried, in order, for the
// subject of an event whose own entity (named by its type) is absent.
var razorpayEntities = []string{"payment", "order", "refund"}

// extract maps a delivery to:
//
//	ID      X-Razorpay-Event-Id, the same on every retry of an event.
//	        Required: the body carries no event id, and Razorpay sends
//	        the header with every delivery.
//	Type    body "event" ("payment.captured")
//	Source  body "account_id" ("acc_...")
//	Subject body payload.<entity>.entity.id, where <entity> is the event
//	        type's first part ("order" for "order.paid"), else the first
//	        of payload.payment, .order, .refund present
//	Time    body "created_at" (Unix seconds)
func (r razorpay) extract(body []byte, h http.Header) (Event, error) {
	id := h.Get(razorpayEventID)
	if id == "" {
		return Event{}, fmt.Errorf("%s is missing: %w", razorpayEventID, ErrUnusable)
	}
	obj := parseJSONObject(body)
	e := Event{ID: id, Type: obj.str("event"), Source: obj.str("account_id")}
	if t, ok := parseUnix(obj.scalar("created_at")); ok {
		e.Time = t
	}
	e.Subject = razorpaySubject(obj, e.Type)
	return e.complete(obj, "id", `"event"`)
}

// razorpaySubject is the id of the event's main entity: the one its type
// names, else the first of razorpayEntities present.
func razorpaySubject(obj *jsonBody, eventType string) string {
	names := razorpayEntities
	// A name that checkPathKey refuses could match keys readers disagree on.
	if own, _, _ := strings.Cut(eventType, "."); own != "" && checkPathKey(own) == nil {
		names = append([]string{own}, names...)
	}
	for _, name := range names {
		if id := obj.id("payload", name, "entity", "id"); id != "" {
			return id
		}
	}
	return ""
}
