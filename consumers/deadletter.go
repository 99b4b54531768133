package consumers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Dead letters: where they are kept (DeadLetterStreamConfig), what they
// carry (the Header constants), how they are written (writeDeadLetter) and
// how they go back (Redrive). When a message becomes one is settle's
// decision, in settle.go.

// DeadLetterPrefix starts every dead-letter subject.
const DeadLetterPrefix = "deadletter"

// DeadLetterSubject is where the dead letters of the named consumer go by
// default (Config.DeadLetterSubject), and where Redrive reads them:
// "deadletter.<consumer>".
func DeadLetterSubject(consumer string) string {
	return DeadLetterPrefix + "." + consumer
}

// DeadLetterStreamConfig is the jetstream.StreamConfig of the stream named
// name that holds the dead letters of every consumer (subjects
// "deadletter.>"). Run creates or updates it before consuming, so the
// definition here is the one in force. Dead letters are kept until removed
// (by Redrive or by hand), and a dead letter written twice for the same
// delivery, within an hour, is stored once.
func DeadLetterStreamConfig(name string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        name,
		Description: "Messages hookbridge consumers could not process",
		Subjects:    []string{DeadLetterPrefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Duplicates:  time.Hour,
	}
}

// Headers a dead letter carries besides the original message's own. All
// start with headerPrefix, which Redrive strips.
const (
	HeaderReason          = "Hookbridge-Dead-Letter-Reason"
	HeaderDeliveries      = "Hookbridge-Dead-Letter-Deliveries"
	HeaderConsumer        = "Hookbridge-Dead-Letter-Consumer"
	HeaderStream          = "Hookbridge-Dead-Letter-Stream"
	HeaderSequence        = "Hookbridge-Dead-Letter-Sequence"
	HeaderOriginalSubject = "Hookbridge-Original-Subject"
	HeaderOriginalMsgID   = "Hookbridge-Original-Msg-Id"

	headerPrefix = "Hookbridge-"
)

// maxReasonLen bounds HeaderReason: a handler's error can be long, and a
// header is no place for a whole response body.
const maxReasonLen = 1024

// reasonHeader is HeaderReason's value: "<reason>: <cause>", cut to
// maxReasonLen bytes.
func reasonHeader(reason string, cause error) string {
	text := reason + ": " + cause.Error()
	if len(text) > maxReasonLen {
		text = text[:maxReasonLen]
	}
	return text
}

// writeDeadLetter copies msg with its headers and the failure onto the
// dead-letter subject, then terminates it. If the copy cannot be stored the
// message is not terminated but redelivered after d.delay: nothing is
// dropped.
func (w *worker) writeDeadLetter(ctx context.Context, msg jetstream.Msg, md *jetstream.MsgMetadata, d decision) {
	cfg, log := w.cfg, w.cfg.Logger
	text := reasonHeader(d.reason, d.cause)
	dl := deadLetterMsg(cfg.DeadLetterSubject, cfg.Name, msg, md, text)

	pubCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// One id per delivered message, so that writing it again (its term was
	// lost) is deduplicated by the stream.
	id := fmt.Sprintf("%s:%s:%d", cfg.Name, md.Stream, md.Sequence.Stream)
	dl.Header.Set(jetstream.MsgIDHeader, id)
	span := deadLetterTrace(ctx, cfg.DeadLetterStream, dl)
	pa, err := w.js.PublishMsg(pubCtx, dl)
	EndPublish(span, pa, err)
	if err != nil {
		log.Error("dead letter not stored; the message will be redelivered", "consumer", cfg.Name, "seq", md.Sequence.Stream, "error", err)
		_ = msg.NakWithDelay(d.delay)
		return
	}
	if err := msg.TermWithReason(d.reason); err != nil {
		log.Warn("terminating a dead-lettered message failed; it may be dead-lettered again (deduplicated)", "consumer", cfg.Name, "error", err)
	}
	cfg.Metrics.deadLettered.WithLabelValues(cfg.Name, d.reason).Inc()
	log.ErrorContext(ctx, "message dead-lettered", "consumer", cfg.Name, "seq", md.Sequence.Stream, "subject", msg.Subject(),
		"dead_letter_subject", cfg.DeadLetterSubject, "reason", text, "deliveries", md.NumDelivered)
}

// deadLetterMsg is the dead letter of msg on subject: its headers and body,
// and the failure's headers. Its Nats-Msg-Id, which the dead letter's own id
// replaces, is kept as HeaderOriginalMsgID.
func deadLetterMsg(subject, consumer string, msg jetstream.Msg, md *jetstream.MsgMetadata, reason string) *nats.Msg {
	dl := nats.NewMsg(subject)
	for k, vs := range msg.Headers() {
		if k == jetstream.MsgIDHeader {
			dl.Header[HeaderOriginalMsgID] = vs
			continue
		}
		dl.Header[k] = vs
	}
	dl.Header.Set(HeaderReason, reason)
	dl.Header.Set(HeaderDeliveries, strconv.FormatUint(md.NumDelivered, 10))
	dl.Header.Set(HeaderConsumer, consumer)
	dl.Header.Set(HeaderStream, md.Stream)
	dl.Header.Set(HeaderSequence, strconv.FormatUint(md.Sequence.Stream, 10))
	dl.Header.Set(HeaderOriginalSubject, msg.Subject())
	dl.Data = msg.Data()
	return dl
}

