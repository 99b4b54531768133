package main

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// benchRowFor is one round of a variant: 1000 requests at rate, with
// latencies of scale × 1..100 ms.
func benchRowFor(key string, round int, rate, scale float64, procs ...procFigures) *benchRow {
	v := variants[slices.IndexFunc(variants, func(v variant) bool { return v.key == key })]
	r := &benchRow{v: v, round: round, rate: rate, requests: 1000, procs: procs}
	for i := 1; i <= 100; i++ {
		r.lat.record(time.Duration(float64(i) * scale * float64(time.Millisecond)))
	}
	return r
}

// threeRounds is a bench of three interleaved rounds in which b's second
// round and every round of d-sync failed, c lost a delivery in its second
// round and stored a stray one in its third, and d got lost acks.
func threeRounds() *benchRun {
	b := &benchRun{f: benchFlags{rounds: 3, duration: 5 * time.Second, warmup: 2 * time.Second}}
	const ms, mib = time.Millisecond, 1 << 20
	plain := []procFigures{{label: "plain-server", cpu: 30 * ms, hwm: 10 * mib}, {label: "hookload", cpu: 15 * ms}}
	external := []procFigures{{label: "nats-server", cpu: 40 * ms, hwm: 30 * mib}, {label: "hookbridge", cpu: 60 * ms, hwm: 50 * mib}, {label: "hookload", cpu: 20 * ms}}
	embedded := func(hwm uint64) []procFigures {
		return []procFigures{{label: "hookbridge", cpu: 80 * ms, hwm: hwm}, {label: "hookload", cpu: 20 * ms}}
	}
	rates := map[string][3]float64{"a": {1000, 3000, 2000}, "b": {4000, 0, 5200}, "c": {900, 1000, 1300}, "d": {800, 900, 1000}}
	for round := 1; round <= 3; round++ {
		i := round - 1
		b.rows = append(b.rows, benchRowFor("a", round, rates["a"][i], 1, plain...))
		if round == 2 {
			b.rows = append(b.rows, &benchRow{v: variants[1], round: round, err: errors.New("nats-server exited")})
		} else {
			raw := benchRowFor("b", round, rates["b"][i], 0.5, procFigures{label: "nats-server"}, procFigures{label: "hookload"})
			raw.stored = "2000 messages stored (warm-up included)"
			b.rows = append(b.rows, raw)
		}
		c := benchRowFor("c", round, rates["c"][i], 1.5, external...)
		c.check = &checkReport{Answered: 100, Once: 100}
		switch round {
		case 2:
			c.check = &checkReport{Answered: 100, Once: 99, Lost: 1}
		case 3:
			c.check = &checkReport{Answered: 100, Once: 100, Unknown: 1}
		}
		d := benchRowFor("d", round, rates["d"][i], 1.2, embedded(map[bool]uint64{true: 150 * mib, false: 90 * mib}[round == 2])...)
		d.check = &checkReport{Answered: 100, Once: 100, LostAck: 1}
		b.rows = append(b.rows, c, d, &benchRow{v: variants[6], round: round, err: errors.New("hookbridge exited\nsee its log")})
		// The fsync variants compare with each other.
		b.rows = append(b.rows, benchRowFor("b-sync", round, 2000, 1, procFigures{label: "nats-server"}, procFigures{label: "hookload"}),
			benchRowFor("c-sync", round, 600, 2))
	}
	return b
}

