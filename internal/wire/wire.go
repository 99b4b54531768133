// Package wire names what the two ends of hookbridge's wire contract agree on
// when nobody configures otherwise: the stream the bridge publishes to and the
// first token of its subjects. The bridge (bridge/) and the consumer library
// (consumers/) both default to them, and neither may import the other, so the
// names live here, once.
package wire

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
