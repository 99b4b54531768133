package shipping

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// maxKeyPart bounds one escaped part of a key; a longer one is hashed, so
// that a key stays a short NATS subject whatever the sender put in it.
const maxKeyPart = 80

// ErrInvalidKey is a key that Key cannot have produced.
var ErrInvalidKey = errors.New("invalid shipment key")

var platforms = map[string]bool{"shopify": true, "woocommerce": true, "stripe": true}

// Key is the KV key of an order's shipment: platform, CloudEvent source and
// order id, joined by ".". Source and order id are escaped so that the key
// is a valid KV key and different inputs give different keys: bytes outside
// [A-Za-z0-9_-] become "=XX" (upper-case hex), and a part that escapes to
// more than 80 characters becomes "=h" and the first 32 hex digits of its
// SHA-256 (escaping never produces "=h"). E.g.
//
//	Key("shopify", "acme.myshopify.com", "450789469") = "shopify.acme=2Emyshopify=2Ecom.450789469"
func Key(platform, source, orderID string) (string, error) {
	if !platforms[platform] {
		return "", fmt.Errorf("unknown platform %q", platform)
	}
	if source == "" || orderID == "" {
		return "", errors.New("empty source or order id")
	}
	return platform + "." + escapeKeyPart(source) + "." + escapeKeyPart(orderID), nil
}

func escapeKeyPart(s string) string {
	const hexUpper = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			b.WriteByte('=')
			b.WriteByte(hexUpper[c>>4])
			b.WriteByte(hexUpper[c&15])
		}
		if b.Len() > maxKeyPart {
			sum := sha256.Sum256([]byte(s))
			return "=h" + hex.EncodeToString(sum[:16])
		}
	}
	return b.String()
}

var keyRe = regexp.MustCompile(`^(shopify|woocommerce|stripe)\.[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]+$`)

// validKey reports whether key has the shape Key gives; it keeps arbitrary
// HTTP input away from the KV API.
func validKey(key string) bool {
	return len(key) <= 2*maxKeyPart+len("woocommerce..") && keyRe.MatchString(key)
}
