package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrContention is returned when a key kept changing under a
// compare-and-set for maxCASAttempts attempts. The event is retried later
// (it is not permanent): nothing was written by the failed attempts.
var ErrContention = errors.New("too much contention on a key")

const (
	maxCASAttempts = 1000
	casBackoffBase = 500 * time.Microsecond
	casBackoffMax  = 50 * time.Millisecond
)

// update is the only way the service writes to the bucket: it reads key,
// lets change edit the decoded value (exists is false for a missing key, v is
// then the zero value), and writes the result back only if the key is still
// at the revision it read (kv.Update; kv.Create for a missing key). On a
// conflict it re-reads and calls change again, after a short random pause so
// that many writers of one hot SKU do not collide in lockstep. change reports
// whether there is anything to write; it must decide from v alone, because it
// may run several times. update returns the value as stored at the end: the
// one written, or the current one when change wrote nothing.
//
// The store is the only lock: two processes, or two goroutines of one, can
// run update on the same key at once and neither loses the other's change.
func update[T any](ctx context.Context, kv jetstream.KeyValue, key string, change func(v *T, exists bool) (bool, error)) (T, error) {
	for attempt := 0; ; attempt++ {
		var v T
		var rev uint64
		e, err := kv.Get(ctx, key)
		switch {
		case err == nil:
			if err := json.Unmarshal(e.Value(), &v); err != nil {
				return v, fmt.Errorf("reading %s: %w", key, err)
			}
			rev = e.Revision()
		case errors.Is(err, jetstream.ErrKeyNotFound):
		default:
			return v, fmt.Errorf("reading %s: %w", key, err)
		}
		write, err := change(&v, rev != 0)
		if err != nil || !write {
			return v, err
		}
		data, err := json.Marshal(v)
		if err != nil {
			return v, err
		}
		if rev != 0 {
			_, err = kv.Update(ctx, key, data, rev)
		} else {
			_, err = kv.Create(ctx, key, data)
		}
		if err == nil {
			return v, nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !errors.Is(err, jetstream.ErrKeyExists) {
			return v, fmt.Errorf("writing %s: %w", key, err)
		}
		if attempt+1 >= maxCASAttempts {
			return v, fmt.Errorf("%w: %s", ErrContention, key)
		}
		if err := pause(ctx, attempt); err != nil {
			return v, err
		}
	}
}

// pause waits a random time below min(casBackoffMax, casBackoffBase·2^attempt).
// This is back-off under contention, not waiting for an event.
func pause(ctx context.Context, attempt int) error {
	ceiling := casBackoffMax
	if attempt < 10 && casBackoffBase<<attempt < ceiling {
		ceiling = casBackoffBase << attempt
	}
	t := time.NewTimer(rand.N(ceiling) + 1)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// read returns the decoded value of key, or ErrKeyNotFound.
func read[T any](ctx context.Context, kv jetstream.KeyValue, key string) (T, error) {
	var v T
	e, err := kv.Get(ctx, key)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		return v, fmt.Errorf("reading %s: %w", key, err)
	}
	return v, nil
}
