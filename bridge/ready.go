package bridge

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrCannotStore is the readiness error of a bridge whose broker is reachable
// but does not store deliveries: the stream is full, the broker's storage
// failed or is exhausted, or deliveries were just refused.
var ErrCannotStore = errors.New("cannot store deliveries")

// Readiness is what /readyz checks.
type Readiness struct {
	Conn *nats.Conn
	JS   jetstream.JetStream
	// Streams are the bridge's webhook streams, at least one: each must
	// exist and not be full.
	Streams []string
	// Failures, if not nil, is the delivery path's memory (Config.Failures):
	// while it holds a failure, readiness reports it.
	Failures *LastFailure
	// Storage, if not nil, is the broker's own account of why it cannot
	// store (the embedded server's); nil when it can.
	Storage func() error
}

// Ready returns a ReadyFunc that is nil only while the connection is up, the
// broker's storage (if r.Storage says) is healthy, every stream exists and
// is not full, and no delivery failed recently without one being stored
// since. Each call costs one stream info request per stream.
func Ready(r Readiness) ReadyFunc {
	return func(ctx context.Context) error {
		checked := time.Now()
		if st := r.Conn.Status(); st != nats.CONNECTED {
			return fmt.Errorf("nats connection is %s", st)
		}
		if r.Storage != nil {
			if err := r.Storage(); err != nil {
				return fmt.Errorf("%w: %w", ErrCannotStore, err)
			}
		}
		if len(r.Streams) == 0 {
			return errors.New("no stream to check")
		}
		for _, name := range r.Streams {
			s, err := r.JS.Stream(ctx, name)
			if err != nil {
				return fmt.Errorf("stream %s: %w", name, err)
			}
			if err := full(s.CachedInfo()); err != nil {
				return fmt.Errorf("%w: %w", ErrCannotStore, err)
			}
			// A member of a replicated stream answers the info request
			// while its group elects a leader; nothing is stored meanwhile.
			if c := s.CachedInfo().Cluster; c != nil && c.Leader == "" {
				return fmt.Errorf("%w: stream %s has no leader (an election is under way)", ErrCannotStore, name)
			}
		}
		// Every stream has a leader that answered after checked: a failure
		// before it that was only the broker not answering (a leader lost, a
		// node restarting) is over. Without this, every bridge behind a load
		// balancer that saw a leader fail over would stay out of rotation until
		// its memory faded, since none gets a delivery to clear it with.
		if err := r.Failures.errAfter(checked); err != nil {
			return fmt.Errorf("%w: %w", ErrCannotStore, err)
		}
		return nil
	}
}

// full reports a stream that refuses new messages because it reached a
// limit an operator set with the discard-new policy. A stream a few bytes
// short of max_bytes refuses a delivery too; the delivery path's memory
// of that refusal (LastFailure) is what reports it.
func full(info *jetstream.StreamInfo) error {
	c, st := info.Config, info.State
	if c.Discard != jetstream.DiscardNew {
		return nil
	}
	if c.MaxMsgs > 0 && st.Msgs >= uint64(c.MaxMsgs) {
		return fmt.Errorf("stream %s is full: %d messages of max_msgs %d, and it discards new messages", c.Name, st.Msgs, c.MaxMsgs)
	}
	if c.MaxBytes > 0 && st.Bytes >= uint64(c.MaxBytes) {
		return fmt.Errorf("stream %s is full: %d bytes of max_bytes %d, and it discards new messages", c.Name, st.Bytes, c.MaxBytes)
	}
	return nil
}

// LastFailure is the delivery path's memory of its latest failure to store
// a delivery, so that readiness reports what senders were just told. A
// stored delivery clears it. It also fades by itself after twice the
// Retry-After (a sender that retries and fails again renews it): a bridge
// taken out of service for being unready gets no deliveries to clear it
// with, and must not stay unready for ever once the broker recovers.
//
// Safe for concurrent use; the zero value is empty. A nil *LastFailure
// remembers nothing.
type LastFailure struct {
	last atomic.Pointer[failure]
	// seen is the latest failure, kept after a stored delivery clears
	// last: what an operator looking back at an incident wants to read.
	seen atomic.Pointer[failure]
}

type failure struct {
	err       error
	at, until time.Time
}

// record remembers err for hold.
func (l *LastFailure) record(err error, hold time.Duration) {
	if l == nil {
		return
	}
	now := time.Now()
	f := &failure{err: err, at: now, until: now.Add(hold)}
	l.last.Store(f)
	l.seen.Store(f)
}

// stored forgets the last failure. It runs on every stored delivery, so it
// only reads unless there is something to forget.
func (l *LastFailure) stored() {
	if l == nil {
		return
	}
	if f := l.last.Load(); f != nil {
		l.last.CompareAndSwap(f, nil) // a failure recorded meanwhile stays
	}
}

// Err returns the remembered failure, or nil if there is none, a delivery
// was stored since, or it has faded.
func (l *LastFailure) Err() error {
	return l.errAfter(time.Time{})
}

// errAfter is Err, leaving out a failure recorded before answered that was
// the broker not answering at all (noAnswer): the broker answered since.
func (l *LastFailure) errAfter(answered time.Time) error {
	if l == nil {
		return nil
	}
	f := l.last.Load()
	if f == nil || time.Now().After(f.until) || f.at.Before(answered) && noAnswer(f.err) {
		return nil
	}
	return fmt.Errorf("the last delivery (%s ago) was not stored: %w", time.Since(f.at).Round(time.Millisecond), f.err)
}

// Latest returns the latest failure to store a delivery and when it
// happened, whether or not a delivery was stored since or it has faded;
// a zero time and nil if none failed (or l is nil). Readiness asks Err;
// this is for people reading back what happened.
func (l *LastFailure) Latest() (at time.Time, err error) {
	if l == nil {
		return time.Time{}, nil
	}
	f := l.seen.Load()
	if f == nil {
		return time.Time{}, nil
	}
	return f.at, f.err
}

// noAnswer reports a failed publish the broker never answered: a timeout,
// no responders (no stream leader to take it), a lost connection. A refusal
// the broker did answer (a full stream, a storage error) is not one, nor is a
// PubAck from the wrong stream.
func noAnswer(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, nats.ErrDisconnected) ||
		errors.Is(err, nats.ErrConnectionClosed) ||
		errors.Is(err, jetstream.ErrNoStreamResponse)
}