// Redrive re-publishes the dead letters of one consumer (subject
// deadletter.<consumer> in stream dlStream) to the subjects they came from,
// and removes each from the dead-letter stream once the original stream has
// acknowledged the copy. It returns how many it re-published.
//
// The copy carries the original CloudEvent headers and body (its
// traceparent and ce-traceparent among them, so a redriven message
// continues the trace it started in) and a new Nats-Msg-Id
// ("redrive:<stream>:<seq>"), so it is stored again even inside the
// duplicate window. Every consumer whose filter matches the subject sees
// it again, not only the one that failed; handlers are idempotent by the
// CloudEvent id, so those that already processed it change nothing. When
// ctx carries a span, each re-publish is a producer span below it, linked
// to the message's first publish.
func Redrive(ctx context.Context, js jetstream.JetStream, dlStream, consumer string) (int, error) {
	if dlStream == "" {
		dlStream = DefaultDeadLetterStream
	}
	s, err := js.Stream(ctx, dlStream)
	if err != nil {
		return 0, fmt.Errorf("dead-letter stream %s: %w", dlStream, err)
	}
	subject := DeadLetterSubject(consumer)
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
		if err := redriveOne(ctx, js, s, md.Sequence.Stream, msg.Headers(), msg.Data()); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// ErrNotDeadLetterOf is returned by RedriveOne for a sequence that holds a
// dead letter of another consumer.
var ErrNotDeadLetterOf = errors.New("not a dead letter of this consumer")

// RedriveOne does what Redrive does for one dead letter of consumer: the one
// stored at seq in dlStream. It re-publishes it to the subject it came from
// and removes it once the original stream has acknowledged the copy. A seq
// that holds no message is jetstream.ErrMsgNotFound; one that holds another
// consumer's dead letter is ErrNotDeadLetterOf, and nothing is re-published.
func RedriveOne(ctx context.Context, js jetstream.JetStream, dlStream, consumer string, seq uint64) error {
	if dlStream == "" {
		dlStream = DefaultDeadLetterStream
	}
	s, err := js.Stream(ctx, dlStream)
	if err != nil {
		return fmt.Errorf("dead-letter stream %s: %w", dlStream, err)
	}
	m, err := s.GetMsg(ctx, seq)
	if err != nil {
		return fmt.Errorf("dead letter %d: %w", seq, err)
	}
	if m.Subject != DeadLetterSubject(consumer) {
		return fmt.Errorf("dead letter %d (%s): %w %s", seq, m.Subject, ErrNotDeadLetterOf, consumer)
	}
	return redriveOne(ctx, js, s, seq, m.Header, m.Data)
}

// redriveOne re-publishes the dead letter stored at seq in s (its headers h
// and body data) to its original subject under the id
// "redrive:<stream>:<seq>", then removes it from s: the one path Redrive
// and RedriveOne share.
func redriveOne(ctx context.Context, js jetstream.JetStream, s jetstream.Stream, seq uint64, h nats.Header, data []byte) error {
	out, err := redriven(seq, h, data)
	if err != nil {
		return err
	}
	id := fmt.Sprintf("redrive:%s:%d", s.CachedInfo().Config.Name, seq)
	out.Header.Set(jetstream.MsgIDHeader, id)
	pubCtx, span := redriveTrace(ctx, h.Get(HeaderStream), out)
	pa, err := js.PublishMsg(pubCtx, out)
	EndPublish(span, pa, err)
	if err != nil {
		return fmt.Errorf("re-publishing dead letter %d to %s: %w", seq, out.Subject, err)
	}
	if err := s.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("removing dead letter %d: %w", seq, err)
	}
	return nil
}

// redriven is the dead letter stored at seq (headers h, body data) as it
// first came: on its original subject, without the dead-letter headers or
// its old Nats-Msg-Id.
func redriven(seq uint64, h nats.Header, data []byte) (*nats.Msg, error) {
	orig := h.Get(HeaderOriginalSubject)
	if orig == "" {
		return nil, fmt.Errorf("dead letter %d has no %s header", seq, HeaderOriginalSubject)
	}
	out := nats.NewMsg(orig)
	for k, vs := range h {
		if strings.HasPrefix(k, headerPrefix) || k == jetstream.MsgIDHeader {
			continue
		}
		out.Header[k] = vs
	}
	out.Data = data
	return out, nil
}
