package provider

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Stripe signs "<t>.<body>": Stripe-Signature is
// "t=<unix>,v1=<hex>[,v1=<hex>...]" with HMAC-SHA256 under the endpoint
// secret's bytes, "whsec_" included (it is not decoded). While a secret is
// being rolled Stripe sends one v1 per active secret. v0 (test-mode legacy)
// and unknown keys are ignored.
const stripeSignature = "Stripe-Signature"

type stripe struct {
	keys   keyring
	window window
}

var _ scheme = stripe{}

func newStripe(secrets []string, w window) stripe {
	return stripe{keys: sha256Keys(rawKeys(secrets)), window: w}
}

// verify checks the MAC first and the time second (see Provider.Verify).
// Unlike stripe-go, which only rejects old timestamps, a timestamp more
// than the tolerance in the future is ErrStale too.
func (s stripe) verify(body []byte, h http.Header) error {
	v := h.Get(stripeSignature)
	if v == "" {
		return fmt.Errorf("%s: %w", stripeSignature, ErrMissingSignature)
	}
	t, ts, sigs, err := parseStripeSignature(v, s.keys.size)
	if err != nil {
		return fmt.Errorf("%s: %w", stripeSignature, err)
	}
	if !s.keys.match(sigs, []byte(t), []byte("."), body) {
		return fmt.Errorf("%s: %w", stripeSignature, ErrBadSignature)
	}
	return s.window.check(ts)
}

// parseStripeSignature splits a Stripe-Signature value into the timestamp
// as written (it is signed as written), its time, and the v1 signatures
// that are well-formed hex digests of size bytes. As in stripe-go, a v1
// that is not is skipped, not an error: it cannot match anyway. Errors
// wrap ErrMalformedSignature: an item without "=", no t or more than one,
// a t that is not whole Unix seconds, or no usable v1.
func parseStripeSignature(v string, size int) (t string, ts time.Time, sigs [][]byte, err error) {
	seenT := false
	for item := range strings.SplitSeq(v, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return "", time.Time{}, nil, fmt.Errorf("an item is not key=value: %w", ErrMalformedSignature)
		}
		switch key {
		case "t":
			if seenT {
				return "", time.Time{}, nil, fmt.Errorf("more than one t=: %w", ErrMalformedSignature)
			}
			seenT = true
			if ts, ok = parseUnix(value); !ok {
				return "", time.Time{}, nil, fmt.Errorf("t= is not Unix seconds: %w", ErrMalformedSignature)
			}
			t = value
		case "v1":
			if sig, ok := hexEncoding.decode(value, size); ok {
				sigs = append(sigs, sig)
			}
		}
	}
	if !seenT {
		return "", time.Time{}, nil, fmt.Errorf("no t=: %w", ErrMalformedSignature)
	}
	if len(sigs) == 0 {
		return "", time.Time{}, nil, fmt.Errorf("no v1= HMAC-SHA256 signature: %w", ErrMalformedSignature)
	}
	return t, ts, sigs, nil
}

// extract maps a delivery (a Stripe Event object) to:
//
//	ID      body "id" ("evt_..."), the same on every retry
//	Type    body "type" ("payment_intent.succeeded")
//	Source  body "account" (Connect deliveries), else ""
//	Subject body data.object.id
//	Time    body "created" (Unix seconds)
func (s stripe) extract(body []byte, _ http.Header) (Event, error) {
	obj := parseJSONObject(body)
	e := Event{ID: obj.str("id"), Type: obj.str("type"), Source: obj.str("account"), Subject: obj.id("data", "object", "id")}
	if t, ok := parseUnix(obj.scalar("created")); ok {
		e.Time = t
	}
	return bodyEvent(e, obj, "id", "type")
}

// bodyEvent is e as read from obj by a platform whose id and type are the
// body's fields idField and typeField: the first field readers would read
// differently, else the first of the two that is missing, is ErrUnusable.
func bodyEvent(e Event, obj *jsonBody, idField, typeField string) (Event, error) {
	if obj.err != nil {
		return Event{}, obj.err
	}
	if e.ID == "" {
		return Event{}, fmt.Errorf("body has no string %q: %w", idField, ErrUnusable)
	}
	if e.Type == "" {
		return Event{}, fmt.Errorf("body has no string %q: %w", typeField, ErrUnusable)
	}
	return e, nil
}

func (s stripe) sign(body []byte, h http.Header, now time.Time) error {
	t := strconv.FormatInt(now.Unix(), 10)
	h.Set(stripeSignature, "t="+t+",v1="+hex.EncodeToString(s.keys.sign([]byte(t), []byte("."), body)))
	return nil
}