// TestSummaryTable: the figures the summary prints per variant, over
// rounds: the median rate and its range, ratios taken within a round, the
// latency quantiles of every round's requests, CPU per request, peak RSS,
// and the stream checks summed.
func TestSummaryTable(t *testing.T) {
	b := threeRounds()
	head, rows := b.summaryTable(b.summaries())
	if head[1] != "req/s (median; range)" {
		t.Errorf("head %q", head)
	}
	want := [][]string{
		{"a plain net/http", "2000 (1000–3000)", "1.00", "", "50ms", "90ms", "99ms", "1.00", "100ms",
			"30.0µs", "", "15.0µs", "10.0 MiB", "", ""},
		// b's ratio to plain is over the rounds it measured: 4000/1000, 5200/2000.
		{"b raw JetStream publish", "4600 (4000–5200) (1 round(s) failed)", "3.30", "", "25ms", "45ms", "49.5ms", "", "50ms",
			"", "0.0µs", "0.0µs", "", "", "2000 messages stored (warm-up included)"},
		// × plain is the median of 0.9, 0.33, 0.65, not 1000/2000.
		{"c hookbridge + external nats-server", "1000 (900–1300)", "0.65", "0.24", "75ms", "135ms", "149ms", "1.50", "150ms",
			"60.0µs", "40.0µs", "20.0µs", "50.0 MiB", "30.0 MiB", "FAIL: 299 stored once, lost 1, duplicated 0"},
		{"d hookbridge, embedded nats", "900 (800–1000)", "0.50", "0.20", "60ms", "108ms", "119ms", "1.20", "120ms",
			"80.0µs", "(in hookbridge)", "20.0µs", "150.0 MiB", "", "300 stored once, lost 0, duplicated 0, lost acks 3"},
		{"d-sync hookbridge, embedded nats, fsync", "error: hookbridge exited see its log"},
		{"b-sync raw JetStream publish, fsync", "2000 (2000–2000)", "1.00", "", "50ms", "90ms", "99ms", "", "100ms",
			"", "0.0µs", "0.0µs", "", "", ""},
		// c-sync's × raw JS is against b-sync: 600/2000.
		{"c-sync hookbridge + external nats-server, fsync", "600 (600–600)", "0.30", "0.30", "100ms", "180ms", "198ms", "2.00", "200ms",
			"", "", "", "", "", ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %q", len(rows), len(want), rows)
	}
	for i := range want {
		if !slices.Equal(rows[i], want[i]) {
			t.Errorf("row %d\n got %q\nwant %q", i, rows[i], want[i])
		}
	}
}

// TestTargets: each of the targets against the figures, met or not.
func TestTargets(t *testing.T) {
	b := threeRounds()
	got := b.targets(b.summaries())
	want := [][]string{
		{"hookbridge external ≥ 0.55× plain", "0.65× (1000 vs 2000 req/s)", "yes"},
		{"embedded ≥ external", "0.89× (900 vs 1000 req/s)", "no"},
		{"c: p99 ≤ 2× plain p99", "1.50× (149ms vs 99ms)", "yes"},
		{"d: p99 ≤ 2× plain p99", "1.20× (119ms vs 99ms)", "yes"},
		{"c: hookbridge peak RSS < 100.0 MiB", "50.0 MiB", "yes"},
		{"d: hookbridge peak RSS < 100.0 MiB", "150.0 MiB", "no"},
		{"zero lost / duplicated", "lost 1, duplicated 1 of 600 answered 200 (lost acks, allowed: 3); failed: c", "no"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d targets, want %d: %q", len(got), len(want), got)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("target %d\n got %q\nwant %q", i, got[i], want[i])
		}
	}

	// Without a plain or an external run, the rate targets are not measured.
	b.rows = slices.DeleteFunc(b.rows, func(r *benchRow) bool { return r.v.key == "a" })
	got = b.targets(b.summaries())
	if !slices.Equal(got[0], []string{"hookbridge external ≥ 0.55× plain", "", "not measured"}) {
		t.Errorf("no plain run: %q", got[0])
	}
}

// TestSummaryPrinted: the text and markdown summaries hold the table and
// the targets; the bench fails for every round that failed.
func TestSummaryPrinted(t *testing.T) {
	b := threeRounds()
	var text, md bytes.Buffer
	b.printSummary(&text)
	b.printMarkdown(&md)
	// The text columns are aligned: each row's second cell starts where
	// the head's does.
	lines := strings.Split(text.String(), "\n")
	column := func(line, cell string) int { return utf8.RuneCountInString(line[:strings.Index(line, cell)]) }
	if lines[0] != "summary (ratios are within this run)" || !strings.HasPrefix(lines[1], "variant ") ||
		column(lines[1], "req/s") != column(lines[4], "1000 (900–1300)") || column(lines[4], "1000 (900–1300)") != column(lines[8], "600 (600–600)") {
		t.Errorf("text summary not aligned:\n%s", text.String())
	}
	i := slices.Index(lines, "targets")
	if i < 0 || column(lines[i+1], "measured") != column(lines[i+8], "lost 1, duplicated 1 of 600") || !strings.HasSuffix(lines[i+8], "failed: c  no") {
		t.Errorf("text targets:\n%s", text.String())
	}
	for _, want := range []string{
		"| variant | req/s (median; range) | × plain |",
		"\n| c hookbridge + external nats-server | 1000 (900–1300) | 0.65 | 0.24 | 75ms |",
		"\n| d-sync hookbridge, embedded nats, fsync | error: hookbridge exited see its log |  |",
		"\n| embedded ≥ external | 0.89× (900 vs 1000 req/s) | no |",
		"Each variant ran 3 times, interleaved",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown summary lacks %q:\n%s", want, md.String())
		}
	}

	b.rows[0].unexpected = 3
	err := b.failures()
	for _, want := range []string{"a: 3 requests not answered as expected", "b: nats-server exited", "c: " + errCheckFailed.Error(), "d-sync: hookbridge exited"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("failures %v lack %q", err, want)
		}
	}
	if !errors.Is(err, errCheckFailed) {
		t.Errorf("failures %v: not errCheckFailed", err)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.xs); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}
