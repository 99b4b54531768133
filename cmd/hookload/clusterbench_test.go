package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPrintCluster: the cluster table sets the cluster beside the single
// server it repeats; the nodes' CPU is summed over every round, the
// leader's over the rounds it led throughout, and the follower the bridge
// was on is counted apart from the others.
func TestPrintCluster(t *testing.T) {
	all := append(slices.Clone(variants), optInVariants...)
	c := all[slices.IndexFunc(all, func(v variant) bool { return v.key == "c" })]
	r3 := all[slices.IndexFunc(all, func(v variant) bool { return v.key == "c-r3" })]
	const ms, mib = time.Millisecond, 1 << 20
	node := func(name string, cpu time.Duration) procFigures {
		return procFigures{label: nodeLabel(name), cpu: cpu * ms, hwm: 50 * mib}
	}
	b := &benchRun{f: benchFlags{rounds: 3}}
	for i, r := range []struct {
		rate       float64
		leader, on string
		n1, n2, n3 time.Duration
	}{
		{rate: 600, leader: "n2", on: "n1", n1: 50, n2: 60, n3: 30},
		{rate: 700, leader: "n1", on: "n1", n1: 70, n2: 30, n3: 30},
		{rate: 650, leader: "", on: "n3", n1: 40, n2: 40, n3: 40}, // the leadership moved
	} {
		round := i + 1
		single := &benchRow{v: c, round: round, rate: 1000, requests: 1000,
			procs: []procFigures{{label: "nats-server", cpu: 30 * ms}, {label: "hookbridge", cpu: 80 * ms}}}
		single.lat.record(10 * ms)
		cluster := &benchRow{v: r3, round: round, rate: r.rate, requests: 1000,
			procs:   []procFigures{node("n1", r.n1), node("n2", r.n2), node("n3", r.n3), {label: "hookbridge", cpu: 88 * ms}},
			cluster: &clusterRound{Leader: r.leader, BridgeOn: r.on}}
		cluster.procs[1].hwm = 70 * mib
		cluster.lat.record(20 * ms)
		b.rows = append(b.rows, single, cluster)
	}
	var out bytes.Buffer
	printCluster(&out, b.summaries(), true)
	for _, want := range []string{
		"| c hookbridge + external nats-server | 1000 |  | 10ms | 80.0µs |  | 30.0µs |  | 30.0µs | every round |  |  | 12500 | 33333 |",
		// nodes (140+130+120)/3000; leader (60+70)/2000; the bridge's follower
		// n1 in round 1; the other followers n3, then n2 and n3.
		"| c-r3 c on a 3-node cluster, stream at replicas 3 | 650 | 0.65 | 20ms | 88.0µs | 1.10 | 130.0µs | 4.33 | 65.0µs | 1 of 2 | 50.0µs | 30.0µs | 11364 | 15385 |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table:\n%s\nwant a row %q", out.String(), want)
		}
	}
	_, rows := b.summaryTable(b.summaries())
	if got := rows[1]; got[10] != "130.0µs" || got[13] != "70.0 MiB" {
		t.Errorf("summary row %q: want the nodes' CPU summed and the highest peak RSS", got)
	}
	out.Reset()
	printCluster(&out, b.summaries()[:1], false)
	if out.Len() != 0 {
		t.Errorf("a run without a cluster variant printed %q", out.String())
	}
}
