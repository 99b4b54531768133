package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// checkSet is one run's deliveries and what their senders were told.
type checkSet struct {
	ds     []delivery
	states []deliveryState
}

// checkReport is what the stream holds of a run, against what was answered.
// The contract: a delivery answered 2xx is stored exactly once; a delivery
// answered otherwise (or not at all) is stored at most once, since the
// broker may have stored it and lost the ack.
type checkReport struct {
	Stream   string
	FromSeq  uint64 // first sequence read
	LastSeq  uint64 // the stream's last sequence when the check began
	Read     uint64 // messages read
	Answered int    // deliveries answered 2xx at least once
	Once     int    // of those, stored exactly once

	Lost       int // answered 2xx but not stored
	Duplicated int // stored more than once
	LostAck    int // stored once, but never answered 2xx: allowed (a lost ack)
	NeverSent  int // stored, but never sent by this run: an id collision
	Unknown    int // stored with this run's id but not one of its deliveries
	Foreign    int // other traffic in the same range, ignored
	Resumed    int // reads that stalled and were taken up again
	Examples   []string

	// ByCount is set when the load tool (wrk) does not say which
	// deliveries were answered, only how many were answered 2xx and which
	// were started. Then the check is: every stored message is one of the
	// run's deliveries that was started (NeverSent, Unknown), none is
	// stored twice (Duplicated), and Stored is at least OK and at most
	// Sent. Answered is OK; Once, Lost and LostAck are what the counts
	// imply: Lost the 2xx answers beyond the messages stored, LostAck the
	// messages stored beyond the 2xx answers (lost acks, or requests
	// wrk cut off at its end).
	ByCount bool
	OK      uint64 // answers 2xx
	Stored  uint64 // messages stored with one of the run's delivery ids
	Sent    uint64 // deliveries started
}

func (r *checkReport) ok() bool {
	return r.Lost == 0 && r.Duplicated == 0 && r.NeverSent == 0 && r.Unknown == 0 &&
		(!r.ByCount || r.Stored >= r.OK && r.Stored <= r.Sent)
}

func (r *checkReport) String() string {
	verdict := "PASS"
	if !r.ok() {
		verdict = "FAIL"
	}
	if r.ByCount {
		return r.byCountString(verdict)
	}
	s := fmt.Sprintf("%s: stream %s seq %d..%d, %d messages read; %d deliveries answered 2xx, %d of them stored exactly once; lost %d, duplicated %d, stored but never sent %d, unknown with this run's id %d; stored but answered non-2xx (lost ack, allowed) %d; other traffic %d",
		verdict, r.Stream, r.FromSeq, r.LastSeq, r.Read, r.Answered, r.Once, r.Lost, r.Duplicated, r.NeverSent, r.Unknown, r.LostAck, r.Foreign)
	if r.Resumed > 0 {
		s += fmt.Sprintf("; the read stalled and went on %d time(s)", r.Resumed)
	}
	if len(r.Examples) > 0 {
		s += "\n  e.g. " + strings.Join(r.Examples, "\n  e.g. ")
	}
	return s
}

func (r *checkReport) byCountString(verdict string) string {
	s := fmt.Sprintf("%s (by id and count: wrk does not say which deliveries were answered): stream %s seq %d..%d, %d messages read; %d stored with this run's ids, for %d answered 2xx (want at least that) of %d started (want at most that); stored twice %d, stored but never started %d, unknown with this run's id %d; other traffic %d",
		verdict, r.Stream, r.FromSeq, r.LastSeq, r.Read, r.Stored, r.OK, r.Sent, r.Duplicated, r.NeverSent, r.Unknown, r.Foreign)
	if r.Resumed > 0 {
		s += fmt.Sprintf("; the read stalled and went on %d time(s)", r.Resumed)
	}
	if len(r.Examples) > 0 {
		s += "\n  e.g. " + strings.Join(r.Examples, "\n  e.g. ")
	}
	return s
}

// streamStart is the sequence the next message of stream will get: a run's
// check reads from there.
func streamStart(ctx context.Context, js jetstream.JetStream, stream string) (uint64, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", stream, err)
	}
	return s.CachedInfo().State.LastSeq + 1, nil
}

// streamCheck is a check opened before a run: begin notes where the run's
// messages will start, finish reads them back after the run. Its
// connection is closed by close.
type streamCheck struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	stream  string
	fromSeq uint64
}

