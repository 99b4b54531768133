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

	"github.com/cloudevents/sdk-go/v2/event"
)

// Handler processes one event. Returning nil acknowledges the message (the
// ack is confirmed by the server before the next step). Returning an error
// redelivers it later, after the next delay of Config.Backoff. Returning an
// error wrapped by Permanent sends it to the dead-letter subject at once.
// ctx is cancelled only when the shutdown grace period runs out.
// A Handler must be safe for concurrent use when Config.Concurrency > 1.
type Handler func(ctx context.Context, ev event.Event) error

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
