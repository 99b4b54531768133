package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge"
)

// clusterSetting is how a cluster variant runs its external broker: nodes
// nats-servers on loopback forming one cluster, the stream replicated on
// every node, and the single-server variant it repeats. The bridge connects
// to any node; with onLeader, the stream's leadership is moved to the
// bridge's node before the warm-up, so that the leader also reads the
// publishes and answers the PubAcks, as a single server does.
type clusterSetting struct {
	base     string
	nodes    int
	onLeader bool
}

// nodeName is the server name of a cluster's i-th node.
func nodeName(i int) string { return fmt.Sprintf("n%d", i+1) }

// nodeLabel is how the meter labels a cluster node's process; every label
// of the broker starts with "nats-server", so that the broker's figures
// are its nodes' summed (see labelled).
func nodeLabel(node string) string { return "nats-server " + node }

// bridgeConnName is the name the bridge's NATS connection goes by
// (cmd/hookbridge sets it): how a node's /connz shows it.
const bridgeConnName = "hookbridge"

// clusterRound is what a cluster round learnt of its cluster.
type clusterRound struct {
	// Leader is the node that led the stream from before the warm-up to
	// after the window; empty when the leadership moved, with Moved
	// saying how.
	Leader, Moved string
	// BridgeOn is the node the bridge's connection was on after the
	// window; empty when no node's /connz showed it.
	BridgeOn string
	// Behind are the replicas that were not current after the window.
	Behind []string
}

// clusterWatch follows a cluster round's stream leader: noted once the
// bridge is ready (it creates the stream), and again after the window.
type clusterWatch struct {
	chk    *streamCheck // for its connection
	nodes  []nodePorts
	leader string
}

func (cw *clusterWatch) close() { cw.chk.close() }

// watchCluster checks that a cluster variant's stream is replicated on
// every node and notes its leader; nil for any other variant.
func (b *benchRun) watchCluster(ctx context.Context, v variant, p benchPorts) (*clusterWatch, error) {
	if v.cluster == nil {
		return nil, nil
	}
	chk, err := dialCheck(p.natsURL(), "hookload-cluster")
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	info, err := streamCluster(ctx, chk.js)
	if err == nil && info.Config.Replicas != v.cluster.nodes {
		err = fmt.Errorf("cluster: stream %s has %d replicas, want %d (one per node)", info.Config.Name, info.Config.Replicas, v.cluster.nodes)
	}
	if err != nil {
		chk.close()
		return nil, err
	}
	cw := &clusterWatch{chk: chk, nodes: p.nodes, leader: info.Cluster.Leader}
	fmt.Fprintf(b.out, "cluster  %d nodes; stream %s at replicas %d, led by %s\n", v.cluster.nodes, info.Config.Name, info.Config.Replicas, cw.leader)
	if v.cluster.onLeader {
		if err := b.leadFromBridge(ctx, cw); err != nil {
			chk.close()
			return nil, err
		}
	}
	return cw, nil
}

