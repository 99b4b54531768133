package powerloss

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/integration"
	"github.com/hookbridge/hookbridge/internal/lazyfs"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// TestPowerLossEmbeddedSyncAlways: hookbridge with its embedded server and
// sync_always: true loses power under load. Every delivery it answered 200
// is in the stream after the restart, exactly once, and the stream takes
// deliveries again.
func TestPowerLossEmbeddedSyncAlways(t *testing.T) {
	powerCutEmbedded(t, true).requireNothingLost(t, "embedded, sync_always: true")
}

// TestPowerLossEmbeddedDefault: the same with the embedded server as
// shipped (sync_always: false, JetStream's lazy fsync). Acknowledged
// deliveries may be lost; the test reports how many. It asserts only that
// the power really was cut (unsynced bytes dropped) and that the bridge and
// its stream work again after it.
func TestPowerLossEmbeddedDefault(t *testing.T) {
	powerCutEmbedded(t, false).reportLoss(t, "embedded, default (lazy fsync)")
}

// TestPowerLossCluster: three nats-servers with sync_interval: always, each
// on its own lazy disk, an R3 stream, the bridge external; all three lose
// power at once under load. Every delivery answered 200 is in the stream
// after the restart, exactly once, and the stream takes deliveries again.
func TestPowerLossCluster(t *testing.T) {
	powerCutCluster(t, true).requireNothingLost(t, "R3 cluster, sync_interval: always")
}

// TestPowerLossClusterDefault: the same cluster with JetStream's default
// lazy fsync. Replication covers the loss of one machine, not a power cut
// of all three at once; the test reports how many acknowledged deliveries
// are lost, or that the stream did not come back, and asserts only that
// the power really was cut.
func TestPowerLossClusterDefault(t *testing.T) {
	powerCutCluster(t, false).reportLoss(t, "R3 cluster, default (lazy fsync)")
}

// cutResult is what one power-cut run saw.
type cutResult struct {
	disks disks
	cut   lazyfs.CutReport
	tally tally
	// unavailable, when set, says that the stream did not take deliveries
	// again after the restart: the tally then counts every delivery
	// answered 200 as missing, as none can be read.
	unavailable string
}

// requireNothingLost asserts the contract through a power cut of servers
// that fsync before they acknowledge: every delivery answered 200 is
// stored exactly once.
func (r cutResult) requireNothingLost(t *testing.T, what string) {
	t.Helper()
	r.disks.requireWrites(t, true)
	t.Logf("RESULT %s: %s", what, r.tally)
	if r.unavailable != "" || r.tally.lost != 0 || r.tally.duplicated != 0 {
		t.Errorf("%s: %s %s", what, r.tally, r.unavailable)
	}
}

// reportLoss reports what a power cut took, asserting only that it was
// one: the servers wrote to their lazy disks and the cut dropped unsynced
// bytes.
func (r cutResult) reportLoss(t *testing.T, what string) {
	t.Helper()
	r.disks.requireWrites(t, false)
	if r.cut.Bytes == 0 {
		t.Errorf("the cut dropped no unsynced bytes: it did not test a power loss")
	}
	if r.unavailable != "" {
		t.Logf("RESULT %s: the stream is unavailable after the power cut: %s; none of the %d deliveries answered 200 before the cut can be read",
			what, r.unavailable, r.tally.answeredBeforeCut)
		return
	}
	t.Logf("RESULT %s: %d of %d deliveries answered 200 before the power cut are lost (%s)",
		what, r.tally.lostBeforeCut, r.tally.answeredBeforeCut, r.tally)
}

