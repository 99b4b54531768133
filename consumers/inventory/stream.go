package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"
)

// The JetStream resources the service owns, both set up by New. The
// durable consumer it runs behind, on hookbridge's stream, is
// ConsumerConfig.

// bucketConfig is the KV bucket of stock and order records (see keys.go);
// New creates it or updates it to this.
func (c Config) bucketConfig() jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      c.Bucket,
		Description: "hookbridge inventory: sku.<sku> stock, order.<key> order records",
		Storage:     jetstream.FileStorage,
		Replicas:    c.Replicas,
	}
}

// eventsSubjects is what the events stream must capture: the subjects of
// every event the service publishes (BackorderSubjectPrefix is below it).
const eventsSubjects = "inventory.>"

// eventsStreamConfig is the stream of the service's own events
// (backorders), as New creates it when it does not exist. Its duplicate
// window drops a backorder published again after a crash (see
// flushBackorder).
func (c Config) eventsStreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        c.EventsStream,
		Description: "hookbridge inventory events (backorders)",
		Subjects:    []string{eventsSubjects},
		Storage:     jetstream.FileStorage,
		Replicas:    c.Replicas,
		Duplicates:  c.DuplicateWindow,
	}
}

// ensureEventsStream creates the events stream, or updates an existing one
// so that it captures eventsSubjects and keeps ids for the duplicate
// window; its other settings (retention, max_age, ...) belong to the
// operator and are kept.
func ensureEventsStream(ctx context.Context, js jetstream.JetStream, cfg Config) error {
	st, err := js.Stream(ctx, cfg.EventsStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = js.CreateStream(ctx, cfg.eventsStreamConfig())
		if !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return wrapStreamErr(cfg.EventsStream, err)
		}
		// Another instance created it just now: check it as any existing one.
		st, err = js.Stream(ctx, cfg.EventsStream)
	}
	if err != nil {
		return wrapStreamErr(cfg.EventsStream, err)
	}
	sc := st.CachedInfo().Config
	changed := false
	if !slices.Contains(sc.Subjects, eventsSubjects) {
		sc.Subjects = append(sc.Subjects, eventsSubjects)
		changed = true
	}
	want := cfg.DuplicateWindow
	if sc.MaxAge > 0 && sc.MaxAge < want {
		want = sc.MaxAge // the server refuses a window longer than max_age
	}
	if sc.Duplicates < want {
		sc.Duplicates = want
		changed = true
	}
	if changed {
		_, err = js.UpdateStream(ctx, sc)
	}
	return wrapStreamErr(cfg.EventsStream, err)
}

func wrapStreamErr(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("stream %s: %w", name, err)
}
