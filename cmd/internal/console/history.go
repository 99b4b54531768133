package console

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// deliveriesMetric is the bridge's counter of deliveries by source, provider and outcome
// (bridge/metrics.go).
const deliveriesMetric = "hookbridge_deliveries_total"

// key is one series the console follows: the provider label is the source's own, so it adds
// nothing.
type key struct{ source, outcome string }

// counts are the delivery counters at one moment.
type counts map[key]float64

// gather reads the delivery counters from g.
func gather(g prometheus.Gatherer) (counts, error) {
	families, err := g.Gather()
	if err != nil {
		return nil, fmt.Errorf("gathering metrics: %w", err)
	}
	out := counts{}
	for _, f := range families {
		if f.GetName() != deliveriesMetric {
			continue
		}
		for _, m := range f.GetMetric() {
			var k key
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "source":
					k.source = l.GetValue()
				case "outcome":
					k.outcome = l.GetValue()
				}
			}
			out[k] += m.GetCounter().GetValue()
		}
	}
	return out, nil
}

// byOutcome sums c over sources.
func (c counts) byOutcome() map[string]float64 {
	out := map[string]float64{}
	for k, v := range c {
		out[k.outcome] += v
	}
	return out
}

// snapshot is the counters at a moment.
type snapshot struct {
	at     time.Time
	counts counts
}

// history keeps snapshots of the counters over a span (the last hour), oldest first, so that
// deliveries per minute can be told from counters that only grow. Safe for concurrent use.
type history struct {
	mu    sync.Mutex
	span  time.Duration
	snaps []snapshot
}

func newHistory(span time.Duration) *history { return &history{span: span} }

// add records the counters c at at. One snapshot older than the span is kept, as the base the
// span's first minute is measured from.
func (h *history) add(at time.Time, c counts) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.snaps = append(h.snaps, snapshot{at: at, counts: c})
	cut := at.Add(-h.span)
	for len(h.snaps) > 2 && !h.snaps[1].at.After(cut) {
		h.snaps = h.snaps[1:]
	}
}

// point is deliveries per minute by outcome over the interval from from to at.
type point struct {
	from, at  time.Time
	perMinute map[string]float64
}

// series returns deliveries per minute by outcome, summed over sources, between successive
// snapshots and from the last one to cur at now.
func (h *history) series(now time.Time, cur counts) []point {
	h.mu.Lock()
	snaps := append(slices.Clone(h.snaps), snapshot{at: now, counts: cur})
	h.mu.Unlock()
	var out []point
	for i := 1; i < len(snaps); i++ {
		a, b := snaps[i-1], snaps[i]
		if !b.at.After(a.at) {
			continue
		}
		// The minute under way counts what it has so far: a few seconds are not
		// stretched into a rate.
		minutes := max(b.at.Sub(a.at).Minutes(), 1)
		p := point{from: a.at, at: b.at, perMinute: map[string]float64{}}
		before := a.counts.byOutcome()
		for outcome, v := range b.counts.byOutcome() {
			p.perMinute[outcome] = (v - before[outcome]) / minutes
		}
		out = append(out, p)
	}
	return out
}

// rate returns the deliveries per minute of each series over the last minute or so: from the
// newest snapshot at least a minute old (else the oldest, and then what arrived since, over
// less than a minute) to cur at now. ok is false when no snapshot is older than now.
func (h *history) rate(now time.Time, cur counts) (perMinute counts, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var base *snapshot
	for i := range h.snaps {
		s := &h.snaps[i]
		if !s.at.Before(now) {
			break
		}
		if base == nil || !s.at.After(now.Add(-time.Minute)) {
			base = s
		}
	}
	if base == nil {
		return nil, false
	}
	// Under a minute of history: what arrived so far, not stretched into a rate.
	minutes := max(now.Sub(base.at).Minutes(), 1)
	out := counts{}
	for k, v := range cur {
		out[k] = (v - base.counts[k]) / minutes
	}
	return out, true
}

// outcomeOrder puts the outcomes an operator looks for first ahead of the rest, which follow
// by name.
var outcomeOrder = []string{"published", "duplicate", "unauthorized"}

// outcomes returns the outcomes to show: the usual three, then any other that c holds.
func outcomes(c counts) []string {
	out := slices.Clone(outcomeOrder)
	for k := range c {
		if !slices.Contains(out, k.outcome) {
			out = append(out, k.outcome)
		}
	}
	rank := func(o string) int {
		if i := slices.Index(outcomeOrder, o); i >= 0 {
			return i
		}
		return len(outcomeOrder)
	}
	slices.SortStableFunc(out, func(a, b string) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b))
	})
	return out
}
