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
