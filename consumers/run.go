package consumers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/wire"
)

// Defaults for Config's zero fields.
const (
	DefaultStream           = wire.Stream
	DefaultConcurrency      = 1
	DefaultAckWait          = 30 * time.Second
	DefaultMaxDeliver       = 5
	DefaultDeadLetterStream = "DEADLETTER"
	DefaultShutdownGrace    = 30 * time.Second
	// DeadLetterPrefix starts every dead-letter subject.
	DeadLetterPrefix = "deadletter"
)

// DefaultBackoff is the redelivery schedule after handler errors.
func DefaultBackoff() []time.Duration {
	return []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}
}

func (c *Config) setDefaults() {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if len(c.Backoff) == 0 {
		c.Backoff = DefaultBackoff()
	}
	if c.DeadLetterStream == "" {
		c.DeadLetterStream = DefaultDeadLetterStream
	}
	if c.DeadLetterSubject == "" {
		c.DeadLetterSubject = DeadLetterPrefix + "." + c.Name
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil)
	}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Validate reports a Config that cannot work.
func (c Config) Validate() error {
	var errs []error
	if !nameRE.MatchString(c.Name) {
		errs = append(errs, fmt.Errorf("name %q: want [A-Za-z0-9_-]+", c.Name))
	}
	if len(c.FilterSubjects) == 0 {
		errs = append(errs, errors.New("filter_subjects: at least one is required"))
	}
	if c.Concurrency < 0 || c.MaxDeliver < 0 || c.AckWait < 0 || c.ShutdownGrace < 0 {
		errs = append(errs, errors.New("concurrency, max_deliver, ack_wait and shutdown_grace must not be negative"))
	}
	for _, d := range c.Backoff {
		if d <= 0 {
			errs = append(errs, errors.New("backoff: every delay must be positive"))
			break
		}
	}
	return errors.Join(errs...)
}

// ConsumerConfig is the durable consumer Run creates or updates for c: the
// whole server-side definition in one literal. MaxDeliver is one above
// c.MaxDeliver so that a message whose last attempt timed out (a crashed or
// stuck handler) is still seen once more, by the library alone, and
// dead-lettered instead of silently left behind by the server.
func (c Config) ConsumerConfig() jetstream.ConsumerConfig {
	c.setDefaults()
	cc := jetstream.ConsumerConfig{
		Durable:        c.Name,
		Description:    "hookbridge consumer " + c.Name,
		FilterSubjects: c.FilterSubjects,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        c.AckWait,
		MaxDeliver:     c.MaxDeliver + 1,
		MaxAckPending:  max(c.Concurrency*4, 64),
	}
	if !c.StartTime.IsZero() {
		cc.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		cc.OptStartTime = &c.StartTime
	}
	return cc
}

// DeadLetterStreamConfig is the stream that holds dead letters.
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

// Headers a dead letter carries besides the original message's own.
const (
	HeaderReason          = "Hookbridge-Dead-Letter-Reason"
	HeaderDeliveries      = "Hookbridge-Dead-Letter-Deliveries"
	HeaderConsumer        = "Hookbridge-Dead-Letter-Consumer"
	HeaderStream          = "Hookbridge-Dead-Letter-Stream"
	HeaderSequence        = "Hookbridge-Dead-Letter-Sequence"
	HeaderOriginalSubject = "Hookbridge-Original-Subject"
	HeaderOriginalMsgID   = "Hookbridge-Original-Msg-Id"
)

// Run creates or updates the durable consumer described by cfg (and the
// dead-letter stream) and feeds its messages to h, cfg.Concurrency at a
// time, until ctx is cancelled. Then it stops fetching, lets the handlers in
// flight finish (up to cfg.ShutdownGrace, after which their context is
// cancelled) and returns nil. It returns an error only if the consumer cannot
// be set up.
//
// Delivery is at least once: a message whose ack was lost, or whose handler
// crashed, is redelivered. Handlers make their effect idempotent (the
// CloudEvent id is stable across redeliveries).
func Run(ctx context.Context, js jetstream.JetStream, cfg Config, h Handler) error {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("consumer %s: %w", cfg.Name, err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, DeadLetterStreamConfig(cfg.DeadLetterStream)); err != nil {
		return fmt.Errorf("dead-letter stream %s: %w", cfg.DeadLetterStream, err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, cfg.Stream, cfg.ConsumerConfig())
	if err != nil {
		return fmt.Errorf("consumer %s on stream %s: %w", cfg.Name, cfg.Stream, err)
	}
	iter, err := cons.Messages(jetstream.PullMaxMessages(cfg.Concurrency))
	if err != nil {
		return fmt.Errorf("consumer %s: %w", cfg.Name, err)
	}
	cfg.Logger.Info("consumer running", "consumer", cfg.Name, "stream", cfg.Stream,
		"filter_subjects", cfg.FilterSubjects, "concurrency", cfg.Concurrency)

	w := &worker{cfg: cfg, js: js, h: h}
	// Handlers outlive ctx by up to the grace period.
	handlerCtx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			// Stop pulling. Messages the client had buffered but not handed
			// out are redelivered by the server after the ack wait.
			iter.Stop()
		case <-stopped:
		}
	}()

	slots := make(chan struct{}, cfg.Concurrency)
	var wg sync.WaitGroup
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		msg, err := iter.Next()
		if err != nil {
			<-slots
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				break
			}
			if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
				iter.Stop()
				close(stopped)
				wg.Wait()
				return fmt.Errorf("consumer %s: %w", cfg.Name, err)
			}
			cfg.Logger.Warn("fetching messages", "consumer", cfg.Name, "error", err)
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			w.process(handlerCtx, msg)
		}()
	}
	close(stopped)

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	grace := time.NewTimer(cfg.ShutdownGrace)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C:
		cfg.Logger.Warn("handlers still running after the grace period; cancelling them", "consumer", cfg.Name)
		cancelHandlers()
		<-done
	}
	cfg.Logger.Info("consumer stopped", "consumer", cfg.Name)
	return nil
}

