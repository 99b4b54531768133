package provider

import (
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/textproto"
	"strings"
	"time"
)

// genericHMAC is the configurable kind for platforms that put
// prefix + encoding(HMAC(secret bytes, raw body)) in one header and sign no
// timestamp (Lemon Squeezy, Razorpay, Mollie next-gen, ...). Where the
// event's id, type, source, subject and time are found is configured with
// locators (see HMACConfig).
type genericHMAC struct {
	headerMAC
	id, typ, source, subject, eventAt locator
}

var _ scheme = genericHMAC{}

func newGenericHMAC(secrets []string, c HMACConfig) (genericHMAC, error) {
	if c.Header == "" {
		return genericHMAC{}, errors.New("hmac.header: required")
	}
	if !isToken(c.Header) {
		return genericHMAC{}, fmt.Errorf("hmac.header: %q is not a header name", c.Header)
	}
	var h func() hash.Hash
	switch c.Algorithm {
	case "", "sha256":
		h = sha256.New
	case "sha512":
		h = sha512.New
	default:
		return genericHMAC{}, fmt.Errorf("hmac.algorithm: %q is unknown (want sha256 or sha512)", c.Algorithm)
	}
	var enc encoding
	switch c.Encoding {
	case "", "hex":
		enc = hexEncoding
	case "base64":
		enc = base64Encoding
	default:
		return genericHMAC{}, fmt.Errorf("hmac.encoding: %q is unknown (want hex or base64)", c.Encoding)
	}
	g := genericHMAC{headerMAC: headerMAC{bodyMAC{
		keys:   newKeyring(h, rawKeys(secrets)),
		enc:    enc,
		header: textproto.CanonicalMIMEHeaderKey(c.Header),
		prefix: c.Prefix,
	}}}
	for _, l := range []struct {
		field, value string
		required     bool
		into         *locator
	}{
		{"hmac.id", c.ID, true, &g.id},
		{"hmac.type", c.Type, true, &g.typ},
		{"hmac.source", c.Source, false, &g.source},
		{"hmac.subject", c.Subject, false, &g.subject},
		{"hmac.time", c.Time, false, &g.eventAt},
	} {
		if l.value == "" {
			if l.required {
				return genericHMAC{}, fmt.Errorf("%s: required", l.field)
			}
			continue
		}
		loc, err := parseLocator(l.value)
		if err != nil {
			return genericHMAC{}, fmt.Errorf("%s: %w", l.field, err)
		}
		*l.into = loc
	}
	return g, nil
}

// extract maps a delivery to the configured locators: ID and Type must
// find a non-empty value; Source, Subject and Time are left zero when
// they find none. Time accepts RFC 3339 or whole Unix seconds (a JSON
// number or a string of digits).
func (g genericHMAC) extract(body []byte, h http.Header) (Event, error) {
	obj := &jsonBody{}
	if g.id.usesJSON() || g.typ.usesJSON() || g.source.usesJSON() || g.subject.usesJSON() || g.eventAt.usesJSON() {
		obj = parseJSONObject(body)
	}
	e := Event{
		ID:      g.id.value(obj, h),
		Type:    g.typ.value(obj, h),
		Source:  g.source.value(obj, h),
		Subject: g.subject.value(obj, h),
		Time:    parseTime(g.eventAt.value(obj, h)),
	}
	if obj.err != nil {
		return Event{}, obj.err
	}
	if e.ID == "" {
		return Event{}, fmt.Errorf("id locator %s found nothing: %w", g.id, ErrUnusable)
	}
	if e.Type == "" {
		return Event{}, fmt.Errorf("type locator %s found nothing: %w", g.typ, ErrUnusable)
	}
	return e, nil
}

// locator says where a value is: in a header, or at a path of object keys
// in the JSON body. The zero locator finds nothing.
type locator struct {
	header string   // canonical header name, or ""
	path   []string // JSON object keys, or nil
}

// parseLocator reads "header:<Name>" or "json:<key>[.<key>...]".
func parseLocator(s string) (locator, error) {
	kind, arg, _ := strings.Cut(s, ":")
	switch kind {
	case "header":
		if !isToken(arg) {
			// Quote s only: a caller that hides s (a value from the environment) must find
			// no part of it quoted on its own.
			return locator{}, fmt.Errorf("%q: the name after header: is not a header name", s)
		}
		return locator{header: textproto.CanonicalMIMEHeaderKey(arg)}, nil
	case "json":
		path := strings.Split(arg, ".")
		for _, key := range path {
			if key == "" {
				return locator{}, fmt.Errorf("%q: want json:<key>[.<key>...] with no empty key", s)
			}
			if err := checkPathKey(key); err != nil {
				return locator{}, fmt.Errorf("%q: key %w", s, err)
			}
		}
		return locator{path: path}, nil
	}
	return locator{}, fmt.Errorf("%q: want header:<Name> or json:<dot.path>", s)
}

func (l locator) usesJSON() bool { return l.path != nil }

// value is the string found, a JSON number as written, or "".
func (l locator) value(obj *jsonBody, h http.Header) string {
	switch {
	case l.header != "":
		return h.Get(l.header)
	case l.path != nil:
		return obj.scalar(l.path...)
	}
	return ""
}

func (l locator) String() string {
	if l.header != "" {
		return "header:" + l.header
	}
	return "json:" + strings.Join(l.path, ".")
}

// parseTime reads an event time as the time locator allows: whole Unix
// seconds, or RFC 3339. The zero time means neither.
func parseTime(s string) time.Time {
	if t, ok := parseUnix(s); ok {
		return t
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t
	}
	return time.Time{}
}

// isToken reports whether s is a valid HTTP header name (an RFC 9110
// token).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
