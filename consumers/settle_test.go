package consumers

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// TestSettle is the retry policy as a user relies on it, with MaxDeliver 5
// and a back-off schedule shorter than that.
func TestSettle(t *testing.T) {
	const maxDeliver = 5
	backoff := []time.Duration{time.Second, 5 * time.Second, 30 * time.Second}
	last := backoff[len(backoff)-1]
	failed := errors.New("downstream not ready")
	bug := errors.New("order has no line items")
	garbage := errors.New("decoding cloudevent: no spec version")
	panicked := call(context.Background(), func(context.Context, event.Event) error { panic("nil map") }, event.New())

	for _, c := range []struct {
		name  string
		n     int
		err   error
		want  decision
		cause error // the error the dead letter's reason or the retry's log carries
	}{
		{name: "success acks", n: 1, err: nil, want: decision{action: ack}},
		{name: "success on the last delivery acks", n: maxDeliver, err: nil, want: decision{action: ack}},
		{name: "first failure retries after the first delay", n: 1, err: failed,
			want: decision{action: retry, delay: time.Second}, cause: failed},
		{name: "second failure retries after the second delay", n: 2, err: failed,
			want: decision{action: retry, delay: 5 * time.Second}, cause: failed},
		{name: "failure at the last delay", n: 3, err: failed,
			want: decision{action: retry, delay: last}, cause: failed},
		{name: "the back-off index clamps to the last delay", n: 4, err: failed,
			want: decision{action: retry, delay: last}, cause: failed},
		{name: "a panic is retried like an error", n: 1, err: panicked,
			want: decision{action: retry, delay: time.Second}, cause: panicked},
		{name: "failure on the last delivery is dead-lettered as exhausted", n: maxDeliver, err: failed,
			want: decision{action: deadLetter, delay: last, reason: "exhausted"}, cause: failed},
		{name: "a delivery past MaxDeliver (last attempt timed out) is dead-lettered as exhausted", n: maxDeliver + 1, err: errOverdue,
			want: decision{action: deadLetter, delay: last, reason: "exhausted"}, cause: errOverdue},
		{name: "a permanent error is dead-lettered at once", n: 1, err: Permanent(bug),
			want: decision{action: deadLetter, delay: last, reason: "permanent"}, cause: bug},
		{name: "a wrapped permanent error is dead-lettered at once", n: 1, err: fmt.Errorf("reserving: %w", Permanent(bug)),
			want: decision{action: deadLetter, delay: last, reason: "permanent"}, cause: bug},
		{name: "a permanent error on the last delivery keeps its reason", n: maxDeliver, err: Permanent(bug),
			want: decision{action: deadLetter, delay: last, reason: "permanent"}, cause: bug},
		{name: "a message that is not a CloudEvent is dead-lettered at once", n: 1, err: undecodable{garbage},
			want: decision{action: deadLetter, delay: last, reason: "undecodable"}, cause: garbage},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := settle(c.n, c.err, maxDeliver, backoff)
			if got.action != c.want.action || got.delay != c.want.delay || got.reason != c.want.reason {
				t.Errorf("settle(%d, %v) = {action %d, delay %s, reason %q}, want {action %d, delay %s, reason %q}",
					c.n, c.err, got.action, got.delay, got.reason, c.want.action, c.want.delay, c.want.reason)
			}
			if c.cause == nil && got.cause != nil {
				t.Errorf("cause = %v, want none", got.cause)
			}
			if c.cause != nil && (!errors.Is(got.cause, c.cause) || got.cause.Error() != c.err.Error()) {
				t.Errorf("cause = %v, want %v as the handler returned it", got.cause, c.err)
			}
		})
	}
}
