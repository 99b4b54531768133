// Package wire names what the two ends of hookbridge's wire contract agree on
// when nobody configures otherwise: the stream the bridge publishes to and the
// first token of its subjects. The bridge (bridge/) and the consumer library
// (consumers/) both default to them, and neither may import the other, so the
// names live here, once.
package wire

import (
	"crypto/sha256"
	"errors"
	"net/url"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

const (
	// Stream is the default JetStream stream of verified webhooks.
	Stream = "WEBHOOKS"
	// SubjectPrefix is the default first token of every webhook subject:
	// <prefix>.<provider>.<source>.<type tokens>.
	SubjectPrefix = "webhooks"
)

// The CloudEvents binary-mode headers, exactly as sdk-go's nats_jetstream
// codec writes them: HeaderPrefix followed by the attribute's name, for the
// spec's attributes and extensions alike. Code that writes the headers
// itself, to skip building an sdk-go event, must write these names.
const (
	HeaderPrefix          = "ce-"
	HeaderSpecVersion     = HeaderPrefix + "specversion"
	HeaderID              = HeaderPrefix + "id"
	HeaderSource          = HeaderPrefix + "source"
	HeaderType            = HeaderPrefix + "type"
	HeaderSubject         = HeaderPrefix + "subject"
	HeaderTime            = HeaderPrefix + "time"
	HeaderDataContentType = HeaderPrefix + "datacontenttype"
	HeaderDataSchema      = HeaderPrefix + "dataschema"
)

// A body too large for a message (a claim check) is stored as an object in
// a JetStream Object Store bucket, and its message carries no data but these
// extension headers: HeaderDataRef, the CloudEvents dataref extension, is
// DataRefScheme://<bucket>/<object name, path-escaped>; HeaderDataSize is the
// body's length in bytes, in decimal; HeaderDataDigest is its SHA-256 as the
// Object Store writes digests: "SHA-256=" and the digest in padded base64url
// (RFC 4648 §5). The message keeps ce-datacontenttype, which describes the
// stored body.
const (
	HeaderDataRef    = HeaderPrefix + "dataref"
	HeaderDataSize   = HeaderPrefix + "datasize"
	HeaderDataDigest = HeaderPrefix + "datadigest"
	DataRefScheme    = "nats-object"
)

// Trace context on the wire: HeaderTraceParent (and HeaderTraceState) is
// the per-hop W3C context of the publish that stored the message, which a
// consumer continues from; the CloudEvents tracing extension
// (HeaderPrefix+"traceparent") is where the event started, set once at
// ingest and never rewritten.
const (
	HeaderTraceParent = "traceparent"
	HeaderTraceState  = "tracestate"
)

// TraceCarrier reads and writes W3C trace context in NATS headers (a
// nats.Header is a map[string][]string), under Prefix: "" for the per-hop
// context, HeaderPrefix for the CloudEvents extension. It is an OpenTelemetry
// propagation.TextMapCarrier. NATS header names are case-sensitive, which
// propagation.HeaderCarrier ignores: it would write "Traceparent".
type TraceCarrier struct {
	Header map[string][]string
	Prefix string
}

// Get returns the first value of the prefixed key, or "".
func (c TraceCarrier) Get(key string) string {
	if vs := c.Header[c.key(key)]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// Set replaces the prefixed key's values with value.
func (c TraceCarrier) Set(key, value string) { c.Header[c.key(key)] = []string{value} }

// key is the header name of key under Prefix. The W3C names under
// HeaderPrefix are constants: every ingested event writes them.
func (c TraceCarrier) key(key string) string {
	switch {
	case c.Prefix == "":
		return key
	case c.Prefix == HeaderPrefix && key == "traceparent":
		return HeaderPrefix + "traceparent"
	case c.Prefix == HeaderPrefix && key == "tracestate":
		return HeaderPrefix + "tracestate"
	}
	return c.Prefix + key
}

// Keys lists the keys under Prefix, without it.
func (c TraceCarrier) Keys() []string {
	keys := make([]string, 0, len(c.Header))
	for k := range c.Header {
		if len(k) > len(c.Prefix) && k[:len(c.Prefix)] == c.Prefix {
			keys = append(keys, k[len(c.Prefix):])
		}
	}
	return keys
}

// DataRef is the dataref of object name in bucket.
func DataRef(bucket, name string) string {
	return DataRefScheme + "://" + bucket + "/" + url.PathEscape(name)
}

// ErrDataRef: a dataref that is not DataRefScheme://<bucket>/<name>.
var ErrDataRef = errors.New("dataref is not " + DataRefScheme + "://<bucket>/<object>")

// ParseDataRef reads a dataref written by DataRef. The bucket is checked as
// the Object Store names buckets; the name is any non-empty string.
func ParseDataRef(ref string) (bucket, name string, err error) {
	rest, ok := strings.CutPrefix(ref, DataRefScheme+"://")
	if !ok {
		return "", "", ErrDataRef
	}
	bucket, escaped, ok := strings.Cut(rest, "/")
	if !ok || !ValidBucket(bucket) {
		return "", "", ErrDataRef
	}
	name, err = url.PathUnescape(escaped)
	if err != nil || name == "" {
		return "", "", ErrDataRef
	}
	return bucket, name, nil
}

// ObjectDigest is data's SHA-256 as the Object Store writes digests
// ("SHA-256=" and the padded base64url digest): the value of HeaderDataDigest.
func ObjectDigest(data []byte) string {
	h := sha256.New()
	h.Write(data)
	return jetstream.GetObjectDigestValue(h)
}

// ValidBucket reports whether the Object Store takes name for a bucket:
// one or more ASCII letters, digits, '_' and '-'.
func ValidBucket(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
