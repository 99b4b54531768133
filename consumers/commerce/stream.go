package commerce

import "github.com/nats-io/nats.go/jetstream"

// streamConfig is the COMMERCE stream the normaliser publishes to (created
// or updated by Run). Its duplicate window is what makes a canonical event
// derived twice (a redelivery, a replay of WEBHOOKS, a second normaliser)
// stored once: see Config.Duplicates.
func (c Config) streamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        c.OutStream,
		Description: "hookbridge canonical commerce events (CloudEvents, binary mode)",
		Subjects:    []string{SubjectPrefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    c.Replicas,
		Duplicates:  c.Duplicates,
	}
}
