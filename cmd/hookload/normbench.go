package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// keepUpLag is how far behind the bridge the normaliser may be at the end
// of the measured window and still have kept up: its backlog then must be
// less than this much of the bridge's deliveries.
const keepUpLag = time.Second

// drainLimit bounds the wait for the normaliser's backlog after the load.
const drainLimit = 2 * time.Minute

// normFigures is what the normaliser did in one round of the variant that
// runs it beside the bridge.
type normFigures struct {
	window     time.Duration // from the window's first to its last reading
	startCount uint64        // canonical events stored as the window began
	endCount   uint64        // and as it ended
	pendingBeg uint64        // raw events not yet normalised as it began
	pendingEnd uint64        // and as it ended
	drain      time.Duration // from the window's end to no raw event pending
	drained    bool          // false: still pending after drainLimit
	finalCount uint64        // canonical events stored once drained
	expected   uint64        // what the answered deliveries mean
	deliveries float64       // the bridge's deliveries/s in the window
}

// rate is the canonical events stored per second over the window.
func (f *normFigures) rate() float64 {
	if f.window <= 0 || f.endCount < f.startCount {
		return 0
	}
	return float64(f.endCount-f.startCount) / f.window.Seconds()
}

// rawRate is the raw events normalised per second over the window: the
// bridge's deliveries less the growth of the backlog.
func (f *normFigures) rawRate() float64 {
	if f.window <= 0 {
		return 0
	}
	return f.deliveries - (float64(f.pendingEnd)-float64(f.pendingBeg))/f.window.Seconds()
}

// keptUp says whether the normaliser kept up with the bridge: at the end
// of the window its backlog was under keepUpLag of the bridge's
// deliveries, and it then drained.
func (f *normFigures) keptUp() bool {
	return f.drained && float64(f.pendingEnd) <= f.deliveries*keepUpLag.Seconds()
}

// complete says whether COMMERCE holds exactly the canonical events the
// answered deliveries mean.
func (f *normFigures) complete() bool { return f.drained && f.finalCount == f.expected }

func (f *normFigures) String() string {
	verdict := "kept up"
	if !f.keptUp() {
		verdict = "did NOT keep up"
	}
	drain := fmt.Sprintf("drained in %s", f.drain.Round(time.Millisecond))
	if !f.drained {
		drain = fmt.Sprintf("not drained after %s", drainLimit)
	}
	return fmt.Sprintf("%s: %.0f raw events/s normalised into %.0f canonical events/s over the window beside %.0f deliveries/s; %d raw events pending at its end, %s; COMMERCE holds %d of %d expected",
		verdict, f.rawRate(), f.rate(), f.deliveries, f.pendingEnd, drain, f.finalCount, f.expected)
}

// normReading is the normaliser's state at one moment.
type normReading struct {
	at      time.Time
	stored  uint64 // messages in COMMERCE
	pending uint64 // raw events not yet delivered to it, or delivered and not acked
}

// readNormaliser reads the backlog of the normaliser's durable consumer on
// the raw stream, then COMMERCE's message count. In that order: the
// normaliser acks a raw event after its canonical events are stored, so a
// backlog of none read first means the count read next holds them all;
// read the other way round, the last events could be stored between the
// two reads and be missing from a count that is taken as final.
func readNormaliser(ctx context.Context, js jetstream.JetStream) (normReading, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	r := normReading{at: time.Now()}
	c, err := js.Consumer(ctx, bridge.DefaultStream, commerce.DefaultName)
	if err != nil {
		return r, fmt.Errorf("consumer %s on %s: %w", commerce.DefaultName, bridge.DefaultStream, err)
	}
	info := c.CachedInfo()
	r.pending = info.NumPending + uint64(info.NumAckPending)
	st, err := js.Stream(ctx, commerce.Stream)
	if err != nil {
		return r, fmt.Errorf("stream %s: %w", commerce.Stream, err)
	}
	r.stored = st.CachedInfo().State.Msgs
	return r, nil
}

// normWatch reads the normaliser around the measured window.
type normWatch struct {
	js         jetstream.JetStream
	start, end normReading
	err        error
}

// begin and end are the window's readings; they run in the measure's
// Before and After, so their cost is not the window's.
func (w *normWatch) begin(ctx context.Context) { w.start, w.err = readNormaliser(ctx, w.js) }

func (w *normWatch) finishWindow(ctx context.Context) {
	if w.err == nil {
		w.end, w.err = readNormaliser(ctx, w.js)
	}
}

// settle waits for the backlog to drain, polling, and returns the round's
// figures. expected is what the run's answered deliveries mean.
func (w *normWatch) settle(ctx context.Context, expected uint64, deliveries float64) (*normFigures, error) {
	if w.err != nil {
		return nil, w.err
	}
	f := &normFigures{
		window: w.end.at.Sub(w.start.at), startCount: w.start.stored, endCount: w.end.stored,
		pendingBeg: w.start.pending, pendingEnd: w.end.pending, expected: expected, deliveries: deliveries,
	}
	last := w.end
	for last.pending > 0 && time.Since(w.end.at) < drainLimit {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		r, err := readNormaliser(ctx, w.js)
		if err != nil {
			return nil, err
		}
		last = r
	}
	f.drained = last.pending == 0
	f.drain = last.at.Sub(w.end.at)
	f.finalCount = last.stored
	return f, nil
}