type worker struct {
	cfg Config
	js  jetstream.JetStream
	h   Handler
}

// process runs one message through the handler and settles it: ack, a
// delayed redelivery, or a dead letter.
func (w *worker) process(ctx context.Context, msg jetstream.Msg) {
	cfg, log := w.cfg, w.cfg.Logger
	md, err := msg.Metadata()
	if err != nil {
		log.Error("message without metadata", "consumer", cfg.Name, "error", err)
		return
	}
	n := int(md.NumDelivered)
	if n > cfg.MaxDeliver {
		w.deadLetter(ctx, msg, md, "exhausted", errors.New("no successful attempt within max deliveries (the last one timed out)"))
		return
	}
	ev, err := DecodeEvent(ctx, msg.Subject(), msg.Headers(), msg.Data())
	if err != nil {
		w.deadLetter(ctx, msg, md, "undecodable", err)
		return
	}

	stopKeepAlive := keepAlive(msg, cfg.AckWait)
	start := time.Now()
	err = call(ctx, w.h, ev)
	stopKeepAlive()
	w.cfg.Metrics.handlerTime.WithLabelValues(cfg.Name).Observe(time.Since(start).Seconds())

	switch {
	case err == nil:
		if err := msg.DoubleAck(ctx); err != nil {
			// The server will redeliver; the handler's effect is idempotent.
			log.Warn("ack not confirmed; the message will be redelivered", "consumer", cfg.Name, "seq", md.Sequence.Stream, "error", err)
			return
		}
		w.cfg.Metrics.processed.WithLabelValues(cfg.Name).Inc()
	case IsPermanent(err):
		w.deadLetter(ctx, msg, md, "permanent", err)
	case n >= cfg.MaxDeliver:
		w.deadLetter(ctx, msg, md, "exhausted", err)
	default:
		delay := cfg.Backoff[min(n, len(cfg.Backoff))-1]
		log.Warn("handler failed; will retry", "consumer", cfg.Name, "seq", md.Sequence.Stream,
			"id", ev.ID(), "type", ev.Type(), "delivery", n, "retry_in", delay.String(), "error", err)
		if err := msg.NakWithDelay(delay); err != nil {
			log.Warn("nak failed; the ack wait will redeliver", "consumer", cfg.Name, "error", err)
		}
		w.cfg.Metrics.retried.WithLabelValues(cfg.Name).Inc()
	}
}

// call runs h, turning a panic into an ordinary (retryable) error.
func call(ctx context.Context, h Handler, ev event.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return h(ctx, ev)
}

// keepAlive tells the server the message is still being worked on, every
// third of the ack wait, until the returned function is called.
func keepAlive(msg jetstream.Msg, ackWait time.Duration) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ackWait / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	}()
	return func() { close(stop); <-done }
}

// deadLetter copies msg with its headers and the failure onto the
// dead-letter subject, then terminates it. If the copy cannot be stored the
// message is not terminated but redelivered later: nothing is dropped.
func (w *worker) deadLetter(ctx context.Context, msg jetstream.Msg, md *jetstream.MsgMetadata, reason string, cause error) {
	cfg, log := w.cfg, w.cfg.Logger
	dl := nats.NewMsg(cfg.DeadLetterSubject)
	for k, vs := range msg.Headers() {
		if k == jetstream.MsgIDHeader {
			dl.Header[HeaderOriginalMsgID] = vs
			continue
		}
		dl.Header[k] = vs
	}
	text := reason + ": " + cause.Error()
	if len(text) > 1024 {
		text = text[:1024]
	}
	dl.Header.Set(HeaderReason, text)
	dl.Header.Set(HeaderDeliveries, strconv.FormatUint(md.NumDelivered, 10))
	dl.Header.Set(HeaderConsumer, cfg.Name)
	dl.Header.Set(HeaderStream, md.Stream)
	dl.Header.Set(HeaderSequence, strconv.FormatUint(md.Sequence.Stream, 10))
	dl.Header.Set(HeaderOriginalSubject, msg.Subject())
	dl.Data = msg.Data()

	pubCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	id := fmt.Sprintf("%s:%s:%d", cfg.Name, md.Stream, md.Sequence.Stream)
	if _, err := w.js.PublishMsg(pubCtx, dl, jetstream.WithMsgID(id)); err != nil {
		log.Error("dead letter not stored; the message will be redelivered", "consumer", cfg.Name, "seq", md.Sequence.Stream, "error", err)
		_ = msg.NakWithDelay(cfg.Backoff[len(cfg.Backoff)-1])
		return
	}
	if err := msg.TermWithReason(reason); err != nil {
		log.Warn("terminating a dead-lettered message failed; it may be dead-lettered again (deduplicated)", "consumer", cfg.Name, "error", err)
	}
	w.cfg.Metrics.deadLettered.WithLabelValues(cfg.Name, reason).Inc()
	log.Error("message dead-lettered", "consumer", cfg.Name, "seq", md.Sequence.Stream, "subject", msg.Subject(),
		"dead_letter_subject", cfg.DeadLetterSubject, "reason", text, "deliveries", md.NumDelivered)
}