// dialCheck connects to the broker at url under the client name name.
func dialCheck(url, name string) (*streamCheck, error) {
	nc, err := nats.Connect(url, nats.Name(name), nats.Timeout(5*time.Second))
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &streamCheck{nc: nc, js: js}, nil
}

// begin notes stream's next sequence: the check reads from there.
func (c *streamCheck) begin(ctx context.Context, stream string) error {
	c.stream = stream
	var err error
	c.fromSeq, err = streamStart(ctx, c.js, stream)
	return err
}

// finishByCount checks the stream against a run whose load tool gave only
// counts (wrk): sets' states say which deliveries were started, ok how
// many answers were 2xx. It prints the report.
func (c *streamCheck) finishByCount(ctx context.Context, runID string, sets []checkSet, ok uint64, out io.Writer) (*checkReport, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	t, err := readTally(ctx, c.js, c.stream, c.fromSeq, runID, sets)
	if err != nil {
		return nil, err
	}
	t.judgeByCount(sets, ok)
	fmt.Fprintln(out, "check    "+t.rep.String())
	return t.rep, nil
}

// finish checks the stream against the run's answers, within two minutes,
// and prints the report.
func (c *streamCheck) finish(ctx context.Context, runID string, sets []checkSet, out io.Writer) (*checkReport, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	rep, err := checkStream(ctx, c.js, c.stream, c.fromSeq, runID, sets...)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(out, "check    "+rep.String())
	return rep, nil
}

func (c *streamCheck) close() { c.nc.Close() }

// checkStream reads stream's headers from fromSeq to its current end and
// counts every run delivery by Nats-Msg-Id. runID marks messages that belong
// to the run without being one of its deliveries.
func checkStream(ctx context.Context, js jetstream.JetStream, stream string, fromSeq uint64, runID string, sets ...checkSet) (*checkReport, error) {
	t, err := readTally(ctx, js, stream, fromSeq, runID, sets)
	if err != nil {
		return nil, err
	}
	t.judge(sets)
	return t.rep, nil
}

// readTally reads stream's headers from fromSeq to its current end and
// counts every delivery of sets by Nats-Msg-Id.
func readTally(ctx context.Context, js jetstream.JetStream, stream string, fromSeq uint64, runID string, sets []checkSet) (*tally, error) {
	t := newTally(stream, fromSeq, runID, sets)
	str, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("check: stream %s: %w", stream, err)
	}
	t.rep.LastSeq = str.CachedInfo().State.LastSeq
	next := fromSeq
	seen := func(seq uint64, h nats.Header) {
		t.seen(seq, h)
		next = seq + 1
	}
	for next <= t.rep.LastSeq {
		err := readHeaders(ctx, js, stream, next, t.rep.LastSeq, seen)
		if err == nil {
			break
		}
		// A read that stalls (seen once in 25 rounds against a loaded
		// cluster: no message within 10s) goes on from where it stopped,
		// with a new consumer; every message is still counted once.
		if t.rep.Resumed++; t.rep.Resumed >= readAttempts || ctx.Err() != nil {
			return nil, err
		}
	}
	return t, nil
}

// readAttempts is how many times the check reads the stream before it
// gives up.
const readAttempts = 3

// readHeaders calls seen with every message of stream from fromSeq to
// lastSeq, headers only. It is bounded: every message must come within 10s,
// and the read ends at lastSeq (or earlier, when the tail was deleted).
func readHeaders(ctx context.Context, js jetstream.JetStream, stream string, fromSeq, lastSeq uint64, seen func(seq uint64, h nats.Header)) error {
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   fromSeq,
		HeadersOnly:   true,
	})
	if err != nil {
		return fmt.Errorf("check: consumer on %s: %w", stream, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(2000))
	if err != nil {
		return fmt.Errorf("check: reading %s: %w", stream, err)
	}
	defer it.Stop()
	for read := 0; ctx.Err() == nil; read++ {
		m, err := it.Next(jetstream.NextMaxWait(10 * time.Second))
		if err != nil {
			return fmt.Errorf("check: reading %s after %d messages: %w", stream, read, err)
		}
		md, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("check: %w", err)
		}
		seen(md.Sequence.Stream, m.Headers())
		if md.Sequence.Stream >= lastSeq || md.NumPending == 0 {
			return nil
		}
	}
	return fmt.Errorf("check: %w", ctx.Err())
}

