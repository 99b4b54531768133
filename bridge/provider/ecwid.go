package provider

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Ecwid does NOT sign the body. X-Ecwid-Webhook-Signature is
// base64(HMAC-SHA256(app client_secret, eventCreated + "." + eventId)),
// both values taken from the JSON body (docs.ecwid.com, "How to process
// webhooks"): the signature says that Ecwid announced an event with that
// id at that time, and nothing about the rest of the body. Anybody who
// has seen one genuine delivery can send its two signed fields with any
// storeId, eventType, entityId or data they like. A consumer must
// therefore treat the body as a hint and fetch the entity from Ecwid's
// REST API before trusting anything in it; hookbridge warns about every
// ecwid source at start-up.
//
// eventCreated is the one signed time, and so the only replay protection:
// a delivery whose eventCreated is further than the tolerance from now is
// ErrStale, checked after the MAC as for every timestamped scheme. Ecwid
// keeps the original eventCreated when it retries (for up to 24 hours), so
// an ecwid source's tolerance defaults to EcwidDefaultTolerance (24h), not
// DefaultTolerance; a replay within the stream's duplicate window is
// dropped as a duplicate of its eventId anyway. An explicit tolerance
// wins, and one shorter than 24h refuses Ecwid's later retries.
const ecwidSignature = "X-Ecwid-Webhook-Signature"

type ecwid struct {
	keys   keyring
	window window
}

var _ scheme = ecwid{}

func newEcwid(secrets []string, w window) ecwid {
	return ecwid{keys: sha256Keys(rawKeys(secrets)), window: w}
}

// errEcwidUnsignable is why Sign cannot sign a body: the signature is
// over two of its fields.
var errEcwidUnsignable = errors.New("ecwid signs the body's eventCreated and eventId, and cannot sign this body")

// ecwidSigned is what an Ecwid signature covers, read from the body.
type ecwidSigned struct {
	created string // eventCreated as written: Unix seconds in decimal digits
	at      time.Time
	id      string // eventId as written (a string, or a number's text)
}

// readEcwidSigned reads eventCreated and eventId. Both are read as every
// JSON reader would read them (a repeated key or a key in two cases is
// refused), since the event id the signature covers must be the event id
// the event is published under. Errors wrap ErrMissingSignature (a field
// is absent) or ErrMalformedSignature.
func readEcwidSigned(body []byte) (ecwidSigned, error) {
	obj := parseJSONObject(body)
	s := ecwidSigned{created: obj.scalar("eventCreated"), id: obj.scalar("eventId")}
	switch {
	case obj.err != nil:
		return ecwidSigned{}, fmt.Errorf("body fields eventCreated and eventId: JSON readers could read them differently: %w", ErrMalformedSignature)
	case s.created == "" || s.id == "":
		return ecwidSigned{}, fmt.Errorf("body has no eventCreated or no eventId, which the signature covers: %w", ErrMissingSignature)
	}
	var ok bool
	if s.at, ok = parseUnix(s.created); !ok {
		return ecwidSigned{}, fmt.Errorf("body field eventCreated is not Unix seconds: %w", ErrMalformedSignature)
	}
	return s, nil
}

// verify checks the header, then the signed fields, then the MAC, then
// the time (see Provider.Verify).
func (e ecwid) verify(body []byte, h http.Header) error {
	v := h.Get(ecwidSignature)
	if v == "" {
		return fmt.Errorf("%s: %w", ecwidSignature, ErrMissingSignature)
	}
	sig, ok := base64Encoding.decode(v, e.keys.size)
	if !ok {
		return fmt.Errorf("%s: not a base64 HMAC-SHA256: %w", ecwidSignature, ErrMalformedSignature)
	}
	s, err := readEcwidSigned(body)
	if err != nil {
		return fmt.Errorf("%s: %w", ecwidSignature, err)
	}
	if !e.keys.match([][]byte{sig}, []byte(s.created), []byte("."), []byte(s.id)) {
		return fmt.Errorf("%s: %w", ecwidSignature, ErrBadSignature)
	}
	return e.window.check(s.at)
}

// extract maps a delivery to:
//
//	ID      body eventId, read exactly as verify reads it (the signed id)
//	Type    body eventType ("order.created")
//	Source  body storeId
//	Subject body entityId (the order, product or customer id; absent
//	        or -1 on some events, then "")
//	Time    body eventCreated (Unix seconds)
//
// All but ID and Time are unsigned: see the comment on ecwidSignature.
func (e ecwid) extract(body []byte, _ http.Header) (Event, error) {
	obj := parseJSONObject(body)
	ev := Event{
		ID: obj.scalar("eventId"), Type: obj.str("eventType"),
		Source: obj.id("storeId"), Subject: obj.id("entityId"),
	}
	if t, ok := parseUnix(obj.scalar("eventCreated")); ok {
		ev.Time = t
	}
	return ev.complete(obj, `"eventId"`, `"eventType"`)
}

// sign sets the signature over the body's own eventCreated and eventId;
// now is not used, since the signed time is the body's. A body without
// them cannot be signed.
func (e ecwid) sign(body []byte, h http.Header, _ time.Time) error {
	s, err := readEcwidSigned(body)
	if err != nil {
		return fmt.Errorf("%w: %v", errEcwidUnsignable, err)
	}
	h.Set(ecwidSignature, base64Encoding.encode(e.keys.sign([]byte(s.created), []byte("."), []byte(s.id))))
	return nil
}
