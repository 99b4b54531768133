package provider

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"sync"
	"time"
)

// keyring is the HMAC keys of one provider in the configured order. A
// delivery verifies when the MAC under any key equals any signature it
// carries (secret rotation on our side, several signatures on the
// sender's); the first key signs.
type keyring struct {
	hash func() hash.Hash
	size int // bytes in one MAC
	keys [][]byte
	// macs holds, per key, HMAC states ready to Reset and reuse: building
	// one (two hash states and the padded key) costs more than hashing a
	// small body.
	macs []*sync.Pool
}

func newKeyring(h func() hash.Hash, keys [][]byte) keyring {
	k := keyring{hash: h, size: h().Size(), keys: keys, macs: make([]*sync.Pool, len(keys))}
	for i, key := range keys {
		k.macs[i] = &sync.Pool{New: func() any { return hmac.New(h, key) }}
	}
	return k
}

// rawKeys is the keys of the platforms that use the secret string's bytes
// as they are.
func rawKeys(secrets []string) [][]byte {
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		keys[i] = []byte(s)
	}
	return keys
}

// sum is the MAC of the concatenated parts under key. Parts save copying a
// large body just to put a timestamp in front of it.
func (k keyring) sum(key int, parts ...[]byte) []byte {
	m := k.macs[key].Get().(hash.Hash)
	m.Reset()
	for _, p := range parts {
		m.Write(p)
	}
	out := m.Sum(nil)
	k.macs[key].Put(m)
	return out
}

// sign is the MAC of the parts under the first key.
func (k keyring) sign(parts ...[]byte) []byte { return k.sum(0, parts...) }

// match reports whether some key's MAC of the parts equals one of sigs.
// Every comparison is made with hmac.Equal and none is skipped once one
// matched, so the time taken tells nothing about which key or signature
// did.
func (k keyring) match(sigs [][]byte, parts ...[]byte) bool {
	ok := false
	for key := range k.keys {
		mac := k.sum(key, parts...)
		for _, sig := range sigs {
			if hmac.Equal(mac, sig) {
				ok = true
			}
		}
	}
	return ok
}

// encoding is how a platform writes a MAC in a header.
type encoding uint8

const (
	hexEncoding    encoding = iota // lowercase when we sign; either case accepted
	base64Encoding                 // standard alphabet, padded
)

func (e encoding) encode(sum []byte) string {
	if e == base64Encoding {
		return base64.StdEncoding.EncodeToString(sum)
	}
	return hex.EncodeToString(sum)
}

// decode returns the size-byte digest written in s, or false when s is not
// one. Base64 must be canonical (no line breaks, which the decoder would
// otherwise skip, and zero padding bits) so that exactly one string
// encodes each digest.
func (e encoding) decode(s string, size int) ([]byte, bool) {
	switch e {
	case base64Encoding:
		if len(s) != base64.StdEncoding.EncodedLen(size) || strings.ContainsAny(s, "\r\n") {
			return nil, false
		}
		b, err := base64.StdEncoding.Strict().DecodeString(s)
		return b, err == nil && len(b) == size
	default:
		if len(s) != hex.EncodedLen(size) {
			return nil, false
		}
		b, err := hex.DecodeString(s)
		return b, err == nil
	}
}

// bodyMAC is the scheme several platforms share: one header holding
// prefix + encoding(HMAC(key, lead + raw body)), with no timestamp and so
// no replay window. Shopify, WooCommerce, GitHub, Square and the generic
// hmac kind are configurations of it.
type bodyMAC struct {
	keys   keyring
	enc    encoding
	header string // canonical name, for h.Get and error texts
	prefix string // required literal before the digest ("sha256=")
	lead   []byte // fixed bytes signed before the body (Square's notification URL), usually none
}

// verify checks the header value v (as received under the header name
// named) against body.
func (b bodyMAC) verify(named, v string, body []byte) error {
	if v == "" {
		return fmt.Errorf("%s: %w", named, ErrMissingSignature)
	}
	digest, ok := strings.CutPrefix(v, b.prefix)
	if !ok {
		return fmt.Errorf("%s: value does not start with %q: %w", named, b.prefix, ErrMalformedSignature)
	}
	sig, ok := b.enc.decode(digest, b.keys.size)
	if !ok {
		return fmt.Errorf("%s: not a %d-byte digest in the expected encoding: %w", named, b.keys.size, ErrMalformedSignature)
	}
	if !b.keys.match([][]byte{sig}, b.lead, body) {
		return fmt.Errorf("%s: %w", named, ErrBadSignature)
	}
	return nil
}

// sign sets the header for body.
func (b bodyMAC) sign(body []byte, h http.Header) {
	h.Set(b.header, b.prefix+b.enc.encode(b.keys.sign(b.lead, body)))
}

// sha256Keys is the keyring of the platforms fixed to HMAC-SHA256 over the
// secret's bytes.
func sha256Keys(keys [][]byte) keyring { return newKeyring(sha256.New, keys) }

// window is the replay window of the schemes that sign a timestamp.
type window struct {
	now       func() time.Time
	tolerance time.Duration
}

// check returns an ErrStale error when ts is more than the tolerance away
// from now, in either direction. Exactly at the tolerance is accepted.
func (w window) check(ts time.Time) error {
	d := w.now().Sub(ts) // saturates instead of overflowing
	switch {
	case d > w.tolerance:
		return fmt.Errorf("signed %s ago, tolerance %s: %w", d.Truncate(time.Second), w.tolerance, ErrStale)
	case d < -w.tolerance:
		return fmt.Errorf("signed %s in the future, tolerance %s: %w", (-d).Truncate(time.Second), w.tolerance, ErrStale)
	}
	return nil
}

// parseUnix reads a Unix time in whole seconds written in plain decimal
// digits (no sign, no fraction), as the timestamp schemes send it.
func parseUnix(s string) (time.Time, bool) {
	if s == "" || len(s) > 18 { // 18 digits cannot overflow int64
		return time.Time{}, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
		n = n*10 + int64(c-'0')
	}
	return time.Unix(n, 0), true
}
