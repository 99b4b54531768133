// Package consumers runs durable JetStream pull consumers on the hookbridge
// stream and hands each message to a handler as a CloudEvent.
//
// It relies only on hookbridge's wire contract (CloudEvents in binary mode on
// the documented subjects), exactly as a consumer in another language would;
// it never imports the bridge.
package consumers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"
)

// Handler processes one event. Returning nil acknowledges the message (the
// ack is confirmed by the server before the next step, unless
// Config.AckWithoutConfirmation). Returning an error
// redelivers it later, after the next delay of Config.Backoff. Returning an
// error wrapped by Permanent sends it to the dead-letter subject at once.
// ctx is cancelled only when the shutdown grace period runs out; DeliveryFrom
// reads the message's subject and delivery count from it.
// A Handler must be safe for concurrent use when Config.Concurrency > 1.
type Handler func(ctx context.Context, ev event.Event) error

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
	iter, err := subscribe(ctx, js, cfg)
	if err != nil {
		return err
	}
	cfg.Logger.Info("consumer running", "consumer", cfg.Name, "stream", cfg.Stream,
		"filter_subjects", cfg.FilterSubjects, "concurrency", cfg.Concurrency)

	w := &worker{cfg: cfg, js: js, h: h, tracer: tracerOf(cfg.TracerProvider)}
	// Handlers outlive ctx by up to the grace period.
	handlerCtx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()
	var wg sync.WaitGroup
	if err := w.fetch(ctx, handlerCtx, iter, &wg); err != nil {
		return err
	}
	w.drain(&wg, cancelHandlers)
	cfg.Logger.Info("consumer stopped", "consumer", cfg.Name)
	return nil
}

// subscribe creates or updates the dead-letter stream and the durable
// consumer, and starts pulling at most cfg.Concurrency messages ahead.
func subscribe(ctx context.Context, js jetstream.JetStream, cfg Config) (jetstream.MessagesContext, error) {
	if _, err := js.CreateOrUpdateStream(ctx, DeadLetterStreamConfig(cfg.DeadLetterStream)); err != nil {
		return nil, fmt.Errorf("dead-letter stream %s: %w", cfg.DeadLetterStream, err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, cfg.Stream, cfg.ConsumerConfig())
	if err != nil {
		return nil, fmt.Errorf("consumer %s on stream %s: %w", cfg.Name, cfg.Stream, err)
	}
	// Pulls are bounded by count only. nats.go's iterator buffers them in a
	// channel of exactly that many messages, and a pull with a byte limit
	// ends with a status message the full channel then drops, or drops a
	// message behind it, which only the ack wait brings back (seen as
	// "slow consumer" under load).
	iter, err := cons.Messages(jetstream.PullMaxMessages(cfg.Concurrency))
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", cfg.Name, err)
	}
	return iter, nil
}

type worker struct {
	cfg Config
	js  jetstream.JetStream
	h   Handler
	// tracer is nil when tracing is off.
	tracer trace.Tracer
}

// fetch hands the messages of iter to handlers (each counted in wg), at most
// cfg.Concurrency at once and cfg.MaxBytesInFlight of data at once (or one
// larger message alone), until ctx is cancelled; then it returns nil with
// the handlers possibly still running. If the consumer is deleted it waits
// for the handlers in flight and returns the error.
func (w *worker) fetch(ctx, handlerCtx context.Context, iter jetstream.MessagesContext, wg *sync.WaitGroup) error {
	cfg := w.cfg
	// Stop pulling on cancel. Messages the client had buffered but not handed
	// out are redelivered by the server after the ack wait.
	release := context.AfterFunc(ctx, iter.Stop)
	slots := make(chan struct{}, cfg.Concurrency)
	budget := newByteBudget(cfg.MaxBytesInFlight)
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
				release()
				wg.Wait()
				return fmt.Errorf("consumer %s: %w", cfg.Name, err)
			}
			cfg.Logger.Warn("fetching messages", "consumer", cfg.Name, "error", err)
			continue
		}
		// Waiting for room in the budget, msg is one more message pulled
		// ahead: on cancel the server redelivers it after the ack wait.
		size := messageDataSize(msg.Headers(), len(msg.Data()))
		if !budget.take(ctx, size) {
			<-slots
			break
		}
		wg.Add(1)
		go func() {
			defer func() { budget.give(size); <-slots; wg.Done() }()
			w.process(handlerCtx, msg)
		}()
	}
	release()
	return nil
}

