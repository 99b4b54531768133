package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
)

// The bucket holds two kinds of keys:
//
//	sku.<token>       one per SKU: on hand, reservations, pending backorders
//	order.<orderKey>  one per order: reserved or released, and its lines
//
// Both parts come from untrusted payloads, so neither is used raw.

const (
	skuPrefix   = "sku."
	orderPrefix = "order."
)

// token escapes s into a single KV key and NATS subject token made of
// [-_=A-Za-z0-9]: every byte outside [-_A-Za-z0-9], '=' included, becomes
// "=XX" (upper-case hex). The mapping is injective, so two SKUs never share a
// key, and a plain SKU such as "HB-MUG-01" stays readable.
func token(s string) string {
	const hexdigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteByte(c)
		default:
			b.WriteByte('=')
			b.WriteByte(hexdigits[c>>4])
			b.WriteByte(hexdigits[c&0xf])
		}
	}
	return b.String()
}

// skuKey is the KV key of a SKU.
func skuKey(sku string) string { return skuPrefix + token(sku) }

// orderKey identifies an order across events, subscriptions and replays: it
// depends only on the platform, the shop (the CloudEvent source, normalised)
// and the platform's order id, never on the CloudEvent id, which differs
// between two webhook subscriptions for the same order. It is hashed because
// sources are URLs and domains; the order record keeps the readable parts.
func orderKey(platform, source, orderID string) string {
	sum := sha256.Sum256([]byte(platform + "\n" + normalizeSource(source) + "\n" + orderID))
	return platform + "-" + hex.EncodeToString(sum[:12])
}

// normalizeSource makes the spellings of one shop that a platform may send
// equal: host names are case-insensitive and a site URL may or may not end in
// "/" ("https://Shop.example.test/" and "https://shop.example.test" are the
// same site).
func normalizeSource(source string) string {
	if u, err := url.Parse(source); err == nil && u.Scheme != "" && u.Host != "" {
		u.Scheme = strings.ToLower(u.Scheme)
		u.Host = strings.ToLower(u.Host)
		u.Path = strings.TrimRight(u.Path, "/")
		u.RawPath = ""
		return u.String()
	}
	return strings.ToLower(strings.TrimRight(source, "/"))
}
