package provider

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// WooCommerce signs the raw body: X-WC-Webhook-Signature is
// base64(HMAC-SHA256(key, body)), where key is the webhook secret after
// wp_specialchars_decode(secret, ENT_QUOTES): WordPress stores the secret
// HTML-escaped and un-escapes it to sign (class-wc-webhook.php,
// generate_signature). Nothing signed carries a time.
const (
	wcSignature = "X-Wc-Webhook-Signature"
	wcTopic     = "X-Wc-Webhook-Topic"
	wcSource    = "X-Wc-Webhook-Source"
	wcWebhookID = "X-Wc-Webhook-Id"
)

type wooCommerce struct{ mac bodyMAC }

var _ scheme = wooCommerce{}

func newWooCommerce(secrets []string) wooCommerce {
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		keys[i] = []byte(wpSpecialcharsDecode(s))
	}
	return wooCommerce{mac: bodyMAC{keys: sha256Keys(keys), enc: base64Encoding, header: wcSignature}}
}

// verify answers ErrPing for the one unsigned request WooCommerce sends:
// deliver_ping() posts the body "webhook_id=<id>" with none of the
// X-WC-Webhook-* headers when a webhook is created or activated, and the
// admin reports an error unless the answer is 200. Only that exact form
// (at most one trailing newline) counts; any other unsigned request is
// ErrMissingSignature. A forged ping gains nothing: it is never published.
func (w wooCommerce) verify(body []byte, h http.Header) error {
	if len(h.Values(wcSignature)) == 0 {
		if len(h.Values(wcTopic)) == 0 && isWooCommercePing(body) {
			return fmt.Errorf("WooCommerce webhook creation ping: %w", ErrPing)
		}
		return fmt.Errorf("X-WC-Webhook-Signature: %w", ErrMissingSignature)
	}
	return w.mac.verify("X-WC-Webhook-Signature", h.Get(wcSignature), body)
}

func isWooCommercePing(body []byte) bool {
	id, ok := strings.CutPrefix(strings.TrimSuffix(string(body), "\n"), "webhook_id=")
	if !ok || id == "" || len(id) > 20 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

// extract maps a delivery to:
//
//	ID      X-WC-Webhook-ID + "-" + the first 32 hex digits of
//	        sha256(topic + "\n" + body), see below
//	Type    X-WC-Webhook-Topic ("order.created")
//	Source  X-WC-Webhook-Source (the shop's home URL)
//	Subject body "id" (a platform id: an integer as written, or a string)
//	Time    body "date_modified_gmt", else "date_created_gmt"
//	        ("2006-01-02T15:04:05", UTC), else zero
//
// Why not X-WC-Webhook-Delivery-ID: WooCommerce computes it in deliver()
// as wp_hash(webhook_id . time()), to the second. Two different deliveries
// of one webhook in the same second (two orders created together, a bulk
// edit) get the same delivery id, and the broker would drop the second as
// a duplicate: lost events. And every call of deliver() (a re-run of the
// queued action) computes a new one, so it cannot tell a re-send from a
// new event either. The payload is built inside deliver() from the
// resource as it is then, so identical bytes for one webhook and topic
// mean the same state of the same resource: publishing it once is what a
// consumer wants. A change to the resource changes the body
// (date_modified_gmt at least), so a real new event is never dropped.
// The webhook id keeps two webhooks of one shop apart; 128 bits of the
// hash are plenty against accidental collisions.
func (w wooCommerce) extract(body []byte, h http.Header) (Event, error) {
	topic, hook := h.Get(wcTopic), h.Get(wcWebhookID)
	if topic == "" {
		return Event{}, fmt.Errorf("X-WC-Webhook-Topic is missing: %w", ErrUnusable)
	}
	if hook == "" {
		return Event{}, fmt.Errorf("X-WC-Webhook-ID is missing: %w", ErrUnusable)
	}
	e := Event{
		ID:     hook + "-" + deliveryDigest([]byte(topic+"\n"), body),
		Type:   topic,
		Source: h.Get(wcSource),
	}
	obj := parseJSONObject(body)
	e.Subject = obj.id("id")
	for _, field := range []string{"date_modified_gmt", "date_created_gmt"} {
		if t, err := time.ParseInLocation("2006-01-02T15:04:05", obj.str(field), time.UTC); err == nil {
			e.Time = t
			break
		}
	}
	if obj.err != nil {
		return Event{}, obj.err
	}
	return e, nil
}

func (w wooCommerce) sign(body []byte, h http.Header, _ time.Time) error {
	w.mac.sign(body, h)
	return nil
}

// wpSpecialcharsDecode is WordPress's wp_specialchars_decode($s, ENT_QUOTES).
// It turns exactly these entities back into characters, in one left to
// right pass (a decoded '&' never starts another entity):
//
//	&amp; &lt; &gt; &quot;           -> & < > "
//	&#38; &#60; &#62; &#34; &#39;    -> & < > " '  (any number of leading zeros)
//	&#x26; &#x22; &#x27;             -> & " '      (x or X, any leading zeros)
//
// Named entities are case-sensitive; nothing else (&apos;, &#x3c;, &nbsp;)
// is decoded.
func wpSpecialcharsDecode(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if c, n := wpEntity(s[i:]); n > 0 {
			b.WriteByte(c)
			i += n
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// wpEntity decodes the entity at the start of s, returning the character
// and the entity's length, or n == 0 when s does not start with one.
func wpEntity(s string) (c byte, n int) {
	switch {
	case strings.HasPrefix(s, "&amp;"):
		return '&', len("&amp;")
	case strings.HasPrefix(s, "&lt;"):
		return '<', len("&lt;")
	case strings.HasPrefix(s, "&gt;"):
		return '>', len("&gt;")
	case strings.HasPrefix(s, "&quot;"):
		return '"', len("&quot;")
	}
	rest, ok := strings.CutPrefix(s, "&#")
	if !ok {
		return 0, 0
	}
	hexadecimal := len(rest) > 0 && (rest[0] == 'x' || rest[0] == 'X')
	if hexadecimal {
		rest = rest[1:]
	}
	number, _, ok := strings.Cut(strings.TrimLeft(rest, "0"), ";")
	if !ok {
		return 0, 0
	}
	switch {
	case !hexadecimal && number == "38", hexadecimal && number == "26":
		c = '&'
	case !hexadecimal && number == "34", hexadecimal && number == "22":
		c = '"'
	case !hexadecimal && number == "39", hexadecimal && number == "27":
		c = '\''
	case !hexadecimal && number == "60":
		c = '<'
	case !hexadecimal && number == "62":
		c = '>'
	default:
		return 0, 0
	}
	return c, len(s) - len(rest) + strings.IndexByte(rest, ';') + 1
}
