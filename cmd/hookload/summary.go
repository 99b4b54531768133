package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// variantSummary is one variant over every round of a bench run.
type variantSummary struct {
	v        variant
	rounds   []*benchRow // the rounds that measured, in order
	errs     []error
	rate     float64   // median of the rounds
	lat      histogram // every round's latencies
	requests uint64
	procs    []procFigures // CPU summed, peak RSS the highest
	check    *checkReport  // summed; nil when not checked
	stored   string
}

// labelled reports whether a process labelled got is one of label's: label
// itself, or a part of it ("nats-server n1" of "nats-server", a cluster).
func labelled(got, label string) bool {
	return got == label || strings.HasPrefix(got, label+" ")
}

// cpuPerReq is the CPU per request of label's processes, summed.
func (s *variantSummary) cpuPerReq(label string) (float64, bool) {
	var cpu time.Duration
	found := false
	for _, p := range s.procs {
		if labelled(p.label, label) {
			cpu, found = cpu+p.cpu, true
		}
	}
	if !found || s.requests == 0 {
		return 0, false
	}
	return float64(cpu) / float64(s.requests), true
}

// hwm is the highest peak RSS of label's processes.
func (s *variantSummary) hwm(label string) (uint64, bool) {
	var peak uint64
	found := false
	for _, p := range s.procs {
		if labelled(p.label, label) {
			peak, found = max(peak, p.hwm), true
		}
	}
	return peak, found
}

// summaries folds the rows into one summary per variant, in bench order.
func (b *benchRun) summaries() []*variantSummary {
	var out []*variantSummary
	byKey := map[string]*variantSummary{}
	for _, r := range b.rows {
		s := byKey[r.v.key]
		if s == nil {
			s = &variantSummary{v: r.v}
			byKey[r.v.key] = s
			out = append(out, s)
		}
		if r.err != nil {
			s.errs = append(s.errs, r.err)
			continue
		}
		s.rounds = append(s.rounds, r)
		s.lat.merge(&r.lat)
		s.requests += r.requests
		for _, p := range r.procs {
			i := slices.IndexFunc(s.procs, func(q procFigures) bool { return q.label == p.label })
			if i < 0 {
				s.procs = append(s.procs, procFigures{label: p.label})
				i = len(s.procs) - 1
			}
			s.procs[i].cpu += p.cpu
			s.procs[i].hwm = max(s.procs[i].hwm, p.hwm)
		}
		if r.check != nil {
			if s.check == nil {
				s.check = &checkReport{}
			}
			s.check.add(r.check)
		}
		s.stored = r.stored
	}
	for _, s := range out {
		var rates []float64
		for _, r := range s.rounds {
			rates = append(rates, r.rate)
		}
		s.rate = median(rates)
	}
	return out
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	xs = slices.Clone(xs)
	slices.Sort(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}

// rateRatio is the median over rounds of s's rate divided by base's rate in
// the same round: a ratio of two figures taken minutes apart on a shared
// machine is less noisy than a ratio of medians.
func rateRatio(s, base *variantSummary) (float64, bool) {
	if s == nil || base == nil {
		return 0, false
	}
	baseRate := map[int]float64{}
	for _, r := range base.rounds {
		baseRate[r.round] = r.rate
	}
	var ratios []float64
	for _, r := range s.rounds {
		if br := baseRate[r.round]; br > 0 {
			ratios = append(ratios, r.rate/br)
		}
	}
	if len(ratios) == 0 {
		return 0, false
	}
	return median(ratios), true
}

func find(ss []*variantSummary, key string) *variantSummary {
	for _, s := range ss {
		if s.v.key == key && len(s.rounds) > 0 {
			return s
		}
	}
	return nil
}

func isBridge(v variant) bool { return v.kind == kindExternal || v.kind == kindEmbedded }

// summaryTable is the bench's figures as rows of cells, rendered as text or
// markdown.
func (b *benchRun) summaryTable(ss []*variantSummary) (head []string, rows [][]string) {
	head = []string{"variant", "req/s", "× plain", "× raw JS", "p50", "p90", "p99", "p99 × plain", "max",
		"CPU/req server", "CPU/req nats-server", "CPU/req " + b.loadLabel(), "peak RSS server", "peak RSS nats-server", "stream"}
	if b.f.rounds > 1 {
		head[1] = "req/s (median; range)"
	}
	for _, s := range ss {
		if len(s.rounds) == 0 {
			rows = append(rows, []string{s.v.key + " " + s.v.name, "error: " + oneLine(s.errs[0].Error())})
			continue
		}
		rows = append(rows, summaryRow(s, ss, b.loadLabel()))
	}
	return head, rows
}

// summaryRow is one variant's cells: ratios against plain net/http, and a
// hookbridge's against raw JetStream with the same fsync.
func summaryRow(s *variantSummary, ss []*variantSummary, loader string) []string {
	plain := find(ss, "a")
	cells := []string{s.v.key + " " + s.v.name, rateCell(s), ratioCell(rateRatio(s, plain))}
	raw := find(ss, "b")
	if s.v.sync {
		raw = find(ss, "b-sync")
	}
	if isBridge(s.v) || s.v.kind == kindBenthos {
		cells = append(cells, ratioCell(rateRatio(s, raw)))
	} else {
		cells = append(cells, "")
	}
	p99 := s.lat.quantile(0.99)
	cells = append(cells, fmtDur(s.lat.quantile(0.5)), fmtDur(s.lat.quantile(0.9)), fmtDur(p99))
	if s.v.kind == kindRaw || plain == nil {
		cells = append(cells, "") // publish-to-PubAck is not a request: no ratio
	} else {
		cells = append(cells, fmt.Sprintf("%.2f", float64(p99)/float64(plain.lat.quantile(0.99))))
	}
	cells = append(cells, fmtDur(s.lat.maxValue()))
	server := "plain-server"
	switch {
	case isBridge(s.v):
		server = "hookbridge"
	case s.v.kind == kindBenthos:
		server = "benthos"
	}
	cells = append(cells, cpuCell(s, server), cpuCell(s, "nats-server"), cpuCell(s, loader))
	cells = append(cells, rssCell(s, server), rssCell(s, "nats-server"))
	if s.check == nil {
		return append(cells, s.stored)
	}
	return append(cells, checkCell(s.check))
}

// rateCell is the median rate and, over rounds, their range and failures.
func rateCell(s *variantSummary) string {
	rate := fmt.Sprintf("%.0f", s.rate)
	if len(s.rounds) > 1 {
		lo, hi := s.rounds[0].rate, s.rounds[0].rate
		for _, r := range s.rounds {
			lo, hi = min(lo, r.rate), max(hi, r.rate)
		}
		rate += fmt.Sprintf(" (%.0f–%.0f)", lo, hi)
	}
	if len(s.errs) > 0 {
		rate += fmt.Sprintf(" (%d round(s) failed)", len(s.errs))
	}
	return rate
}

func checkCell(c *checkReport) string {
	if c.ByCount {
		s := fmt.Sprintf("by id and count: %d stored, none twice, all of started ids; ≥ %d answered 2xx, ≤ %d started", c.Stored, c.OK, c.Sent)
		if !c.ok() {
			s = fmt.Sprintf("FAIL: by id and count: %d stored for %d answered 2xx of %d started; stored twice %d, never started %d, unknown %d",
				c.Stored, c.OK, c.Sent, c.Duplicated, c.NeverSent, c.Unknown)
		}
		return s
	}
	s := fmt.Sprintf("%d stored once, lost %d, duplicated %d", c.Once, c.Lost, c.Duplicated)
	if c.LostAck > 0 {
		s += fmt.Sprintf(", lost acks %d", c.LostAck)
	}
	if !c.ok() {
		s = "FAIL: " + s
	}
	return s
}

func ratioCell(x float64, ok bool) string {
	if !ok {
		return ""
	}
	return fmt.Sprintf("%.2f", x)
}

func cpuCell(s *variantSummary, label string) string {
	if per, ok := s.cpuPerReq(label); ok {
		return fmtNs(per)
	}
	if label == "nats-server" && s.v.kind == kindEmbedded {
		return "(in hookbridge)"
	}
	return ""
}

// cpuAgainst is label's CPU per request in s and its ratio to base's, the
// variant s repeats with one thing changed ("" when either is unknown).
func cpuAgainst(s, base *variantSummary, label string) (cell, ratio string) {
	per, ok := s.cpuPerReq(label)
	if !ok || per == 0 {
		return cpuCell(s, label), ""
	}
	if base == nil {
		return cpuCell(s, label), ""
	}
	if b, ok := base.cpuPerReq(label); ok && b > 0 {
		ratio = fmt.Sprintf("%.2f", per/b)
	}
	return cpuCell(s, label), ratio
}

func rssCell(s *variantSummary, label string) string {
	if h, ok := s.hwm(label); ok && h > 0 {
		return fmtMiB(h)
	}
	return ""
}

// printSideTable prints a table beside the summary: as markdown with its
// note below, or as text under its title; nothing without rows.
func printSideTable(w io.Writer, markdown bool, title string, head []string, rows [][]string, note string) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w)
	if markdown {
		printMarkdownTable(w, head, rows)
		fmt.Fprintln(w, "\n"+note)
		return
	}
	fmt.Fprintln(w, title)
	printAligned(w, head, rows)
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

