package main

import (
	"fmt"
	"strings"
)

// The targets, checked against the figures of one run.
const (
	targetExternalVsPlain = 0.55
	targetP99VsPlain      = 2.0
	targetPeakRSS         = 100 << 20
	// Against Benthos doing the same work (variant e): issue #15 part 2.
	targetExternalVsBenthos = 2.0
	targetEmbeddedVsBenthos = 2.5
)

// targetRows are the targets' rows: target, measured, met.
type targetRows [][]string

// add appends a target; a nil met means it was not measured.
func (t *targetRows) add(target, measured string, met *bool) {
	verdict := "not measured"
	if met != nil {
		verdict = "no"
		if *met {
			verdict = "yes"
		}
	}
	*t = append(*t, []string{target, measured, verdict})
}

// targets lists the targets against this run's figures.
func (b *benchRun) targets(ss []*variantSummary) [][]string {
	var out targetRows
	a, c, d := find(ss, "a"), find(ss, "c"), find(ss, "d")
	out.rateTargets(a, c, d)
	out.benthosTargets(c, d, find(ss, "e"))
	for _, s := range []*variantSummary{c, d} {
		if s == nil || a == nil {
			continue
		}
		x := float64(s.lat.quantile(0.99)) / float64(a.lat.quantile(0.99))
		met := x <= targetP99VsPlain
		out.add(fmt.Sprintf("%s: p99 ≤ %.0f× plain p99", s.v.key, targetP99VsPlain),
			fmt.Sprintf("%.2f× (%s vs %s)", x, fmtDur(s.lat.quantile(0.99)), fmtDur(a.lat.quantile(0.99))), &met)
	}
	for _, s := range ss {
		if h, ok := s.hwm("hookbridge"); ok {
			met := h < targetPeakRSS
			out.add(fmt.Sprintf("%s: hookbridge peak RSS < %s", s.v.key, fmtMiB(targetPeakRSS)), fmtMiB(h), &met)
		}
	}
	out.checkTarget(ss)
	return out
}

// rateTargets compares the rates within each round: external against
// plain (a, c), embedded against external (d, c).
func (t *targetRows) rateTargets(a, c, d *variantSummary) {
	t1 := fmt.Sprintf("hookbridge external ≥ %.2f× plain", targetExternalVsPlain)
	if x, ok := rateRatio(c, a); ok {
		met := x >= targetExternalVsPlain
		t.add(t1, fmt.Sprintf("%.2f× (%.0f vs %.0f req/s)", x, c.rate, a.rate), &met)
	} else {
		t.add(t1, "", nil)
	}
	if x, ok := rateRatio(d, c); ok {
		met := x >= 1
		t.add("embedded ≥ external", fmt.Sprintf("%.2f× (%.0f vs %.0f req/s)", x, d.rate, c.rate), &met)
	} else {
		t.add("embedded ≥ external", "", nil)
	}
}

// benthosTargets compares hookbridge, external and embedded, with Benthos
// doing the same work (e), within each round; nothing without e.
func (t *targetRows) benthosTargets(c, d, e *variantSummary) {
	if e == nil {
		return
	}
	for _, tg := range []struct {
		s    *variantSummary
		name string
		x    float64
	}{
		{c, "hookbridge external", targetExternalVsBenthos},
		{d, "embedded", targetEmbeddedVsBenthos},
	} {
		name := fmt.Sprintf("%s ≥ %g× Benthos doing the same work", tg.name, tg.x)
		if x, ok := rateRatio(tg.s, e); ok {
			met := x >= tg.x
			t.add(name, fmt.Sprintf("%.2f× (%.0f vs %.0f req/s)", x, tg.s.rate, e.rate), &met)
		} else {
			t.add(name, "", nil)
		}
	}
}

// checkTarget sums the stream checks of every variant: anything stored
// twice, never sent or unknown counts as duplicated.
func (t *targetRows) checkTarget(ss []*variantSummary) {
	var lost, dup, once, lostAck int
	var failed []string
	for _, s := range ss {
		if s.check != nil {
			once += s.check.Once
			lost += s.check.Lost
			dup += s.check.Duplicated + s.check.NeverSent + s.check.Unknown
			lostAck += s.check.LostAck
			if !s.check.ok() {
				failed = append(failed, s.v.key)
			}
		}
	}
	if once+lost == 0 {
		return
	}
	met := len(failed) == 0
	m := fmt.Sprintf("lost %d, duplicated %d of %d answered 200 (lost acks, allowed: %d)", lost, dup, once+lost, lostAck)
	if !met {
		m += "; failed: " + strings.Join(failed, ", ")
	}
	t.add("zero lost / duplicated", m, &met)
}
