package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/natstest"
)

// TestClusterFault: the bridge publishes to an R3 stream on a three-node
// cluster while a platform sends 300 deliveries at a steady pace, and one
// node is killed (SIGKILL) mid-stream:
//
//   - the stream leader, while the bridge is connected to another node;
//   - the node the bridge is connected to, while the leader is another;
//   - the node the bridge is connected to, which is also the leader.
//
// Every delivery gets its 200 in the end through the platform's retries;
// the stream holds each exactly once; no 200 is given for a message that is
// not stored. The longest span without a 200 is logged.
func TestClusterFault(t *testing.T) {
	RequireDocker(t)
	t.Run("stream_leader", func(t *testing.T) { clusterFault(t, true, false) })
	t.Run("bridge_server", func(t *testing.T) { clusterFault(t, false, false) })
	t.Run("bridge_server_is_leader", func(t *testing.T) { clusterFault(t, false, true) })
}

// clusterFault kills the stream leader (killLeader) or else the bridge's
// server, with the leader on the bridge's server (bridgeLeader) or not.
func clusterFault(t *testing.T, killLeader, bridgeLeader bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	nw := NewNetwork(ctx, t)
	nodes := StartCluster(ctx, t, nw, "n1", "n2", "n3")
	bridge := StartBridge(ctx, t, nw, BridgeConfig{
		NATSURL: InternalURLs(nodes), Replicas: 3, PublishTimeout: time.Second,
	})
	nc, js := Connect(t, nodes...)

	// Put the leader where the case wants it, relative to the bridge.
	on := bridgeServer(t, nodes...)
	want := on.Name
	if !bridgeLeader {
		want = otherThan(nodes, on).Name
	}
	if leader := streamLeader(ctx, t, js); bridgeLeader != (leader == on.Name) {
		moveLeader(ctx, t, nc, js, want)
	}
	leader := streamLeader(ctx, t, js)
	victim := on
	if killLeader {
		victim = byName(t, nodes, leader)
	}

	platform := NewPlatform(t, bridge)
	done := make(chan []Result, 1)
	go func() { done <- platform.Run(ctx, deliveryIDs("cluster", 300), 25*time.Millisecond) }()
	natstest.Eventually(t, time.Minute, "75 deliveries stored before the kill", func() bool {
		return platform.Delivered() >= 75
	})
	if now := streamLeader(ctx, t, js); now != leader {
		t.Fatalf("the stream leader moved from %s to %s on its own before the kill", leader, now)
	}
	if now := bridgeServer(t, nodes...); now != on {
		t.Fatalf("the bridge moved from %s to %s on its own before the kill", on.Name, now.Name)
	}
	victim.Kill(ctx, t)
	killed := time.Now()
	t.Logf("killed %s after %d deliveries were stored (bridge on %s, stream leader %s)",
		victim.Name, platform.Delivered(), on.Name, leader)

	var results []Result
	select {
	case results = <-done:
	case <-ctx.Done():
		t.Fatal("the platform did not finish")
	}
	survivors := slices.DeleteFunc(slices.Clone(nodes), func(n *NATS) bool { return n == victim })
	natstest.Eventually(t, 30*time.Second, "/readyz 200 after the kill", func() bool { return bridge.Ready() == 200 })

	_, js2 := Connect(t, survivors...)
	tally := CheckDelivered(t, ReadStream(ctx, t, js2, Stream), results)
	t.Logf("%s", tally)
	t.Logf("afterwards: bridge on %s, stream leader %s", bridgeServer(t, survivors...).Name, streamLeader(ctx, t, js2))
	attempts := platform.Attempts()
	if o, ok := LongestOutage(attempts); ok {
		t.Logf("longest window without a 200: %s (%d refused answers in it), from %+.3fs to %+.3fs relative to the kill",
			o.Length().Round(time.Millisecond), o.Failures, o.From.Sub(killed).Seconds(), o.To.Sub(killed).Seconds())
	} else {
		t.Logf("no answer other than 200 at all")
	}
	if first, ok := FirstOKSentAfter(attempts, killed); ok {
		t.Logf("first 200 for a POST sent after the kill: %s after it", first.Sub(killed).Round(time.Millisecond))
	}
}

// bridgeServer returns the node hookbridge is connected to, from /connz.
func bridgeServer(t testing.TB, nodes ...*NATS) *NATS {
	t.Helper()
	var found *NATS
	natstest.Eventually(t, 30*time.Second, "exactly one node with hookbridge's connection", func() bool {
		found = nil
		for _, n := range nodes {
			names, err := n.ClientNames()
			if err != nil {
				return false
			}
			if slices.Contains(names, "hookbridge") {
				if found != nil {
					return false
				}
				found = n
			}
		}
		return found != nil
	})
	return found
}

// streamLeader returns the server name of the stream's leader, once it has one.
func streamLeader(ctx context.Context, t testing.TB, js jetstream.JetStream) string {
	t.Helper()
	var leader string
	natstest.Eventually(t, 30*time.Second, "a leader of stream "+Stream, func() bool {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		s, err := js.Stream(ctx, Stream)
		if err != nil {
			return false
		}
		if ci := s.CachedInfo().Cluster; ci != nil {
			leader = ci.Leader
		}
		return leader != ""
	})
	return leader
}

// moveLeader asks the stream's leader to step down in favour of server to,
// and waits until it has.
func moveLeader(ctx context.Context, t testing.TB, nc *nats.Conn, js jetstream.JetStream, to string) {
	t.Helper()
	req := fmt.Sprintf(`{"placement":{"preferred":%q}}`, to)
	for try := 1; ; try++ {
		reqCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		msg, err := nc.RequestWithContext(reqCtx, "$JS.API.STREAM.LEADER.STEPDOWN."+Stream, []byte(req))
		cancel()
		if err == nil && !strings.Contains(string(msg.Data), `"success":true`) {
			err = fmt.Errorf("%s", msg.Data)
		}
		if err != nil && try == 3 {
			t.Fatalf("moving the leader of %s to %s: %v", Stream, to, err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if streamLeader(ctx, t, js) == to {
				return
			}
			time.Sleep(50 * time.Millisecond) // poll interval
		}
		if try == 3 {
			t.Fatalf("the leader of %s is not %s after 3 step-downs", Stream, to)
		}
	}
}

func otherThan(nodes []*NATS, not *NATS) *NATS {
	for _, n := range nodes {
		if n != not {
			return n
		}
	}
	return nil
}

func byName(t testing.TB, nodes []*NATS, name string) *NATS {
	t.Helper()
	for _, n := range nodes {
		if n.Name == name {
			return n
		}
	}
	t.Fatalf("no node called %q", name)
	return nil
}