func (b *benchRun) printSummary(w io.Writer) {
	ss := b.summaries()
	head, rows := b.summaryTable(ss)
	fmt.Fprintln(w, "summary (ratios are within this run)")
	printAligned(w, head, rows)
	printNormaliser(w, ss, false)
	printTracing(w, ss, false)
	printConsole(w, ss, false)
	printCluster(w, ss, false)
	printBenthos(w, ss, false)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "targets")
	printAligned(w, []string{"target", "measured", "met"}, b.targets(ss))
}

func (b *benchRun) printMarkdown(w io.Writer) {
	ss := b.summaries()
	for _, l := range b.info {
		fmt.Fprintf(w, "- %s\n", l)
	}
	fmt.Fprintf(w, "- load average after: %s\n\n", loadAvg())
	head, rows := b.summaryTable(ss)
	printMarkdownTable(w, head, rows)
	printNormaliser(w, ss, true)
	printTracing(w, ss, true)
	printConsole(w, ss, true)
	printCluster(w, ss, true)
	printBenthos(w, ss, true)
	fmt.Fprintln(w)
	printMarkdownTable(w, []string{"target", "measured", "met"}, b.targets(ss))
	rounds := ""
	if b.f.rounds > 1 {
		rounds = fmt.Sprintf(" Each variant ran %d times, interleaved; req/s is the median, × plain the median of the ratios within a round, the latencies are over all rounds.", b.f.rounds)
	}
	fmt.Fprintf(w, "\nCPU/req is user+system CPU time of each process over the measured window divided by the requests (or PubAcks) in it; %s measured per variant after a %s warm-up.%s\n",
		b.f.duration, b.f.warmup, rounds)
	if b.f.load == "wrk" {
		fmt.Fprintln(w, "\n"+wrkNote)
	}
}
