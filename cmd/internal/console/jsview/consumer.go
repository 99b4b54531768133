package jsview

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Consumer is a durable consumer's progress, as the Consumers page shows it.
type Consumer struct {
	Stream      string
	Name        string
	Description string
	// Filters is its filter subjects; none means the whole stream.
	Filters []string
	// Pending is the messages of its filters it has not been delivered yet
	// (the server's num_pending).
	Pending uint64
	// AckPending is the messages delivered and not yet acknowledged.
	AckPending int
	// Redelivered is the messages delivered more than once and not yet
	// acknowledged.
	Redelivered int
	// Lag is Pending + AckPending: the messages of its filters it has not
	// finished with. Unlike the stream's last sequence minus the
	// consumer's, it does not count messages its filters do not select, so
	// an idle consumer with a narrow filter shows 0.
	Lag uint64
	// Delivered is the stream sequence of the last message delivered, and
	// AckFloor the one below which every message is acknowledged.
	Delivered, AckFloor uint64
	// LastActive is when it was last delivered a message or last
	// acknowledged one; zero if never.
	LastActive time.Time
	Paused     bool
}

// Consumers returns the durable consumers of each stream, in the order of
// streams and, within each, as the server lists them. Ephemeral and
// ordered consumers are left out. A stream that does not exist has none.
func (v *View) Consumers(ctx context.Context, streams ...string) ([]Consumer, error) {
	var out []Consumer
	for _, name := range streams {
		st, err := v.js.Stream(ctx, name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("stream %s: %w", name, err)
		}
		list := st.ListConsumers(ctx)
		for ci := range list.Info() {
			if ci.Config.Durable == "" {
				continue
			}
			out = append(out, consumerOf(ci))
		}
		if err := list.Err(); err != nil {
			return out, fmt.Errorf("consumers of %s: %w", name, err)
		}
	}
	return out, nil
}

// consumerOf is the Consumer of the server's info.
func consumerOf(ci *jetstream.ConsumerInfo) Consumer {
	c := Consumer{
		Stream:      ci.Stream,
		Name:        ci.Name,
		Description: ci.Config.Description,
		Filters:     ci.Config.FilterSubjects,
		Pending:     ci.NumPending,
		AckPending:  ci.NumAckPending,
		Redelivered: ci.NumRedelivered,
		Lag:         ci.NumPending + uint64(max(ci.NumAckPending, 0)),
		Delivered:   ci.Delivered.Stream,
		AckFloor:    ci.AckFloor.Stream,
		Paused:      ci.Paused,
	}
	if c.Filters == nil && ci.Config.FilterSubject != "" {
		c.Filters = []string{ci.Config.FilterSubject}
	}
	for _, t := range []*time.Time{ci.Delivered.Last, ci.AckFloor.Last} {
		if t != nil && t.After(c.LastActive) {
			c.LastActive = *t
		}
	}
	return c
}
