package commerce

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

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

// CreateStream creates the COMMERCE stream as a normaliser with the default
// Config would, unless a stream of that name exists, whose settings are then
// left as they are. A consumer of canonical events calls it before it
// attaches, so that it may start before the first normaliser; the
// normaliser later updates the stream to its own config.
func CreateStream(ctx context.Context, js jetstream.JetStream) error {
	var c Config
	c.setDefaults()
	_, err := js.CreateStream(ctx, c.streamConfig())
	if err == nil || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return nil
	}
	return fmt.Errorf("stream %s: %w", c.OutStream, err)
}