// drain waits for the handlers in wg, cancelling them (through cancel) if
// they are still running after the shutdown grace.
func (w *worker) drain(wg *sync.WaitGroup, cancel context.CancelFunc) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	grace := time.NewTimer(w.cfg.ShutdownGrace)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C:
		w.cfg.Logger.Warn("handlers still running after the grace period; cancelling them", "consumer", w.cfg.Name)
		cancel()
		<-done
	}
}

// process runs one message through the handler, asks settle what becomes of
// it and carries that out.
func (w *worker) process(ctx context.Context, msg jetstream.Msg) {
	md, err := msg.Metadata()
	if err != nil {
		// Left unsettled: the server redelivers it after the ack wait.
		w.cfg.Logger.Error("message without metadata", "consumer", w.cfg.Name, "error", err)
		return
	}
	n := int(md.NumDelivered)
	ctx = withDelivery(ctx, Delivery{Subject: msg.Subject(), Stream: md.Stream, Sequence: md.Sequence.Stream, NumDelivered: n})
	if w.tracer == nil {
		ev, err := w.attempt(ctx, msg, n)
		w.apply(ctx, msg, md, ev, settle(n, err, w.cfg.MaxDeliver, w.cfg.Backoff))
		return
	}
	ctx, span := w.startProcess(ctx, msg, md)
	defer span.End()
	ev, err := w.attempt(ctx, msg, n)
	d := settle(n, err, w.cfg.MaxDeliver, w.cfg.Backoff)
	recordSettle(span, d)
	w.apply(ctx, msg, md, ev, d)
}

// attempt decodes the n-th delivery of msg and runs the handler on it, kept
// alive meanwhile. It returns the error processing ended with, in the kinds
// settle tells apart: errOverdue (no handler runs past MaxDeliver),
// undecodable, or the handler's own result.
func (w *worker) attempt(ctx context.Context, msg jetstream.Msg, n int) (event.Event, error) {
	if n > w.cfg.MaxDeliver {
		return event.Event{}, errOverdue
	}
	ev, err := DecodeEvent(ctx, msg.Subject(), msg.Headers(), msg.Data())
	if err != nil {
		return event.Event{}, undecodable{err}
	}
	stopKeepAlive := keepAlive(msg, w.cfg.AckWait)
	if err := ResolveData(ctx, w.js, &ev); err != nil {
		stopKeepAlive()
		return ev, err
	}
	start := time.Now()
	err = call(ctx, w.h, ev)
	stopKeepAlive()
	w.cfg.Metrics.handlerTime.WithLabelValues(w.cfg.Name).Observe(time.Since(start).Seconds())
	return ev, err
}

// apply carries out d on msg, the delivery of ev (zero if never decoded).
func (w *worker) apply(ctx context.Context, msg jetstream.Msg, md *jetstream.MsgMetadata, ev event.Event, d decision) {
	cfg, log := w.cfg, w.cfg.Logger
	switch d.action {
	case ack:
		if err := w.ack(ctx, msg); err != nil {
			// The server will redeliver; the handler's effect is idempotent.
			log.WarnContext(ctx, "ack not confirmed; the message will be redelivered", "consumer", cfg.Name, "seq", md.Sequence.Stream, "error", err)
			trace.SpanFromContext(ctx).AddEvent("ack not confirmed")
			return
		}
		cfg.Metrics.processed.WithLabelValues(cfg.Name).Inc()
	case retry:
		log.WarnContext(ctx, "handler failed; will retry", "consumer", cfg.Name, "seq", md.Sequence.Stream,
			"id", ev.ID(), "type", ev.Type(), "delivery", int(md.NumDelivered), "retry_in", d.delay.String(), "error", d.cause)
		if err := msg.NakWithDelay(d.delay); err != nil {
			log.Warn("nak failed; the ack wait will redeliver", "consumer", cfg.Name, "error", err)
		}
		cfg.Metrics.retried.WithLabelValues(cfg.Name).Inc()
	case deadLetter:
		w.writeDeadLetter(ctx, msg, md, d)
	}
}

// ack acknowledges msg and, unless cfg.AckWithoutConfirmation, waits for
// the server to confirm it.
func (w *worker) ack(ctx context.Context, msg jetstream.Msg) error {
	if w.cfg.AckWithoutConfirmation {
		return msg.Ack()
	}
	return msg.DoubleAck(ctx)
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
