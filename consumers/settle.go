package consumers

import (
	"errors"
	"time"
)

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

// undecodable marks a message that is not a CloudEvent: no handler can ever
// take it, so retrying is futile.
type undecodable struct{ err error }

func (u undecodable) Error() string { return u.err.Error() }
func (u undecodable) Unwrap() error { return u.err }

// errOverdue is what a delivery past MaxDeliver ends with, before any
// handler runs: the server delivers once more than MaxDeliver (see
// Config.ConsumerConfig) only when the last attempt timed out, and that
// spare delivery exists to dead-letter the message, not to try again.
var errOverdue = errors.New("no successful attempt within max deliveries (the last one timed out)")

// Dead-letter reasons: the metric label, and the start of HeaderReason.
const (
	reasonPermanent   = "permanent"
	reasonExhausted   = "exhausted"
	reasonUndecodable = "undecodable"
)

// action is how a message is settled with the server.
type action int

const (
	// ack acknowledges the message and (unless Config.AckWithoutConfirmation)
	// waits for the server to confirm it.
	ack action = iota + 1
	// retry asks for a redelivery after the decision's delay.
	retry
	// deadLetter copies the message to the dead letters and terminates it;
	// if the copy cannot be stored, the message is redelivered after the
	// decision's delay instead, so nothing is dropped.
	deadLetter
)

// decision is what settle answers: the action, and what carrying it out
// needs.
type decision struct {
	action action
	// delay: for retry, the redelivery delay; for deadLetter, the delay
	// before the message comes again if its dead letter cannot be stored.
	delay time.Duration
	// reason: for deadLetter, one of the reason constants.
	reason string
	// cause: the error that led to a retry or a dead letter.
	cause error
}

// settle decides what becomes of a message delivered for the n-th time
// (1-based), given the error its processing ended with:
//   - nil: the handler succeeded; ack.
//   - marked Permanent by the handler: dead-letter at once.
//   - undecodable (not a CloudEvent; no handler ran): dead-letter at once.
//   - any other (a handler error or panic, or errOverdue): retry after the
//     n-th delay of backoff (the last one repeats), unless this was the
//     MaxDeliver-th delivery or later: then dead-letter as exhausted.
//
// It is pure so that the whole retry policy reads, and is tested, in one
// place; the fetch loop only carries the decision out.
func settle(n int, err error, maxDeliver int, backoff []time.Duration) decision {
	last := backoff[len(backoff)-1]
	switch {
	case err == nil:
		return decision{action: ack}
	case IsPermanent(err):
		return decision{action: deadLetter, delay: last, reason: reasonPermanent, cause: err}
	case errors.As(err, new(undecodable)):
		return decision{action: deadLetter, delay: last, reason: reasonUndecodable, cause: err}
	case n >= maxDeliver:
		return decision{action: deadLetter, delay: last, reason: reasonExhausted, cause: err}
	default:
		return decision{action: retry, delay: backoff[min(n, len(backoff))-1], cause: err}
	}
}
