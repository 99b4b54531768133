package provider

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strconv"
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
// no replay window. Shopify, WooCommerce, GitHub, Square, Razorpay, Lemon
// Squeezy, Mollie and the generic hmac kind are configurations of it.
type bodyMAC struct {
	keys   keyring
	enc    encoding
	header string // canonical name, for h.Get and error texts
	prefix string // literal before the digest ("sha256="), required unless optionalPrefix
	lead   []byte // fixed bytes signed before the body (Square's notification URL), usually none
	// optionalPrefix accepts a value without the prefix too (Mollie's
	// own SDK strips "sha256=" when it is there and compares the rest).
	optionalPrefix bool
}

// verify checks the header value v (as received under the header name
// named) against body.
func (b bodyMAC) verify(named, v string, body []byte) error {
	if v == "" {
		return fmt.Errorf("%s: %w", named, ErrMissingSignature)
	}
	sig, err := b.digest(v)
	if err != nil {
		return fmt.Errorf("%s: %w", named, err)
	}
	return b.match([][]byte{sig}, named, body)
}

// match checks the digests read from the header named against body.
func (b bodyMAC) match(sigs [][]byte, named string, body []byte) error {
	if !b.keys.match(sigs, b.lead, body) {
		return fmt.Errorf("%s: %w", named, ErrBadSignature)
	}
	return nil
}

// digest reads one signature value: the prefix, then the encoded MAC.
// Its error wraps ErrMalformedSignature and quotes nothing of v.
func (b bodyMAC) digest(v string) ([]byte, error) {
	digest, ok := strings.CutPrefix(v, b.prefix)
	if !ok && !b.optionalPrefix {
		return nil, fmt.Errorf("value does not start with %q: %w", b.prefix, ErrMalformedSignature)
	}
	sig, ok := b.enc.decode(digest, b.keys.size)
	if !ok {
		return nil, fmt.Errorf("not a %d-byte digest in the expected encoding: %w", b.keys.size, ErrMalformedSignature)
	}
	return sig, nil
}

// sign sets the header for body.
func (b bodyMAC) sign(body []byte, h http.Header) {
	h.Set(b.header, b.prefix+b.enc.encode(b.keys.sign(b.lead, body)))
}

// headerMAC is the verify and sign of a scheme whose platform sends a
// bodyMAC in one header, under one name (Razorpay, Lemon Squeezy, the
// generic hmac kind).
type headerMAC struct{ bodyMAC }

func (m headerMAC) verify(body []byte, h http.Header) error {
	return m.bodyMAC.verify(m.header, h.Get(m.header), body)
}

func (m headerMAC) sign(body []byte, h http.Header, _ time.Time) error {
	m.bodyMAC.sign(body, h)
	return nil
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
	n, ok := parseDigits(s)
	return time.Unix(n, 0), ok
}

// parseUnixMilli reads a Unix time in whole milliseconds, written as
// parseUnix reads seconds (Recurly's timestamps).
func parseUnixMilli(s string) (time.Time, bool) {
	n, ok := parseDigits(s)
	return time.UnixMilli(n), ok
}

// parseDigits reads a non-negative integer written in plain decimal
// digits: no sign, no fraction, no spaces, at most 18 of them (which
// cannot overflow int64).
func parseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// stampedMAC is the scheme Stripe, Paddle and Recurly share: one header
// carrying a timestamp and one or more hex HMAC-SHA256 digests of
// "<timestamp as written><sep><raw body>" (one per secret the sender is
// rolling), and a replay window on the timestamp. Only the way the header
// is written, the separator and the timestamp's unit differ.
type stampedMAC struct {
	keys   keyring
	window window
	header string // canonical name, for h.Get and error texts
	sep    string // between the timestamp and the body in the signed bytes
	// parse reads a header value; its errors wrap ErrMalformedSignature.
	parse func(v string, size int) (stamp, error)
	// write is the header value for the timestamp ts and one hex digest.
	write func(ts, sig string) string
	// format writes now as the platform writes its timestamps.
	format func(now time.Time) string
}

// stamp is what a signature header says: the timestamp as written (it is
// signed as written), its time, and the well-formed digests.
type stamp struct {
	ts   string
	at   time.Time
	sigs [][]byte
}