// leadFromBridge moves the stream's leadership to the node the bridge is
// connected to, if another node leads, and waits until that node leads. A
// step-down names the preferred node, but the election may still go
// elsewhere (a replica a little behind is passed over): it is asked again
// every stepDownEvery until the node leads or readyLimit passes.
func (b *benchRun) leadFromBridge(ctx context.Context, cw *clusterWatch) error {
	on, errs := bridgeNode(ctx, cw.nodes)
	if on == "" {
		return fmt.Errorf("cluster: the bridge's connection is on no node: %w", errors.Join(errs...))
	}
	if on == cw.leader {
		fmt.Fprintf(b.out, "cluster  the bridge is on the leader, %s\n", on)
		return nil
	}
	c, cancel := context.WithTimeout(ctx, b.f.readyLimit)
	defer cancel()
	var asked time.Time
	var last error
	for {
		info, err := streamCluster(c, cw.chk.js)
		switch {
		case err == nil && info.Cluster.Leader == on:
			fmt.Fprintf(b.out, "cluster  leader moved from %s to %s, the bridge's node\n", cw.leader, on)
			cw.leader = on
			return nil
		case err != nil:
			last = err
		case time.Since(asked) >= stepDownEvery:
			asked, last = time.Now(), stepDown(c, cw.chk.nc, on)
		}
		select {
		case <-c.Done():
			return fmt.Errorf("cluster: %s does not lead the stream within %s (last: %v)", on, b.f.readyLimit, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stepDownEvery is how long a step-down is given to elect the preferred
// node before it is asked again: a few election timeouts.
const stepDownEvery = 3 * time.Second

// stepDown asks the stream's leader to step down in favour of preferred.
func stepDown(ctx context.Context, nc *nats.Conn, preferred string) error {
	req, _ := json.Marshal(map[string]any{"placement": map[string]string{"preferred": preferred}})
	msg, err := nc.RequestWithContext(ctx, "$JS.API.STREAM.LEADER.STEPDOWN."+bridge.DefaultStream, req)
	if err != nil {
		return fmt.Errorf("step-down: %w", err)
	}
	var resp struct {
		Error *struct {
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return fmt.Errorf("step-down: %w", err)
	}
	if resp.Error != nil {
		return fmt.Errorf("step-down: %s", resp.Error.Description)
	}
	return nil
}

// bridgeNode is the node the bridge's connection is on, "" when no node's
// /connz shows it, and the errors of the nodes that could not be asked.
func bridgeNode(ctx context.Context, nodes []nodePorts) (string, []error) {
	on := ""
	var errs []error
	for i, n := range nodes {
		if found, err := hasConnection(ctx, n.monitor, bridgeConnName); err != nil {
			errs = append(errs, fmt.Errorf("%s /connz: %w", nodeName(i), err))
		} else if found {
			on = nodeName(i)
		}
	}
	return on, errs
}

// streamCluster is the bridge's stream's info, which must name a leader.
func streamCluster(ctx context.Context, js jetstream.JetStream) (*jetstream.StreamInfo, error) {
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := js.Stream(c, bridge.DefaultStream)
	if err != nil {
		return nil, fmt.Errorf("cluster: stream %s: %w", bridge.DefaultStream, err)
	}
	info := s.CachedInfo()
	if info.Cluster == nil || info.Cluster.Leader == "" {
		return nil, fmt.Errorf("cluster: stream %s has no leader", bridge.DefaultStream)
	}
	return info, nil
}

// settleCluster notes, after the window, who leads the stream, whether the
// replicas caught up, and which node the bridge is connected to.
func (b *benchRun) settleCluster(ctx context.Context, row *benchRow, cw *clusterWatch) {
	info, err := streamCluster(ctx, cw.chk.js)
	if err != nil {
		row.err = err
		return
	}
	cr := &clusterRound{Leader: info.Cluster.Leader}
	if cr.Leader != cw.leader {
		cr.Leader, cr.Moved = "", fmt.Sprintf("the stream's leader moved: %s before the warm-up, %s after the window", cw.leader, info.Cluster.Leader)
		row.notes = append(row.notes, cr.Moved+"; the leader's CPU is left out for this round")
	}
	for _, r := range info.Cluster.Replicas {
		if !r.Current || r.Offline {
			cr.Behind = append(cr.Behind, fmt.Sprintf("%s (lag %d)", r.Name, r.Lag))
		}
	}
	var errs []error
	cr.BridgeOn, errs = bridgeNode(ctx, cw.nodes)
	for _, err := range errs {
		row.notes = append(row.notes, err.Error())
	}
	row.cluster = cr
	fmt.Fprintf(b.out, "cluster  %s\n", cr)
}

func (cr *clusterRound) String() string {
	s := "stream leader " + cr.Leader + " through the round"
	if cr.Leader == "" {
		s = cr.Moved
	}
	if len(cr.Behind) > 0 {
		s += "; replicas not current: " + strings.Join(cr.Behind, ", ")
	} else {
		s += "; every replica current"
	}
	if cr.BridgeOn == "" {
		return s + "; the bridge's connection was on no node's /connz"
	}
	return s + "; the bridge connected to " + cr.BridgeOn
}

// hasConnection reports whether the node monitored at port has a client
// connection called name.
func hasConnection(ctx context.Context, port int, name string) (bool, error) {
	var connz struct {
		Conns []connInfo `json:"connections"`
	}
	if err := getJSON(ctx, fmt.Sprintf("http://127.0.0.1:%d/connz?limit=100000", port), &connz); err != nil {
		return false, err
	}
	return slices.ContainsFunc(connz.Conns, func(c connInfo) bool { return c.Name == name }), nil
}

// connInfo is the part of a /connz connection hasConnection reads.
type connInfo struct {
	Name string `json:"name"`
}

// clusterCPU is a cluster variant's broker CPU per delivery over its
// rounds, by each node's role. Where a client connects matters: the node a
// client is on reads its publishes and answers its PubAcks, and forwards
// to the stream's leader when it does not lead, so a follower the bridge
// is on is counted apart from the other followers.
type clusterCPU struct {
	nodes   cpuShare // every node's, summed
	leader  cpuShare // the stream leader's, rounds it held through
	entry   cpuShare // the follower the bridge was on, rounds it was on a follower
	replica cpuShare // each other follower's
	// bridgeOnLeader and leaderRounds: in how many of the rounds counted
	// for the leader the bridge was on it.
	bridgeOnLeader, leaderRounds int
}

// cpuShare is CPU over deliveries, summed over the processes and rounds it
// covers.
type cpuShare struct {
	cpu        time.Duration
	deliveries uint64
}

func (c *cpuShare) add(cpu time.Duration, deliveries uint64) {
	c.cpu, c.deliveries = c.cpu+cpu, c.deliveries+deliveries
}

// perDelivery is the share in nanoseconds per delivery, and whether it
// covers any.
func (c cpuShare) perDelivery() (float64, bool) {
	if c.deliveries == 0 {
		return 0, false
	}
	return float64(c.cpu) / float64(c.deliveries), true
}

func clusterFigures(s *variantSummary) clusterCPU {
	var c clusterCPU
	for _, r := range s.rounds {
		if r.cluster == nil {
			continue
		}
		var all time.Duration
		for _, p := range r.procs {
			if labelled(p.label, "nats-server") {
				all += p.cpu
			}
		}
		c.nodes.add(all, r.requests)
		leader, on := r.cluster.Leader, r.cluster.BridgeOn
		if leader == "" {
			continue
		}
		c.leaderRounds++
		if on == leader {
			c.bridgeOnLeader++
		}
		for _, p := range r.procs {
			switch {
			case !labelled(p.label, "nats-server"):
			case p.label == nodeLabel(leader):
				c.leader.add(p.cpu, r.requests)
			case on == "":
				// A follower, but which one the bridge was on is not known.
			case p.label == nodeLabel(on):
				c.entry.add(p.cpu, r.requests)
			default:
				c.replica.add(p.cpu, r.requests)
			}
		}
	}
	return c
}

// printCluster sets each cluster variant beside the single-server variant
// it repeats, with what one core of the bridge and of one stream's leader
// would carry at the CPU per delivery measured.
func printCluster(w io.Writer, ss []*variantSummary, markdown bool) {
	head := []string{"variant", "req/s (median)", "× single server", "p99", "CPU/delivery hookbridge", "× single",
		"CPU/delivery nats-servers (all nodes)", "× single", "stream leader", "rounds the bridge was on the leader",
		"the follower the bridge was on", "each other follower", "deliveries/s per hookbridge core", "deliveries/s per stream (leader's core)"}
	var rows [][]string
	done := map[string]bool{}
	for _, s := range ss {
		if s.v.cluster == nil || len(s.rounds) == 0 {
			continue
		}
		base := find(ss, s.v.cluster.base)
		if base != nil && !done[base.v.key] {
			done[base.v.key] = true
			rows = append(rows, singleServerCells(base))
		}
		rows = append(rows, clusterCells(s, base))
	}
	printSideTable(w, markdown, "a cluster against a single server (ratios within this run)", head, rows,
		"A cluster against a single server: each cluster variant runs its nats-servers on this machine's loopback as one cluster, the stream replicated on every node, and gives hookbridge every node's URL (it connects to one, at random). The nats-servers' CPU is every node's summed; the stream leader's is the node that led the stream from before the warm-up to after the window (a round in which the leadership moved counts only in the sum); the follower the bridge was on reads its publishes and forwards them to the leader, and is counted apart from the other followers. A single server leads its stream and has the bridge's connection. Deliveries/s per core is one second of CPU divided by the CPU per delivery: what one core would carry, had the process that core to itself.")
}

func singleServerCells(s *variantSummary) []string {
	return []string{s.v.key + " " + s.v.name, fmt.Sprintf("%.0f", s.rate), "", fmtDur(s.lat.quantile(0.99)),
		cpuCell(s, "hookbridge"), "", cpuCell(s, "nats-server"), "", cpuCell(s, "nats-server"), "every round", "", "",
		perCore(s.cpuPerReq("hookbridge")), perCore(s.cpuPerReq("nats-server"))}
}

func clusterCells(s, base *variantSummary) []string {
	hbCPU, hbRatio := cpuAgainst(s, base, "hookbridge")
	nsCPU, nsRatio := cpuAgainst(s, base, "nats-server")
	c := clusterFigures(s)
	onLeader := ""
	if c.leaderRounds > 0 {
		onLeader = fmt.Sprintf("%d of %d", c.bridgeOnLeader, c.leaderRounds)
	}
	return []string{s.v.key + " " + s.v.name, fmt.Sprintf("%.0f", s.rate), ratioCell(rateRatio(s, base)),
		fmtDur(s.lat.quantile(0.99)), hbCPU, hbRatio, nsCPU, nsRatio, shareCell(c.leader), onLeader,
		shareCell(c.entry), shareCell(c.replica), perCore(s.cpuPerReq("hookbridge")), perCore(c.leader.perDelivery())}
}

func shareCell(c cpuShare) string {
	if ns, ok := c.perDelivery(); ok {
		return fmtNs(ns)
	}
	return ""
}

// fmtNs prints a CPU time per delivery given in nanoseconds, as cpuCell
// does.
func fmtNs(ns float64) string { return fmt.Sprintf("%.1fµs", ns/1e3) }

// perCore is how many deliveries one second of CPU covers at ns per
// delivery, when known.
func perCore(ns float64, ok bool) string {
	if !ok || ns <= 0 {
		return ""
	}
	return fmt.Sprintf("%.0f", 1e9/ns)
}
