package integration

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/natstest"
)

// TestScaleOutChaos: the scale-out shape of docker-compose.yml's cluster
// profile (three NATS nodes, the stream at replicas 3, two bridges, Caddy in
// front) under a steady load of several platform senders going through
// Caddy, each retrying a delivery with the same delivery id until it gets a
// 200. Under that load, in turn:
//
//  1. one bridge is killed (SIGKILL): deliveries keep being stored through
//     the other; the killed one is started again;
//  2. each NATS node is restarted in turn (a rolling restart), the next only
//     once every node is healthy and both followers of the stream are
//     current again;
//  3. the stream leader is killed (SIGKILL), and started again.
//
// Then every delivery got a 200 in the end, the stream holds each exactly
// once (by Nats-Msg-Id and ce-id), and every 200 names the sequence that
// holds it. Per phase, the longest run of answers other than 200 (and how
// long no 200 came) is logged, with the counts.
func TestScaleOutChaos(t *testing.T) {
	RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	nw := NewNetwork(ctx, t)
	nodes := StartCluster(ctx, t, nw, "n1", "n2", "n3")
	cfg := BridgeConfig{NATSURL: InternalURLs(nodes), Replicas: 3, PublishTimeout: 2 * time.Second}
	bridges := make([]*Bridge, 2)
	for i := range bridges {
		c := cfg
		c.Name = fmt.Sprintf("bridge-%d", i+1)
		bridges[i] = StartBridge(ctx, t, nw, c)
	}
	lb := StartCaddy(ctx, t, nw, bridges...)
	_, js := Connect(t, nodes...)
	waitStreamCurrent(ctx, t, js, nodes, time.Minute)

	// Platform-like load: each sender starts a delivery every 25ms and
	// retries it (100ms, 200ms, ... 1s apart) until it gets a 200.
	const senders, interval = 3, 25 * time.Millisecond
	stop := make(chan struct{})
	platforms := make([]*Platform, senders)
	done := make(chan []Result, senders)
	for i := range platforms {
		platforms[i] = NewSourcePlatform(t, lb.WebhookURL, Shop)
		go func() { done <- platforms[i].RunUntil(ctx, stop, fmt.Sprintf("scale-%d", i), interval) }()
	}
	stopped := false
	defer func() {
		if !stopped {
			close(stop)
		}
	}()
	// progress waits until n POSTs sent from now on got their 200: the
	// set stores new deliveries, not only answers those already in flight.
	progress := func(n int, what string) {
		t.Helper()
		since := time.Now()
		natstest.Eventually(t, 90*time.Second, fmt.Sprintf("%d deliveries stored %s", n, what), func() bool {
			ok := 0
			for _, p := range platforms {
				for _, a := range p.Attempts() {
					if a.OK() && a.Start.After(since) {
						ok++
					}
				}
			}
			return ok >= n
		})
	}

	var phases []phase
	mark := func(name string) { phases = append(phases, phase{name: name, from: time.Now()}) }
	mark("steady load")
	progress(100, "under steady load")

	mark(bridgeKilled)
	bridges[0].Kill(ctx, t)
	progress(200, "through bridge-2 after bridge-1 was killed")
	bridges[0].Start(ctx, t, time.Minute)
	progress(50, "after bridge-1 came back")

	for _, n := range nodes {
		mark("rolling restart: " + n.Name)
		n.Stop(ctx, t, 10*time.Second)
		progress(50, "while "+n.Name+" is down")
		n.Start(ctx, t)
		waitStreamCurrent(ctx, t, js, nodes, time.Minute)
		progress(50, "after "+n.Name+" came back")
	}

	leader := byName(t, nodes, streamLeader(ctx, t, js))
	mark("stream leader " + leader.Name + " killed")
	leader.Kill(ctx, t)
	progress(100, "after the stream leader was killed")
	mark(leader.Name + " started again")
	leader.Start(ctx, t)
	waitStreamCurrent(ctx, t, js, nodes, time.Minute)
	progress(50, "after "+leader.Name+" came back")

	close(stop)
	stopped = true
	var results []Result
	for range platforms {
		select {
		case r := <-done:
			results = append(results, r...)
		case <-ctx.Done():
			t.Fatal("the senders did not finish their deliveries")
		}
	}
	end := time.Now()

	tally := CheckDelivered(t, ReadStream(ctx, t, js, Stream), results)
	t.Logf("%s", tally)
	var attempts []Attempt
	for _, p := range platforms {
		attempts = append(attempts, p.Attempts()...)
	}
	gaps := Gaps(attempts)
	for i, ph := range phases {
		to := end
		if i+1 < len(phases) {
			to = phases[i+1].from
		}
		tally := tallyPhase(attempts, gaps, ph.from, to)
		t.Logf("%-28s %s", ph.name+":", tally)
		// What the second bridge is for: Caddy sends a delivery whose bridge
		// died (refused, unreachable, or cut off mid-request) to the other.
		if ph.name == bridgeKilled && tally.NotOK > 0 {
			t.Errorf("%d answers other than 2xx while one bridge was down; Caddy should have sent them to the other", tally.NotOK)
		}
	}
}