// verify checks the MAC first and the time second (see Provider.Verify).
// Unlike the platforms' own libraries, which only reject old timestamps, a
// timestamp more than the tolerance in the future is ErrStale too.
func (s stampedMAC) verify(body []byte, h http.Header) error {
	v := h.Get(s.header)
	if v == "" {
		return fmt.Errorf("%s: %w", s.header, ErrMissingSignature)
	}
	st, err := s.parse(v, s.keys.size)
	if err != nil {
		return fmt.Errorf("%s: %w", s.header, err)
	}
	if !s.keys.match(st.sigs, []byte(st.ts), []byte(s.sep), body) {
		return fmt.Errorf("%s: %w", s.header, ErrBadSignature)
	}
	return s.window.check(st.at)
}

// sign sets the header for body signed at now.
func (s stampedMAC) sign(body []byte, h http.Header, now time.Time) error {
	ts := s.format(now)
	h.Set(s.header, s.write(ts, hex.EncodeToString(s.keys.sign([]byte(ts), []byte(s.sep), body))))
	return nil
}

func formatUnix(now time.Time) string      { return strconv.FormatInt(now.Unix(), 10) }
func formatUnixMilli(now time.Time) string { return strconv.FormatInt(now.UnixMilli(), 10) }

// keyedStamp reads the header form Stripe and Paddle share: items
// "<key>=<value>" separated by itemSep (spaces around an item ignored),
// exactly one timestamp item under tKey (whole Unix seconds), and any
// number of digests under sigKey. As in stripe-go, a digest that is not
// a well-formed hex digest of the right size is skipped, not an error: it
// cannot match anyway; other keys are ignored. Errors wrap
// ErrMalformedSignature: an item without "=", no timestamp or more than
// one, a timestamp that is not whole Unix seconds, or no usable digest.
type keyedStamp struct{ itemSep, tKey, sigKey string }

func (k keyedStamp) parse(v string, size int) (stamp, error) {
	var st stamp
	seenT := false
	for item := range strings.SplitSeq(v, k.itemSep) {
		key, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return stamp{}, fmt.Errorf("an item is not key=value: %w", ErrMalformedSignature)
		}
		switch key {
		case k.tKey:
			if seenT {
				return stamp{}, fmt.Errorf("more than one %s=: %w", k.tKey, ErrMalformedSignature)
			}
			seenT = true
			if st.at, ok = parseUnix(value); !ok {
				return stamp{}, fmt.Errorf("%s= is not Unix seconds: %w", k.tKey, ErrMalformedSignature)
			}
			st.ts = value
		case k.sigKey:
			if sig, ok := hexEncoding.decode(value, size); ok {
				st.sigs = append(st.sigs, sig)
			}
		}
	}
	if !seenT {
		return stamp{}, fmt.Errorf("no %s=: %w", k.tKey, ErrMalformedSignature)
	}
	if len(st.sigs) == 0 {
		return stamp{}, fmt.Errorf("no %s= HMAC-SHA256 signature: %w", k.sigKey, ErrMalformedSignature)
	}
	return st, nil
}

// scheme is the stampedMAC of a platform that writes its header this
// way, signs "<ts><sep><body>" with HMAC-SHA256 under the secrets' bytes
// and sends whole Unix seconds.
func (k keyedStamp) scheme(secrets []string, w window, header, sep string) stampedMAC {
	return stampedMAC{
		keys: sha256Keys(rawKeys(secrets)), window: w, header: header, sep: sep,
		parse: k.parse, write: k.write, format: formatUnix,
	}
}

// write is "<tKey>=<ts><itemSep><sigKey>=<sig>".
func (k keyedStamp) write(ts, sig string) string {
	return k.tKey + "=" + ts + k.itemSep + k.sigKey + "=" + sig
}

// deliveryDigest is the first 32 hex digits (128 bits) of the SHA-256 of
// the parts: the stable part of the ids derived for platforms that send
// no usable delivery id (see woocommerce.extract, recurly.extract).
func deliveryDigest(parts ...[]byte) string {
	d := sha256.New()
	for _, p := range parts {
		d.Write(p)
	}
	return hex.EncodeToString(d.Sum(nil))[:32]
}
