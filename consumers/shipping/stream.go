package shipping

import "github.com/nats-io/nats.go/jetstream"

// The JetStream resources the service owns, both created or updated by
// New. The durable consumer it runs behind, on the COMMERCE stream, is
// ConsumerConfig.

// bucketConfig is the KV bucket of shipments, one key per order (see Key).
func (c Config) bucketConfig() jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      c.Bucket,
		Description: "hookbridge shipping: one shipment per order",
		Storage:     jetstream.FileStorage,
		Replicas:    c.Replicas,
		// Enough for a whole life (create, flush, cancel or fulfil,
		// flush), for `nats kv history`.
		History: 5,
	}
}

// streamConfig is the stream of the shipping events the service publishes.
// Its duplicate window is what makes a publish repeated after a crash (same
// event id, so same Nats-Msg-Id) harmless: see Config.Duplicates.
func (c Config) streamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        c.Stream,
		Description: "hookbridge shipping events (CloudEvents, binary mode)",
		Subjects:    []string{c.SubjectPrefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    c.Replicas,
		Duplicates:  c.Duplicates,
	}
}