const bridgeKilled = "bridge-1 killed"

// phase is a stretch of the chaos sequence, from one fault to the next.
type phase struct {
	name string
	from time.Time
}

// phaseTally is what the senders saw of one phase: the attempts answered in
// it, those that were not 2xx by kind, and its longest stretches without a
// 2xx (see tallyPhase for which phase a stretch belongs to).
type phaseTally struct {
	Length   time.Duration
	Attempts int
	NotOK    int
	Kinds    map[string]int // "503" from a bridge, "503 (caddy)" from Caddy itself, "no answer"
	// NoOK is the longest time with no 2xx answer at all, failed answers
	// or not: a delivery Caddy holds while it retries is no failure, but
	// no 200 either.
	NoOK time.Duration
	// Outage is the longest stretch without a 2xx in which answers other
	// than 2xx came; HasOutage says there is one.
	Outage    Outage
	HasOutage bool
}

// tallyPhase sums up the attempts answered in [from, to), and the gaps
// between 2xx answers that belong to the phase: a gap with failures belongs
// where its first failure came; one without, where it began.
func tallyPhase(attempts []Attempt, gaps []Outage, from, to time.Time) phaseTally {
	p := phaseTally{Length: to.Sub(from), Kinds: map[string]int{}}
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	for _, a := range attempts {
		if !in(a.End) {
			continue
		}
		p.Attempts++
		switch {
		case a.OK():
			continue
		case a.Status == 0:
			p.Kinds["no answer"]++
		case a.Err != nil: // not the bridge's JSON: Caddy answered itself
			p.Kinds[fmt.Sprintf("%d (caddy)", a.Status)]++
		default:
			p.Kinds[fmt.Sprint(a.Status)]++
		}
		p.NotOK++
	}
	for _, g := range gaps {
		at := g.From
		if g.Failures > 0 {
			at = g.First
		}
		if !in(at) {
			continue
		}
		p.NoOK = max(p.NoOK, g.Length())
		if g.Failures > 0 && (!p.HasOutage || g.Length() > p.Outage.Length()) {
			p.Outage, p.HasOutage = g, true
		}
	}
	return p
}

func (p phaseTally) String() string {
	s := fmt.Sprintf("%5.1fs, %4d attempts, %4d not 2xx", p.Length.Seconds(), p.Attempts, p.NotOK)
	if p.NotOK > 0 {
		var kinds []string
		for _, k := range slices.Sorted(maps.Keys(p.Kinds)) {
			kinds = append(kinds, fmt.Sprintf("%s: %d", k, p.Kinds[k]))
		}
		s += " (" + strings.Join(kinds, ", ") + ")"
	}
	s += fmt.Sprintf("; longest time without a 200: %s", p.NoOK.Round(time.Millisecond))
	if p.HasOutage {
		s += fmt.Sprintf("; longest run of answers other than 200: %d over %s", p.Outage.Failures, p.Outage.Length().Round(time.Millisecond))
	}
	return s
}

// waitStreamCurrent waits up to d until every node's /healthz answers 200
// and the stream has a leader and two followers, both current.
func waitStreamCurrent(ctx context.Context, t testing.TB, js jetstream.JetStream, nodes []*NATS, d time.Duration) {
	t.Helper()
	natstest.Eventually(t, d, "every node healthy and stream "+Stream+" current on all three", func() bool {
		for _, n := range nodes {
			if !n.Healthy() {
				return false
			}
		}
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		s, err := js.Stream(ctx, Stream)
		if err != nil {
			return false
		}
		c := s.CachedInfo().Cluster
		if c == nil || c.Leader == "" || len(c.Replicas) != len(nodes)-1 {
			return false
		}
		for _, p := range c.Replicas {
			if !p.Current || p.Offline {
				return false
			}
		}
		return true
	})
}
