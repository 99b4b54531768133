package consumers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
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
		w.writeDeadLetter(ctx, msg, md, "exhausted", errors.New("no successful attempt within max deliveries (the last one timed out)"))
		return
	}
	ev, err := DecodeEvent(ctx, msg.Subject(), msg.Headers(), msg.Data())
	if err != nil {
		w.writeDeadLetter(ctx, msg, md, "undecodable", err)
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
		w.writeDeadLetter(ctx, msg, md, "permanent", err)
	case n >= cfg.MaxDeliver:
		w.writeDeadLetter(ctx, msg, md, "exhausted", err)
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
