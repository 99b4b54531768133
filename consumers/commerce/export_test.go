package commerce

import "github.com/nats-io/nats.go"

// What the external tests compare: the normaliser's messages and the
// sdk-go events they must equal.
var (
	Messages  = messages
	Normalise = normalise
)

// Message is the message the normaliser publishes for c, meant by raw.
func Message(raw Raw, c Canonical) (*nats.Msg, error) {
	source, err := ceSource(raw.EvSource)
	if err != nil {
		return nil, err
	}
	return message(raw, c, source)
}
