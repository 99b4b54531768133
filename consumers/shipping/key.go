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

// maxPlatform bounds a platform name, which Key takes as it is (it is one
// token already): longer ones are refused, so a key stays bounded too.
const maxPlatform = 32

// ErrInvalidKey is a key that Key cannot have produced.
var ErrInvalidKey = errors.New("invalid shipment key")

var (
	platformPart = fmt.Sprintf(`[a-z0-9_-]{1,%d}`, maxPlatform)
	escapedPart  = fmt.Sprintf(`[A-Za-z0-9_=-]{1,%d}`, maxKeyPart)
	platformRe   = regexp.MustCompile(`^` + platformPart + `$`)
	keyRe        = regexp.MustCompile(`^` + platformPart + `\.` + escapedPart + `\.` + escapedPart + `$`)
)

// Key is the KV key of an order's shipment: platform, CloudEvent source and
// order id, joined by ".". The platform is used as it is: it must be one
// token of [a-z0-9_-], at most 32 bytes (shopify, woocommerce, stripe, or
// any platform the normaliser maps later). Source and order id are escaped
// so that the key is a valid KV key and different inputs give different
// keys: bytes outside [A-Za-z0-9_-] become "=XX" (upper-case hex), and a
// part that escapes to more than 80 characters becomes "=h" and the first
// 32 hex digits of its SHA-256 (escaping never produces "=h"). E.g.
//
//	Key("shopify", "acme.myshopify.com", "450789469") = "shopify.acme=2Emyshopify=2Ecom.450789469"
func Key(platform, source, orderID string) (string, error) {
	if !platformRe.MatchString(platform) {
		return "", fmt.Errorf("platform %q is not one token of [a-z0-9_-], at most %d bytes", platform, maxPlatform)
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

// validKey reports whether key has the shape Key gives; it keeps arbitrary
// HTTP input away from the KV API.
func validKey(key string) bool {
	return len(key) <= maxPlatform+2*maxKeyPart+len("..") && keyRe.MatchString(key)
}
