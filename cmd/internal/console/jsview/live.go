package jsview

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Live delivers, on the returned channel, every message of s that f
// selects and that is stored after Live returns, in stream order, until
// ctx ends (or reading fails, which a reconnecting page sees as the end);
// then the channel is closed. It is for the console's
// server-sent events.
//
// It reads through an ordered consumer (DeliverNew, no acks): the server
// keeps nothing once ctx ends, and a lost connection resumes where it
// stopped. The consumer exists when Live returns, so nothing stored after
// that is missed. A reader that falls behind slows only its own
// consumer (flow control), never the bridge.
func (v *View) Live(ctx context.Context, s Stream, f Filter) (<-chan Message, error) {
	subject, err := s.Subject(f)
	if err != nil {
		return nil, err
	}
	st, err := v.js.Stream(ctx, s.Name)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", s.Name, err)
	}
	oc, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subject},
		DeliverPolicy:  jetstream.DeliverNewPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("live view of %s: %w", s.Name, err)
	}
	// Messages creates the server's consumer before it returns.
	it, err := oc.Messages()
	if err != nil {
		return nil, fmt.Errorf("live view of %s: %w", s.Name, err)
	}
	out := make(chan Message)
	stop := context.AfterFunc(ctx, it.Stop)
	go func() {
		defer close(out)
		defer stop()
		for {
			msg, err := it.Next()
			if err != nil {
				return // stopped: ctx ended
			}
			md, err := msg.Metadata()
			if err != nil {
				continue
			}
			m := v.message(s.Name, md.Sequence.Stream, msg.Subject(), md.Timestamp, msg.Headers(), msg.Data())
			select {
			case out <- m:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
