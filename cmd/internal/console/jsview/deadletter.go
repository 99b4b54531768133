package jsview

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
)

// DeadLetter is a message a consumer gave up on, as consumers writes it
// (see consumers.DeadLetterStreamConfig): the original headers and body on
// deadletter.<consumer>, and why.
type DeadLetter struct {
	// Message is the dead letter as stored; its Header holds the
	// Hookbridge-* headers read below, too.
	Message
	Consumer string
	// Reason is "<reason>: <cause>" as the consumer recorded it.
	Reason string
	// Deliveries is how many times the consumer was delivered it.
	Deliveries int
	// OriginalSubject, OriginalStream and OriginalSeq say where it was
	// stored first; a redrive publishes it to OriginalSubject again.
	OriginalSubject string
	OriginalStream  string
	OriginalSeq     uint64
}

// DeadLetterPage is one page of dead letters, newest first.
type DeadLetterPage struct {
	DeadLetters []DeadLetter
	// Before is what to pass as before for the next, older page; 0 at the
	// start.
	Before uint64
}

// DeadLetterCounts is how many dead letters each consumer has, by
// consumer name. Without a dead-letter stream (nothing was ever
// dead-lettered) it is empty.
func (v *View) DeadLetterCounts(ctx context.Context) (map[string]uint64, error) {
	st, err := v.deadLetterStream(ctx)
	if st == nil {
		return map[string]uint64{}, err
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(consumers.DeadLetterPrefix+".>"))
	if err != nil {
		return nil, fmt.Errorf("dead-letter stream %s: %w", v.opt.DeadLetterStream, err)
	}
	n := make(map[string]uint64, len(info.State.Subjects))
	for subject, count := range info.State.Subjects {
		n[strings.TrimPrefix(subject, consumers.DeadLetterPrefix+".")] = count
	}
	return n, nil
}

// DeadLetters returns the newest dead letters of consumer ("" for every
// consumer's), as Messages returns messages: at most limit, below sequence
// before (0 for the newest).
func (v *View) DeadLetters(ctx context.Context, consumer string, limit int, before uint64) (DeadLetterPage, error) {
	subject := consumers.DeadLetterPrefix + ".>"
	if consumer != "" {
		if err := consumerName(consumer); err != nil {
			return DeadLetterPage{}, err
		}
		subject = consumers.DeadLetterSubject(consumer)
	}
	st, err := v.deadLetterStream(ctx)
	if st == nil {
		return DeadLetterPage{}, err
	}
	page, err := v.newest(ctx, st, subject, limit, span{before: before, maxScan: v.opt.MaxScan})
	out := DeadLetterPage{Before: page.Before}
	for _, m := range page.Messages {
		out.DeadLetters = append(out.DeadLetters, deadLetterOf(m))
	}
	return out, err
}

// DeadLetter returns the dead letter stored at seq; jetstream.ErrMsgNotFound
// when there is none.
func (v *View) DeadLetter(ctx context.Context, seq uint64) (DeadLetter, error) {
	m, err := v.Message(ctx, Stream{Name: v.opt.DeadLetterStream}, seq)
	if err != nil {
		return DeadLetter{}, err
	}
	return deadLetterOf(m), nil
}

// Redrive re-publishes the dead letter of consumer stored at seq to its
// original subject and removes it, as consumers.RedriveOne does (it is
// that): consumers.ErrNotDeadLetterOf if seq holds another consumer's.
func (v *View) Redrive(ctx context.Context, consumer string, seq uint64) error {
	if err := consumerName(consumer); err != nil {
		return err
	}
	return consumers.RedriveOne(ctx, v.js, v.opt.DeadLetterStream, consumer, seq)
}

// RedriveAll re-publishes every dead letter of consumer, as `deadletters
// redrive` does (consumers.Redrive), and returns how many.
func (v *View) RedriveAll(ctx context.Context, consumer string) (int, error) {
	if err := consumerName(consumer); err != nil {
		return 0, err
	}
	return consumers.Redrive(ctx, v.js, v.opt.DeadLetterStream, consumer)
}

// deadLetterStream is the dead-letter stream, or nil and no error when it
// does not exist yet.
func (v *View) deadLetterStream(ctx context.Context) (jetstream.Stream, error) {
	st, err := v.js.Stream(ctx, v.opt.DeadLetterStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dead-letter stream %s: %w", v.opt.DeadLetterStream, err)
	}
	return st, nil
}

// deadLetterOf reads a dead letter's own headers.
func deadLetterOf(m Message) DeadLetter {
	h := m.Header
	d := DeadLetter{
		Message:         m,
		Consumer:        h.Get(consumers.HeaderConsumer),
		Reason:          h.Get(consumers.HeaderReason),
		OriginalSubject: h.Get(consumers.HeaderOriginalSubject),
		OriginalStream:  h.Get(consumers.HeaderStream),
	}
	d.Deliveries, _ = strconv.Atoi(h.Get(consumers.HeaderDeliveries))
	d.OriginalSeq, _ = strconv.ParseUint(h.Get(consumers.HeaderSequence), 10, 64)
	return d
}
