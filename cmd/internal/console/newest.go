package console

import (
	"context"
	"slices"
	"time"

	"github.com/hookbridge/hookbridge/cmd/internal/console/jsview"
)

// busyEvery is how often the newest messages of a busy stream are read, for every page and
// live view of it together. The server keeps a whole message block (8 MiB for the bridge's
// streams) in memory for 10 s after any read of it, and a stream written hard fills a block in
// well under a second: read once a second, it keeps about ten blocks that it would otherwise
// have let go. Read every busyEvery, it keeps about one, the least any read of it costs. A
// person cannot read a busy stream's deliveries as they arrive anyway; the page says it shows
// a sample.
const busyEvery = 10 * time.Second

// busyPerTick is how many messages stored a tick make a stream busy: five ticks' worth of
// the rows a live view sends a tick, more than a person reads.
const busyPerTick = 5 * maxLiveEvents

// busyBytesPerTick is how many bytes stored a tick make a stream busy, whatever the count:
// a message block (8 MiB) then lasts over a minute, so that a read once a tick holds a block
// the server would have let go for at most 10 s of each minute.
const busyBytesPerTick = 128 << 10

// readTimeout bounds one read of a stream's newest messages. It is the read's own, not its
// caller's: every page and live view of the stream waits for the same read, and one whose poll
// ends first must not cut it short for the others.
const readTimeout = 5 * time.Second

// sample is the newest messages of one stream as read at one moment, every subject.
type sample struct {
	// At is when the stream was read.
	At time.Time
	// First and Last are the stream's first and last sequences then.
	First, Last uint64
	// From: every message stored above From up to Last is in Messages.
	From uint64
	// Messages are at most jsview.TailMaxScan, oldest first.
	Messages []jsview.Message
	// Busy: the stream was storing more than busyPerTick messages or busyBytesPerTick bytes
	// a tick, and is read again only after busyEvery.
	Busy bool
}

// pace is how fresh a sample must be: tick for a quiet stream, busy for a busy one.
type pace struct {
	tick, busy time.Duration
}

// newest holds the last sample of one stream, shared by every page and live view of that
// stream: two tabs, or two filters, cost one read. Safe for concurrent use.
type newest struct {
	view   *jsview.View
	stream jsview.Stream
	now    func() time.Time

	// turn is held during a read, and who comes meanwhile waits for its result, or for its
	// own ctx to end.
	turn  chan struct{}
	snap  sample
	reads int // reads that read messages, for the tests
}

func newNewest(view *jsview.View, s jsview.Stream, now func() time.Time) *newest {
	return &newest{view: view, stream: s, now: now, turn: make(chan struct{}, 1)}
}

// get is the stream's sample, read again when it is older than p asks for. A quiet stream is
// read again a quarter of a tick after the last read (so that live views polling together
// share it): only the messages stored since, after one stream info request. A busy one is read
// again busyEvery after the last read, whatever asks. What was read is never lost to a reader
// that fails: on error the previous sample stays. A stream deleted and made anew is read
// from its start.
func (n *newest) get(ctx context.Context, p pace) (sample, error) {
	select {
	case n.turn <- struct{}{}:
		defer func() { <-n.turn }()
	case <-ctx.Done():
		return sample{}, ctx.Err()
	}
	now := n.now()
	fresh := p.tick / 4
	if n.snap.Busy {
		fresh = p.busy
	}
	if !n.snap.At.IsZero() && now.Sub(n.snap.At) < fresh {
		return n.snap, nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readTimeout)
	defer cancel()
	t, err := n.view.Since(ctx, n.stream, jsview.Filter{}, jsview.TailMaxScan, n.snap.Last)
	if err == nil && t.Behind {
		n.snap = sample{} // a stream made anew: start over
		t, err = n.view.Since(ctx, n.stream, jsview.Filter{}, jsview.TailMaxScan, 0)
	}
	if err != nil {
		return n.snap, err
	}
	next := sample{At: now, First: t.First, Last: t.Last, From: n.snap.From, Messages: n.snap.Messages}
	if t.Passed > 0 {
		next.Messages, next.From = nil, t.Last
		if len(t.Messages) > 0 {
			next.From = t.Messages[0].Seq - 1
		}
	}
	if len(t.Messages) > 0 {
		n.reads++
		for i := range t.Messages {
			t.Messages[i].Body = nil // the lists show no body: keep the sample light
		}
		next.Messages = append(slices.Clip(next.Messages), t.Messages...)
		if drop := len(next.Messages) - jsview.TailMaxScan; drop > 0 {
			next.From = next.Messages[drop-1].Seq
			next.Messages = next.Messages[drop:]
		}
	}
	next.Busy = busy(t.Messages, p.tick)
	if !n.snap.At.IsZero() {
		// Bytes stored are estimated by the mean size: a stream at its byte limit stores as
		// much as it drops.
		perTick := float64(p.tick) / float64(max(now.Sub(n.snap.At), 1))
		stored := float64(t.Last-n.snap.Last) * perTick
		var mean float64
		if t.Msgs > 0 {
			mean = float64(t.Bytes) / float64(t.Msgs)
		}
		next.Busy = next.Busy || stored > busyPerTick || stored*mean > busyBytesPerTick
	}
	n.snap = next
	return next, nil
}

// busy reports whether the messages just read, oldest first, show more than busyPerTick
// stored within one tick: the first read of a busy stream knows it is busy, from the times the
// server stored them, without a second read to measure the rate.
func busy(read []jsview.Message, tick time.Duration) bool {
	n := len(read)
	return n > busyPerTick && read[n-1].Stored.Sub(read[n-1-busyPerTick].Stored) < tick
}

// selected is, newest first, the messages of s that subject selects above after.
func (s sample) selected(subject string, after uint64) []jsview.Message {
	var out []jsview.Message
	for i := len(s.Messages) - 1; i >= 0 && s.Messages[i].Seq > after; i-- {
		if jsview.Matches(subject, s.Messages[i].Subject) {
			out = append(out, s.Messages[i])
		}
	}
	return out
}

// since is what a live view that has shown everything up to after gets from s: at most limit
// of the newest messages subject selects, oldest first, as jsview.View.Since returns them.
// Passed counts those it selects and leaves out, and every sequence s did not read.
func (s sample) since(subject string, limit int, after uint64) jsview.Tail {
	t := jsview.Tail{Last: max(s.Last, after)}
	sel := s.selected(subject, after)
	if len(sel) > limit {
		t.Passed = uint64(len(sel) - limit)
		sel = sel[:limit]
	}
	if s.From > after {
		t.Passed += s.From - after
	}
	slices.Reverse(sel)
	t.Messages = sel
	return t
}

// page is the newest page of subject's messages from s, as jsview.View.Messages returns it
// for no cursor, and whether s holds it: false when fewer than limit are in s and older
// messages than s read may hold more (the caller then reads the stream).
func (s sample) page(subject string, limit int) (jsview.Page, bool) {
	sel := s.selected(subject, 0)
	if len(sel) < limit {
		return jsview.Page{Messages: sel}, s.From < s.First
	}
	p := jsview.Page{Messages: sel[:limit]}
	if last := sel[limit-1].Seq; last > s.First {
		p.Before = last
	}
	return p, true
}
