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
