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
const (
	swID        = "Webhook-Id" // canonical forms of webhook-id, ...
	swTimestamp = "Webhook-Timestamp"
	swSignature = "Webhook-Signature"
	swPrefix    = "whsec_"
)

type standardWebhooks struct {
	keys   keyring
	window window
}

var _ scheme = standardWebhooks{}

// newStandardWebhooks decodes each secret as the official libraries do:
// the base64 after "whsec_", or the whole string when it has no such
// prefix. A BigCommerce client secret, used raw by BigCommerce, must be
// configured as "whsec_" + base64(client secret).
func newStandardWebhooks(secrets []string, w window) (standardWebhooks, error) {
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
	id, ts, list := h.Get(swID), h.Get(swTimestamp), h.Get(swSignature)
	switch {
	case id == "":
		return fmt.Errorf("webhook-id: %w", ErrMissingSignature)
	case ts == "":
		return fmt.Errorf("webhook-timestamp: %w", ErrMissingSignature)
	case list == "":
		return fmt.Errorf("webhook-signature: %w", ErrMissingSignature)
	}
	t, ok := parseUnix(ts)
	if !ok {
		return fmt.Errorf("webhook-timestamp: not Unix seconds: %w", ErrMalformedSignature)
	}
	sigs := parseStandardWebhooksSignatures(list, s.keys.size)
	if len(sigs) == 0 {
		return fmt.Errorf("webhook-signature: no v1,<base64> HMAC-SHA256 entry: %w", ErrMalformedSignature)
	}
	if !s.keys.match(sigs, []byte(id+"."+ts+"."), body) {
		return fmt.Errorf("webhook-signature: %w", ErrBadSignature)
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
//	ID      webhook-id (the spec's idempotency key, kept across retries)
//	Type    body "type"; else body "scope" (BigCommerce's name for it)
//	Source  "" (the spec defines none)
//	Subject "" (the spec defines none)
//	Time    body "timestamp" (RFC 3339), else webhook-timestamp
func (s standardWebhooks) extract(body []byte, h http.Header) (Event, error) {
	e := Event{ID: h.Get(swID)}
	if e.ID == "" {
		return Event{}, fmt.Errorf("webhook-id is missing: %w", ErrUnusable)
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
	} else if t, ok := parseUnix(h.Get(swTimestamp)); ok {
		e.Time = t
	}
	if obj.err != nil {
		return Event{}, obj.err
	}
	return e, nil
}

// sign keeps a webhook-id already in h (so a caller can choose it) and
// otherwise makes a random "msg_..." one.
func (s standardWebhooks) sign(body []byte, h http.Header, now time.Time) error {
	id := h.Get(swID)
	if id == "" {
		id = "msg_" + rand.Text()
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := base64Encoding.encode(s.keys.sign([]byte(id+"."+ts+"."), body))
	h.Set(swID, id)
	h.Set(swTimestamp, ts)
	h.Set(swSignature, "v1,"+sig)
	return nil
}