// tally counts, per delivery of the run, how often the stream holds it.
type tally struct {
	rep     *checkReport
	runID   string
	index   map[string]int32 // Nats-Msg-Id -> the delivery's place over all sets
	counts  []int32
	unknown []string // examples, listed after the deliveries'
}

func newTally(stream string, fromSeq uint64, runID string, sets []checkSet) *tally {
	total := 0
	for _, s := range sets {
		total += len(s.ds)
	}
	t := &tally{
		rep:   &checkReport{Stream: stream, FromSeq: fromSeq},
		runID: runID, index: make(map[string]int32, total), counts: make([]int32, total),
	}
	g := int32(0)
	for _, s := range sets {
		for i := range s.ds {
			t.index[s.ds[i].msgID] = g
			g++
		}
	}
	return t
}

// seen counts one stored message.
func (t *tally) seen(seq uint64, h nats.Header) {
	t.rep.Read++
	id := h.Get(jetstream.MsgIDHeader)
	if i, ok := t.index[id]; ok {
		t.counts[i]++
		return
	}
	if t.runID != "" && (strings.Contains(id, t.runID) || strings.Contains(h.Get("ce-id"), t.runID)) {
		t.rep.Unknown++
		if len(t.unknown) < 3 {
			t.unknown = append(t.unknown, fmt.Sprintf("seq %d: Nats-Msg-Id %q is not one of this run's deliveries", seq, id))
		}
		return
	}
	t.rep.Foreign++
}

// judge holds every delivery's count against what its sender was told.
func (t *tally) judge(sets []checkSet) {
	rep, g := t.rep, 0
	for _, s := range sets {
		for i := range s.ds {
			c, st := t.counts[g], s.states[i]
			g++
			switch {
			case c > 1:
				rep.Duplicated++
				rep.example(fmt.Sprintf("%s stored %d times", s.ds[i].msgID, c))
			case st.answered && c == 0:
				rep.Lost++
				rep.example(fmt.Sprintf("%s answered %d but not stored", s.ds[i].msgID, st.first))
			case c == 1 && !st.sent:
				rep.NeverSent++
				rep.example(fmt.Sprintf("%s stored but never sent by this run", s.ds[i].msgID))
			case c == 1 && !st.answered:
				rep.LostAck++
			}
			if st.answered {
				rep.Answered++
				if c == 1 {
					rep.Once++
				}
			}
		}
	}
	rep.Examples = append(rep.Examples, t.unknown...)
}

// judgeByCount holds the stored messages against the deliveries started
// and the number answered 2xx (see checkReport.ByCount).
func (t *tally) judgeByCount(sets []checkSet, ok uint64) {
	rep, g := t.rep, 0
	rep.ByCount, rep.OK = true, ok
	for _, s := range sets {
		for i := range s.ds {
			c, st := t.counts[g], s.states[i]
			g++
			rep.Stored += uint64(c)
			if st.sent {
				rep.Sent++
			}
			switch {
			case c > 1:
				rep.Duplicated++
				rep.example(fmt.Sprintf("%s stored %d times", s.ds[i].msgID, c))
			case c == 1 && !st.sent:
				rep.NeverSent++
				rep.example(fmt.Sprintf("%s stored but never started by wrk", s.ds[i].msgID))
			}
		}
	}
	once := min(rep.Stored, ok)
	rep.Answered, rep.Once = int(ok), int(once)
	rep.Lost, rep.LostAck = int(ok-once), int(rep.Stored-once)
	if rep.Stored > rep.Sent {
		rep.example(fmt.Sprintf("%d stored, more than the %d started", rep.Stored, rep.Sent))
	}
	rep.Examples = append(rep.Examples, t.unknown...)
}

// add sums o's verdict counts into r, as the bench's summary over rounds
// does.
func (r *checkReport) add(o *checkReport) {
	r.Answered += o.Answered
	r.Once += o.Once
	r.Lost += o.Lost
	r.Duplicated += o.Duplicated
	r.LostAck += o.LostAck
	r.NeverSent += o.NeverSent
	r.Unknown += o.Unknown
	r.ByCount = r.ByCount || o.ByCount
	r.OK += o.OK
	r.Stored += o.Stored
	r.Sent += o.Sent
}

func (r *checkReport) example(s string) {
	if len(r.Examples) < 5 {
		r.Examples = append(r.Examples, s)
	}
}

// errCheckFailed is returned when the stream does not match the answers.
var errCheckFailed = errors.New("stream check failed")