// powerCutCluster runs three nats-servers, each on its own lazy disk, and
// hookbridge on them with an R3 stream, under load; cuts the power of all
// three at once; starts them again on their stores; and checks the stream
// against what the platform was answered. The bridge, which stores
// nothing, stays up and answers 503 meanwhile.
func powerCutCluster(t *testing.T, syncAlways bool) cutResult {
	t.Helper()
	ds := disks{lazyfs.MountTest(t), lazyfs.MountTest(t), lazyfs.MountTest(t)}
	nats := binary(t, "nats-server")
	// Per node: client, cluster and monitoring addresses; then the bridge's.
	addrs := natstest.FreeAddrs(t, 3*3+2)
	var routes, urls []string
	for i := range ds {
		routes = append(routes, fmt.Sprintf("nats://%s", addrs[3*i+1]))
		urls = append(urls, "nats://"+addrs[3*i])
	}
	sync := ""
	if syncAlways {
		sync = "\n  sync_interval: always"
	}
	nodes := make([]*proc, len(ds))
	for i, d := range ds {
		conf := writeFile(t, fmt.Sprintf("n%d.conf", i+1), fmt.Sprintf(`server_name: n%d
listen: %q
http: %q
jetstream {
  store_dir: %q%s
}
cluster {
  name: C1
  listen: %q
  routes: [%s]
}
`, i+1, addrs[3*i], addrs[3*i+2], filepath.Join(d.Mountpoint(), "jetstream"), sync, addrs[3*i+1], strings.Join(routes, ", ")))
		nodes[i] = newProc(t, fmt.Sprintf("nats-n%d", i+1), nats, "-c", conf)
		nodes[i].start(t)
	}
	waitHealthy := func() {
		for i, n := range nodes {
			n.waitReady(t, natstest.Within(10*time.Second), "/healthz 200", func() bool {
				return httpStatus("http://"+addrs[3*i+2]+"/healthz") == 200
			})
		}
	}
	waitHealthy()

	hook, admin := addrs[9], addrs[10]
	cfg := writeFile(t, "hookbridge.yaml", bridgeConfig(hook, admin, strings.Join(urls, ","), "", "", false, 3))
	b := startBridge(t, cfg, hook, admin)
	l := startLoad(t, b.webhookURL(), fmt.Sprintf("cluster-sync-%t", syncAlways), conns)
	runLoad(t, l)

	cutAt := time.Now()
	for _, n := range nodes { // all three at once
		n.signalKill()
	}
	for _, n := range nodes {
		n.kill(t)
	}
	cut := ds.cut(t)
	for _, n := range nodes {
		n.start(t)
	}
	waitHealthy()
	restarted := time.Now()
	if !syncAlways && !l.okWithin(restarted, minAfter, natstest.Patience) {
		// Reported, not asserted: the stream may not come back by itself.
		last := l.lastAttempts(1)
		results := l.abort()
		for _, n := range nodes {
			logRestart(t, n)
		}
		tl := count(results, nil, cutAt)
		return cutResult{disks: ds, cut: cut, tally: tl,
			unavailable: fmt.Sprintf("no delivery answered 200 within %s of the restart (last: %s)", natstest.Patience, strings.Join(last, ""))}
	}
	b.waitReady(t)
	waitOK(t, l, restarted, minAfter, "after the restart")
	results := l.finish(t, natstest.Patience)
	for _, n := range nodes {
		logRestart(t, n)
	}

	tl := count(results, stored(t, urls...), cutAt)
	return cutResult{disks: ds, cut: cut, tally: tl}
}

// powerCutEmbedded runs hookbridge with its embedded server, its store on a
// lazy disk, under load; cuts the power; starts it again on the same store;
// and checks the stream against what the platform was answered.
func powerCutEmbedded(t *testing.T, syncAlways bool) cutResult {
	t.Helper()
	ds := disks{lazyfs.MountTest(t)}
	addrs := natstest.FreeAddrs(t, 3)
	hook, admin, natsAddr := addrs[0], addrs[1], addrs[2]
	cfg := writeFile(t, "hookbridge.yaml",
		bridgeConfig(hook, admin, "", natsAddr, filepath.Join(ds[0].Mountpoint(), "jetstream"), syncAlways, 1))
	b := startBridge(t, cfg, hook, admin)
	l := startLoad(t, b.webhookURL(), fmt.Sprintf("embedded-sync-%t", syncAlways), conns)
	runLoad(t, l)

	cutAt := time.Now()
	b.kill(t)
	cut := ds.cut(t)
	b.start(t)
	restarted := time.Now()
	b.waitReady(t)
	waitOK(t, l, restarted, minAfter, "after the restart")
	results := l.finish(t, natstest.Patience)

	logRestart(t, b.proc)

	tl := count(results, stored(t, "nats://"+natsAddr), cutAt)
	return cutResult{disks: ds, cut: cut, tally: tl}
}

// stored counts the copies of each delivery in the stream, by CloudEvent
// id (the platform's delivery id).
func stored(t *testing.T, urls ...string) map[string]int {
	t.Helper()
	nc, err := nats.Connect(strings.Join(urls, ","), nats.Name("powerloss-check"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return natstest.CountBy(t, js, integration.Stream, "ce-id")
}

// logRestart shows what p said, warnings and errors, when it started again
// on the store the cut left.
func logRestart(t *testing.T, p *proc) {
	if w := p.restartWarnings(10); len(w) > 0 {
		t.Logf("%s after the cut:\n  %s", p.name, strings.Join(w, "\n  "))
	}
}
