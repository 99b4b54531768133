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
	"log/slog"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// Handler processes one event. Returning nil acknowledges the message (the
// ack is confirmed by the server before the next step). Returning an error
// redelivers it later, after the next delay of Config.Backoff. Returning an
// error wrapped by Permanent sends it to the dead-letter subject at once.
// ctx is cancelled only when the shutdown grace period runs out.
// A Handler must be safe for concurrent use when Config.Concurrency > 1.
type Handler func(ctx context.Context, ev event.Event) error

// Config describes one durable consumer. Zero fields take the defaults below.
type Config struct {
	// Stream is the stream to consume; default "WEBHOOKS".
	Stream string
	// Name is the durable consumer's name (required); [A-Za-z0-9_-]+.
	Name string
	// FilterSubjects selects the events (required); wildcards allowed, e.g.
	// "webhooks.shopify.*.orders.>".
	FilterSubjects []string
	// StartTime, when set, makes a new consumer start at the first message
	// stored at or after it (a replay from a point in time); zero starts at
	// the beginning of the stream. It cannot be changed on an existing
	// consumer: pick a new Name to replay.
	StartTime time.Time
	// Concurrency is how many handlers run at once; default 1.
	Concurrency int
	// AckWait is how long the server waits for an ack before redelivering;
	// default 30s. A handler that runs longer is kept alive (InProgress).
	AckWait time.Duration
	// MaxDeliver is how many times a message is handed to the handler before
	// it is dead-lettered; default 5.
	MaxDeliver int
	// Backoff is the delay before the n-th redelivery after a handler error
	// (the last entry repeats); default 1s, 5s, 30s, 2m.
	Backoff []time.Duration
	// DeadLetterStream holds dead letters; default "DEADLETTER" (subjects
	// "deadletter.>"), created if missing.
	DeadLetterStream string
	// DeadLetterSubject is where this consumer's dead letters go; default
	// "deadletter.<Name>".
	DeadLetterSubject string
	// ShutdownGrace bounds how long in-flight handlers may finish after the
	// context is cancelled; default 30s.
	ShutdownGrace time.Duration
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// Metrics defaults to unregistered metrics.
	Metrics *Metrics
}

// permanent marks an error that must not be retried.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as permanent: the message is dead-lettered without
// retry. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err (or an error it wraps) was marked Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}
