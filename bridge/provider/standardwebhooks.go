package provider

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks (standardwebhooks.com; BigCommerce among others) signs
// "<webhook-id>.<webhook-timestamp>.<body>" with HMAC-SHA256 and sends
// webhook-signature as a space-separated list of "<version>,<base64>".
// Only v1 (symmetric) entries are checked; v1a (ed25519) and other
// versions are ignored, as are v1 entries that are not a canonical
// base64 SHA-256 digest.
//
// Senders that run on Svix (Clerk, Resend, PrestaShop Billing, ...) send
// the same scheme under svix-id, svix-timestamp and svix-signature; see
// swHeaders for which spelling is read.
const swPrefix = "whsec_"

// swNames is one spelling of the three signed headers: canonical forms for
// h.Get (a canonical key costs no allocation), lower-case ones for error
// texts.
type swNames struct {
	id, timestamp, signature    string
	idErr, timestampErr, sigErr string
}

var (
	swStandard = swNames{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature", "webhook-id", "webhook-timestamp", "webhook-signature"}
	swSvix     = swNames{"Svix-Id", "Svix-Timestamp", "Svix-Signature", "svix-id", "svix-timestamp", "svix-signature"}
)

// swSigned is the three signed header values of a delivery and the
// spelling they were read under.
type swSigned struct {
	names        *swNames
	id, ts, list string
}

func swRead(h http.Header, n *swNames) swSigned {
	return swSigned{n, h.Get(n.id), h.Get(n.timestamp), h.Get(n.signature)}
}

func (v swSigned) complete() bool { return v.id != "" && v.ts != "" && v.list != "" }
func (v swSigned) any() bool      { return v.id != "" || v.ts != "" || v.list != "" }

// swHeaders picks the set a delivery is verified and read under, as Svix's
// own libraries do (svix-webhooks go/webhook.go, Webhook.verify): the
// svix-* set when all three are present, else the webhook-* set. The two
// are never mixed: svix-id with webhook-timestamp and webhook-signature is
// the webhook-* set with its id missing. So a delivery that carries both
// complete sets is verified under svix-*, and the id that becomes the
// CloudEvent id (and the dedup key) is always the one that was signed.
func swHeaders(h http.Header) swSigned {
	if svix := swRead(h, &swSvix); svix.complete() {
		return svix
	}
	return swRead(h, &swStandard)
}

// swVerified is the set verify reads: swHeaders' choice when that set is
// complete. When it is not, the delivery is refused either way, and the set
// read is the one the delivery speaks, so that the error names a header
// the sender knows (a Svix sender missing svix-timestamp is told that, not
// that webhook-id is missing): svix-* when the delivery has some svix-*
// header and no webhook-* one, else webhook-*. sign writes this set too,
// so that what it writes is what verify reads.
func swVerified(h http.Header) swSigned {
	if v := swHeaders(h); v.complete() {
		return v
	}
	if svix := swRead(h, &swSvix); svix.any() && !swRead(h, &swStandard).any() {
		return svix
	}
	return swRead(h, &swStandard)
}

type standardWebhooks struct {
	keys   keyring
	window window
}

var _ scheme = standardWebhooks{}

// newStandardWebhooks decodes each secret as the official libraries do:
// the base64 after "whsec_", or the whole string when it has no such
// prefix. With raw, the secret's bytes are the key as they are
// (BigCommerce's app client secret; the libraries' NewWebhookRaw).
func newStandardWebhooks(secrets []string, raw bool, w window) (standardWebhooks, error) {
	if raw {
		return standardWebhooks{keys: sha256Keys(rawKeys(secrets)), window: w}, nil
	}
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, swPrefix))
		if err != nil || len(key) == 0 {
			return standardWebhooks{}, fmt.Errorf("secrets[%d]: not a Standard Webhooks secret (want whsec_ followed by base64)", i)
		}
		keys[i] = key
	}
	return standardWebhooks{keys: sha256Keys(keys), window: w}, nil
}

// verify checks the MAC first and the time second (see Provider.Verify).
func (s standardWebhooks) verify(body []byte, h http.Header) error {
	v := swVerified(h)
	n := v.names
	switch {
	case v.id == "":
		return fmt.Errorf("%s: %w", n.idErr, ErrMissingSignature)
	case v.ts == "":
		return fmt.Errorf("%s: %w", n.timestampErr, ErrMissingSignature)
	case v.list == "":
		return fmt.Errorf("%s: %w", n.sigErr, ErrMissingSignature)
	}
	t, ok := parseUnix(v.ts)
	if !ok {
		return fmt.Errorf("%s: not Unix seconds: %w", n.timestampErr, ErrMalformedSignature)
	}
	sigs := parseStandardWebhooksSignatures(v.list, s.keys.size)
	if len(sigs) == 0 {
		return fmt.Errorf("%s: no v1,<base64> HMAC-SHA256 entry: %w", n.sigErr, ErrMalformedSignature)
	}
	if !s.keys.match(sigs, []byte(v.id+"."+v.ts+"."), body) {
		return fmt.Errorf("%s: %w", n.sigErr, ErrBadSignature)
	}
	return s.window.check(t)
}

// parseStandardWebhooksSignatures returns the usable v1 digests in a
// webhook-signature value. Entries are separated by spaces (runs of them
// tolerated).
func parseStandardWebhooksSignatures(list string, size int) [][]byte {
	var sigs [][]byte
	for _, entry := range strings.Fields(list) {
		version, value, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		if sig, ok := base64Encoding.decode(value, size); ok {
			sigs = append(sigs, sig)
		}
	}
	return sigs
}

// extract maps a delivery to:
//
//	ID      webhook-id (the spec's idempotency key, kept across retries),
//	        or svix-id when the delivery is signed under svix-* (swHeaders)
//	Type    body "type"; else body "scope" (BigCommerce's name for it)
//	Source  "" (the spec defines none)
//	Subject "" (the spec defines none)
//	Time    body "timestamp" (RFC 3339), else the signed timestamp
func (s standardWebhooks) extract(body []byte, h http.Header) (Event, error) {
	v := swHeaders(h)
	e := Event{ID: v.id}
	if e.ID == "" {
		return Event{}, fmt.Errorf("%s is missing: %w", v.names.idErr, ErrUnusable)
	}
	obj := parseJSONObject(body)
	if e.Type = obj.str("type"); e.Type == "" {
		e.Type = obj.str("scope")
	}
	if obj.err != nil {
		return Event{}, obj.err
	}
	if e.Type == "" {
		return Event{}, fmt.Errorf("body has no string \"type\" (nor \"scope\"): %w", ErrUnusable)
	}
	if t, err := time.Parse(time.RFC3339, obj.str("timestamp")); err == nil {
		e.Time = t
	} else if t, ok := parseUnix(v.ts); ok {
		e.Time = t
	}
	if obj.err != nil {
		return Event{}, obj.err
	}
	return e, nil
}

// sign keeps a webhook-id already in h (so a caller can choose it) and
// otherwise makes a random "msg_..." one. It writes the webhook-* set,
// unless h already holds a complete svix-* set, or svix-* headers and no
// webhook-* one: then it writes (and keeps the id of) the svix-* set, the
// one verify will read.
func (s standardWebhooks) sign(body []byte, h http.Header, now time.Time) error {
	n := swVerified(h).names
	id := h.Get(n.id)
	if id == "" {
		id = "msg_" + rand.Text()
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := base64Encoding.encode(s.keys.sign([]byte(id+"."+ts+"."), body))
	h.Set(n.id, id)
	h.Set(n.timestamp, ts)
	h.Set(n.signature, "v1,"+sig)
	return nil
}
