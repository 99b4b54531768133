package integration

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
)

// Stored is one message of the stream, as the checks need it.
type Stored struct {
	Seq     uint64
	Subject string
	MsgID   string // Nats-Msg-Id: <source>:<delivery id>
	CEID    string // ce-id: the delivery id
	CEType  string // ce-type
	msg     *jetstream.RawStreamMsg
}

// Event decodes the message as the CloudEvent it holds.
func (m Stored) Event(t testing.TB) event.Event {
	t.Helper()
	ev, err := consumers.DecodeEvent(context.Background(), m.msg.Subject, m.msg.Header, m.msg.Data)
	if err != nil {
		t.Fatalf("message %d on %s: %v", m.Seq, m.Subject, err)
	}
	return ev
}

// ReadStream returns every message of stream, in sequence order. A lookup
// that fails (a cluster electing a leader) is retried for up to 30s.
func ReadStream(ctx context.Context, t testing.TB, js jetstream.JetStream, stream string) []Stored {
	t.Helper()
	var s jetstream.Stream
	var info *jetstream.StreamInfo
	retry(ctx, t, "stream info of "+stream, func(ctx context.Context) (err error) {
		if s, err = js.Stream(ctx, stream); err != nil {
			return err
		}
		info, err = s.Info(ctx)
		return err
	})
	var out []Stored
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		var m *jetstream.RawStreamMsg
		retry(ctx, t, fmt.Sprintf("message %d of %s", seq, stream), func(ctx context.Context) (err error) {
			m, err = s.GetMsg(ctx, seq)
			return err
		})
		out = append(out, Stored{
			Seq: seq, Subject: m.Subject, MsgID: m.Header.Get(jetstream.MsgIDHeader),
			CEID: m.Header.Get("ce-id"), CEType: m.Header.Get("ce-type"), msg: m,
		})
	}
	return out
}

func retry(ctx context.Context, t testing.TB, what string, f func(context.Context) error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		callCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := f(callCtx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) || errors.Is(err, jetstream.ErrMsgNotFound) || ctx.Err() != nil {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(200 * time.Millisecond) // poll interval, bounded by the deadline above
	}
}

// Tally is what CheckDelivered counted.
type Tally struct {
	Deliveries int // deliveries sent
	Stored     int // messages in the stream
	Attempts   int // POSTs, first sends and retries
	Failures   int // answers that were not 2xx, or no answer
	Retried    int // deliveries that needed more than one attempt
	MaxTries   int // the most attempts one delivery needed
	Duplicates int // 2xx answers that said "duplicate": stored before, its ack lost
}

func (t Tally) String() string {
	return fmt.Sprintf("%d deliveries, %d stored; %d attempts, %d not 2xx; %d deliveries retried (at most %d attempts); %d answered as duplicates",
		t.Deliveries, t.Stored, t.Attempts, t.Failures, t.Retried, t.MaxTries, t.Duplicates)
}

// CheckDelivered asserts the bridge's promise for a run of the platform:
// every delivery got a 2xx in the end; the stream holds every delivery
// exactly once (by Nats-Msg-Id and by ce-id) and nothing else; and every 2xx
// answer names a sequence that holds that very delivery, i.e. no 2xx was
// given for a message that is not stored.
func CheckDelivered(t testing.TB, stored []Stored, results []Result) Tally {
	t.Helper()
	tally := Tally{Deliveries: len(results), Stored: len(stored)}
	sent := map[string]bool{}
	notOK := 0
	for _, r := range results {
		sent[r.ID] = true
		tally.Attempts += len(r.Attempts)
		tally.MaxTries = max(tally.MaxTries, len(r.Attempts))
		if len(r.Attempts) > 1 {
			tally.Retried++
		}
		for _, a := range r.Attempts {
			if !a.OK() {
				tally.Failures++
			} else if a.Answer.Duplicate {
				tally.Duplicates++
			}
		}
		if !r.OK() {
			if notOK++; notOK <= 10 {
				t.Errorf("delivery %s never got a 2xx in %d attempts; last: %v", r.ID, len(r.Attempts), r.Final())
			}
		}
	}
	if notOK > 10 {
		t.Errorf("... %d deliveries in all never got a 2xx", notOK)
	}

	bySeq := map[uint64]Stored{}
	count := map[string]int{}
	for _, m := range stored {
		bySeq[m.Seq] = m
		if m.MsgID != ShopSource+":"+m.CEID {
			t.Errorf("message %d: Nats-Msg-Id %q does not match ce-id %q", m.Seq, m.MsgID, m.CEID)
		}
		count[m.CEID]++
		if !sent[m.CEID] {
			t.Errorf("message %d (%s) is no delivery the platform sent", m.Seq, m.CEID)
		}
	}
	for _, r := range results {
		if n := count[r.ID]; n != 1 {
			t.Errorf("delivery %s is stored %d times, want exactly once", r.ID, n)
		}
		for _, a := range r.Attempts {
			if !a.OK() {
				continue
			}
			if m, ok := bySeq[a.Answer.Seq]; !ok || m.CEID != r.ID || a.Answer.ID != r.ID {
				t.Errorf("%v: a 2xx for a message that is not stored there (stream has %+v)", a, m)
			}
		}
	}
	return tally
}
