package provider

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Shopware 6 (the app system) signs the raw body of a webhook POST:
// shopware-shop-signature is hex(HMAC-SHA256(shop secret, body)), the
// secret the app gave the shop at registration. After a re-registration a
// request may also carry shopware-shop-signature-previous, the same MAC
// under the shop's previous secret. Nothing signed is checked against the
// clock (the body's "timestamp" is signed but has no documented window).
const (
	shopwareSignature  = "Shopware-Shop-Signature"
	shopwarePrevious   = "Shopware-Shop-Signature-Previous"
	shopwareEventID    = "X-Shopware-Event-Id"
	shopwareSequence   = "X-Shopware-Sequence"
	shopwareSeqWidth   = 20 // digits of the largest unsigned 64-bit number
	shopwareExtension  = "sequence"
	shopwareSubjectTry = 4 // event name segments tried for a business event's entity
)

type shopware struct{ keys keyring }

var _ scheme = shopware{}

func newShopware(secrets []string) shopware {
	return shopware{keys: sha256Keys(rawKeys(secrets))}
}

// verify accepts the delivery when either header holds the MAC of the body
// under any configured secret: Shopware signs with the shop's current
// secret and, while a secret is being replaced, the previous one too, and
// the bridge may hold either. A header that is present but not a hex
// SHA-256 digest cannot match; when nothing matches, that is reported
// before a mismatch.
func (s shopware) verify(body []byte, h http.Header) error {
	var sigs [][]byte
	malformed := ""
	present := false
	for _, name := range []string{shopwareSignature, shopwarePrevious} {
		v := h.Get(name)
		if v == "" {
			continue
		}
		present = true
		if sig, ok := hexEncoding.decode(v, s.keys.size); ok {
			sigs = append(sigs, sig)
		} else if malformed == "" {
			malformed = strings.ToLower(name)
		}
	}
	switch {
	case !present:
		return fmt.Errorf("shopware-shop-signature: %w", ErrMissingSignature)
	case len(sigs) > 0 && s.keys.match(sigs, body):
		return nil
	case malformed != "":
		return fmt.Errorf("%s: not a hex HMAC-SHA256 digest: %w", malformed, ErrMalformedSignature)
	}
	return fmt.Errorf("shopware-shop-signature: %w", ErrBadSignature)
}

// extract maps a delivery to:
//
//	ID       X-Shopware-Event-Id, else body source.eventId (Shopware
//	         documents them as the same value, stable across retries)
//	Type     body data.event ("product.written", "checkout.order.placed")
//	Source   body source.shopId: the shop's identity, which stays when its
//	         URL (source.url) changes
//	Subject  the entity's id: of an entity-written event (a payload array),
//	         the primaryKey of its one entry; of a business event, the id
//	         of the payload object named by a segment of the event name
//	         (checkout.order.placed: data.payload.order.id), else of the
//	         order it carries (state_enter.order_transaction.state.paid)
//	Time     body "timestamp" (Unix seconds)
//	sequence X-Shopware-Sequence, else body source.sequence, zero-padded
//	         to 20 digits (see shopwareSeq)
//
// The headers are not signed; the body's copies are. So a header that
// differs from its signed copy is ErrUnusable: a replay with a new event id
// would pass the broker's dedup, and one with a higher sequence would win
// a consumer's last-write-wins against newer events.
func (s shopware) extract(body []byte, h http.Header) (Event, error) {
	obj := parseJSONObject(body)
	e := Event{Type: obj.str("data", "event"), Source: obj.str("source", "shopId")}
	e.ID, e.Subject = h.Get(shopwareEventID), shopwareSubject(obj, e.Type)
	signedID := obj.str("source", "eventId")
	if t, ok := parseUnix(obj.scalar("timestamp")); ok {
		e.Time = t
	}
	seq, signedSeq := shopwareSeq(h.Get(shopwareSequence)), shopwareSeq(obj.id("source", "sequence"))
	if obj.err != nil {
		return Event{}, obj.err
	}
	switch {
	case e.ID == "":
		e.ID = signedID
	case signedID != "" && e.ID != signedID:
		return Event{}, fmt.Errorf("%s differs from the signed source.eventId: %w", shopwareEventID, ErrUnusable)
	}
	switch {
	case seq == "":
		seq = signedSeq
	case signedSeq != "" && seq != signedSeq:
		return Event{}, fmt.Errorf("%s differs from the signed source.sequence: %w", shopwareSequence, ErrUnusable)
	}
	if e.ID == "" {
		return Event{}, fmt.Errorf("%s and body source.eventId are both missing: %w", shopwareEventID, ErrUnusable)
	}
	if e.Type == "" {
		return Event{}, fmt.Errorf("body has no string data.event: %w", ErrUnusable)
	}
	if seq != "" {
		e.Extensions = map[string]string{shopwareExtension: seq}
	}
	return e, nil
}

// shopwareSubject is the id of the entity a delivery is about, or "".
func shopwareSubject(obj *jsonBody, event string) string {
	if id := obj.only("data", "payload").id("primaryKey"); id != "" {
		return id
	}
	segments := strings.SplitN(event, ".", shopwareSubjectTry+1)
	for _, seg := range segments[:len(segments)-1] { // the last is the action ("placed")
		if id := obj.id("data", "payload", seg, "id"); id != "" {
			return id
		}
	}
	// The state machine's events of an order's parts
	// (state_enter.order_transaction.state.paid,
	// state_enter.order_delivery.state.shipped) carry the whole order, not
	// the part: the order is what they are about.
	return obj.id("data", "payload", "order", "id")
}

// shopwareSeq is a Shopware sequence number (decimal digits, at most 20)
// padded with leading zeros to 20 digits, or "" for anything else. The
// CloudEvents sequence extension orders events by comparing the strings:
// padded, "00000000000000000010" sorts after "00000000000000000009" as 10
// comes after 9.
func shopwareSeq(v string) string {
	if v == "" || len(v) > shopwareSeqWidth || strings.Trim(v, "0123456789") != "" {
		return ""
	}
	return strings.Repeat("0", shopwareSeqWidth-len(v)) + v
}

func (s shopware) sign(body []byte, h http.Header, _ time.Time) error {
	h.Set(shopwareSignature, hexEncoding.encode(s.keys.sign(body)))
	return nil
}
