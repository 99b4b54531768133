package consumers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Redrive re-publishes the dead letters of one consumer (subject
// deadletter.<consumer> in stream dlStream) to the subjects they came from,
// and removes each from the dead-letter stream once the original stream has
// acknowledged the copy. It returns how many it re-published.
//
// The copy carries the original CloudEvent headers and body and a new
// Nats-Msg-Id ("redrive:<stream>:<seq>"), so it is stored again even inside
// the duplicate window. Every consumer whose filter matches the subject sees
// it again, not only the one that failed; handlers are idempotent by the
// CloudEvent id, so those that already processed it change nothing.
func Redrive(ctx context.Context, js jetstream.JetStream, dlStream, consumer string) (int, error) {
	if dlStream == "" {
		dlStream = DefaultDeadLetterStream
	}
	s, err := js.Stream(ctx, dlStream)
	if err != nil {
		return 0, fmt.Errorf("dead-letter stream %s: %w", dlStream, err)
	}
	subject := DeadLetterPrefix + "." + consumer
	oc, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", subject, err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return 0, err
	}
	pending := info.State.Subjects[subject]
	n := 0
	for range pending {
		msg, err := oc.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			return n, fmt.Errorf("reading %s: %w", subject, err)
		}
		md, err := msg.Metadata()
		if err != nil {
			return n, err
		}
		orig := msg.Headers().Get(HeaderOriginalSubject)
		if orig == "" {
			return n, fmt.Errorf("dead letter %d has no %s header", md.Sequence.Stream, HeaderOriginalSubject)
		}
		out := nats.NewMsg(orig)
		for k, vs := range msg.Headers() {
			if strings.HasPrefix(k, "Hookbridge-") || k == jetstream.MsgIDHeader {
				continue
			}
			out.Header[k] = vs
		}
		out.Data = msg.Data()
		id := fmt.Sprintf("redrive:%s:%d", dlStream, md.Sequence.Stream)
		if _, err := js.PublishMsg(ctx, out, jetstream.WithMsgID(id)); err != nil {
			return n, fmt.Errorf("re-publishing dead letter %d to %s: %w", md.Sequence.Stream, orig, err)
		}
		if err := s.DeleteMsg(ctx, md.Sequence.Stream); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return n, fmt.Errorf("removing dead letter %d: %w", md.Sequence.Stream, err)
		}
		n++
	}
	return n, nil
}