// canonicalPerDelivery is how many canonical events one delivery of each
// source of m means (0 for a platform the normaliser does not map), read by
// mapping a sample delivery of each as the bridge would store it.
func canonicalPerDelivery(m *mix, bodySize int) (map[string]int, error) {
	out := map[string]int{}
	now := time.Now()
	for _, s := range m.sources {
		d, err := m.build(s, "probe-"+s.name, bodySize, now)
		if err != nil {
			return nil, err
		}
		ev, err := s.provider.Extract(d.body, d.header)
		if err != nil {
			return nil, err
		}
		cs, err := commerce.Map(commerce.Raw{
			Provider: s.kind, Source: s.name, ID: ev.ID, Type: s.provider.CEType(ev.Type),
			EvSource: ev.Source, Subject: ev.Subject, Time: ev.Time, Data: d.body,
		})
		if err != nil {
			return nil, fmt.Errorf("source %q: the normaliser refuses the sample delivery: %w", s.name, err)
		}
		out[s.name] = len(cs)
	}
	return out, nil
}

// expectedCanonical is the canonical events the run's answered deliveries
// mean. A lost ack (stored, answered non-2xx) adds events beyond it; the
// check reports those.
func expectedCanonical(sets []checkSet, per map[string]int) uint64 {
	var n uint64
	for _, s := range sets {
		for i, d := range s.ds {
			if s.states[i].answered {
				n += uint64(per[strings.TrimPrefix(d.path, "/webhooks/")])
			}
		}
	}
	return n
}

// errNormaliserIncomplete is a round whose COMMERCE stream did not hold
// exactly the canonical events its answered deliveries mean.
var errNormaliserIncomplete = errors.New("COMMERCE does not hold the canonical events the deliveries mean")

// normCells is a normaliser variant's line of the summary: medians over
// its rounds, and verdicts over all of them.
func normCells(s *variantSummary) []string {
	var rates, raws, delivs, pend, drains []float64
	kept, complete := 0, 0
	for _, r := range s.rounds {
		f := r.norm
		if f == nil {
			continue
		}
		rates, delivs = append(rates, f.rate()), append(delivs, f.deliveries)
		raws = append(raws, f.rawRate())
		pend, drains = append(pend, float64(f.pendingEnd)), append(drains, float64(f.drain))
		if f.keptUp() {
			kept++
		}
		if f.complete() {
			complete++
		}
	}
	n := len(rates)
	return []string{s.v.key + " " + s.v.name, fmt.Sprintf("%.0f", median(delivs)),
		fmt.Sprintf("%.0f", median(raws)), fmt.Sprintf("%.0f", median(rates)),
		fmt.Sprintf("%.0f", median(pend)), fmtDur(time.Duration(median(drains))),
		fmt.Sprintf("%d of %d", kept, n), fmt.Sprintf("%d of %d", complete, n)}
}

// printNormaliser prints the normaliser's line for every variant that ran
// it, as text or markdown; nothing when none did.
func printNormaliser(w io.Writer, ss []*variantSummary, markdown bool) {
	head := []string{"variant", "deliveries/s", "raw events normalised/s", "canonical events/s", "pending at window end", "drain", "kept up", "COMMERCE complete"}
	var rows [][]string
	for _, s := range ss {
		if s.v.commerce && len(s.rounds) > 0 {
			rows = append(rows, normCells(s))
		}
	}
	printSideTable(w, markdown, "normaliser (medians over rounds)", head, rows,
		fmt.Sprintf("The normaliser: deliveries/s, raw events normalised/s (deliveries/s less the backlog's growth) and canonical events/s are medians over rounds within the same window; pending is raw events on %s not yet normalised (num_pending + ack pending of %q) as the window ended; drain is the time from then to none pending; kept up means that backlog was under %s of deliveries and drained; complete means %s then held exactly the canonical events the answered deliveries mean.",
			bridge.DefaultStream, commerce.DefaultName, keepUpLag, commerce.Stream))
}

// watchNormaliser wraps mc's window hooks to read the normaliser as the
// window begins and ends, through the check's connection.
func watchNormaliser(ctx context.Context, chk *streamCheck, mc *measureConfig) *normWatch {
	nw := &normWatch{js: chk.js}
	before, after := mc.Before, mc.After
	mc.Before = func() { before(); nw.begin(ctx) }
	mc.After = func() { after(); nw.finishWindow(ctx) }
	return nw
}

// settleNormaliser waits for the normaliser to drain after the window and
// sets the round's figures on row.
func (b *benchRun) settleNormaliser(ctx context.Context, row *benchRow, nw *normWatch, sets []checkSet) {
	f, err := nw.settle(ctx, expectedCanonical(sets, b.perDelivery), row.rate)
	if err != nil {
		row.err = fmt.Errorf("normaliser: %w", err)
		return
	}
	row.norm = f
	fmt.Fprintf(b.out, "commerce %s\n", f)
}
