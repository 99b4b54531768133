package jsview

import (
	"context"
	"fmt"
	"slices"
)

// TailMaxScan bounds how many stream sequences one Since call looks
// through: a live view polls, and each poll must cost the same whatever the
// delivery rate.
const TailMaxScan = 500

// Tail is what Since read.
type Tail struct {
	// Messages are the newest that the filter selects, oldest first.
	Messages []Message
	// Last is the stream's last sequence when Since read it: the after of
	// the next call, so that nothing is read twice.
	Last uint64
	// First is the stream's first sequence when Since read it.
	First uint64
	// Msgs and Bytes are how many messages the stream held, and their size, when Since read
	// it.
	Msgs, Bytes uint64
	// Behind: the stream's last sequence was below after (it was deleted and made anew), and
	// nothing was read.
	Behind bool
	// Passed is how many sequences after the call's after were not read:
	// those below the oldest of Messages once limit was reached, or beyond
	// TailMaxScan. They hold at most Passed messages the filter selects
	// (exactly Passed for a filter that selects the whole stream).
	Passed uint64
}

// Last is the last sequence stored in s, 0 for an empty stream: the after
// of a first Since that is to see only what is stored from now on. A
// stream that does not exist is jetstream.ErrStreamNotFound.
func (v *View) Last(ctx context.Context, s Stream) (uint64, error) {
	st, err := v.js.Stream(ctx, s.Name)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", s.Name, err)
	}
	return st.CachedInfo().State.LastSeq, nil
}

// Since returns at most limit (0 for DefaultLimit) of the newest messages of
// s that f selects stored after sequence after, oldest first, for the
// console's live view.
//
// Its cost does not depend on how fast messages arrive: one stream info
// request (without subject detail), and, only when the stream moved past
// after, the direct gets of Messages, over at most TailMaxScan sequences.
// No consumer is created on the server, so a view that is never polled
// again leaves nothing behind.
func (v *View) Since(ctx context.Context, s Stream, f Filter, limit int, after uint64) (Tail, error) {
	st, subject, err := v.filtered(ctx, s, f)
	if err != nil {
		return Tail{}, err
	}
	last := st.CachedInfo().State.LastSeq
	state := st.CachedInfo().State
	t := Tail{Last: max(last, after), First: state.FirstSeq, Msgs: state.Msgs, Bytes: state.Bytes, Behind: last < after}
	if last <= after {
		return t, nil
	}
	page, err := v.newest(ctx, st, subject, limit, span{after: after, maxScan: TailMaxScan})
	if err != nil {
		return Tail{}, err
	}
	t.Messages = page.Messages
	slices.Reverse(t.Messages)
	if page.Before > 0 {
		t.Passed = page.Before - max(after+1, st.CachedInfo().State.FirstSeq)
	}
	return t, nil
}
