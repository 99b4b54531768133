package powerloss

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/integration"
	"github.com/hookbridge/hookbridge/internal/lazyfs"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// binaries are built once per test binary, from this module.
var (
	binDir   string
	binOnce  = map[string]*sync.Once{"hookbridge": {}, "nats-server": {}}
	binPaths sync.Map // name -> path or error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "powerloss-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binary builds the named program (hookbridge or nats-server) from this
// module on first use and returns its path.
func binary(t testing.TB, name string) string {
	t.Helper()
	pkg := map[string]string{
		"hookbridge":  "github.com/hookbridge/hookbridge/cmd/hookbridge",
		"nats-server": "github.com/nats-io/nats-server/v2", // the version go.mod pins
	}[name]
	binOnce[name].Do(func() {
		out := filepath.Join(binDir, name)
		cmd := exec.Command("go", "build", "-o", out, pkg)
		if b, err := cmd.CombinedOutput(); err != nil {
			binPaths.Store(name, fmt.Errorf("go build %s: %v\n%s", pkg, err, b))
			return
		}
		binPaths.Store(name, out)
	})
	v, _ := binPaths.Load(name)
	if err, ok := v.(error); ok {
		t.Fatal(err)
	}
	return v.(string)
}

// proc is a server process of a test: it can be killed and started again
// with the same arguments. Its output goes to a log file outside the lazy
// disk, shown when the test fails.
type proc struct {
	name, bin string
	args      []string
	log       string

	cmd  *exec.Cmd
	done chan struct{}
}

func newProc(t *testing.T, name, bin string, args ...string) *proc {
	p := &proc{name: name, bin: bin, args: args, log: filepath.Join(t.TempDir(), name+".log")}
	t.Cleanup(func() {
		p.kill(t)
		if t.Failed() {
			b, _ := os.ReadFile(p.log)
			if len(b) > 8<<10 {
				b = b[len(b)-8<<10:]
			}
			t.Logf("%s log (%s), the end:\n%s", p.name, p.log, b)
		}
	})
	return p
}

// start starts the process; it must not be running.
func (p *proc) start(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "=== start %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = f, f
	// Its own process group, and killed with the test binary.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("starting %s: %v", p.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); f.Close(); close(done) }()
	p.cmd, p.done = cmd, done
}

// restartWarnings returns the warnings and errors the process logged since
// its last start, at most max of them: what a server said of the store it
// found after a cut.
func (p *proc) restartWarnings(max int) []string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return []string{err.Error()}
	}
	runs := strings.Split(string(b), "=== start ")
	var out []string
	for line := range strings.SplitSeq(runs[len(runs)-1], "\n") {
		l := strings.ToLower(line)
		if strings.Contains(l, "healthcheck failed") || strings.Contains(l, "error trying to connect to route") {
			continue // a cluster's start-up, cut or not
		}
		if strings.Contains(l, "[wrn]") || strings.Contains(l, "[err]") || strings.Contains(l, `"level":"warn"`) || strings.Contains(l, `"level":"error"`) {
			if len(out) == max {
				out = append(out, "…")
				break
			}
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signalKill sends SIGKILL without waiting.
func (p *proc) signalKill() {
	if p.cmd != nil && !p.exited() {
		_ = p.cmd.Process.Kill()
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (p *proc) kill(t testing.TB) {
	t.Helper()
	if p.cmd == nil {
		return
	}
	p.signalKill()
	select {
	case <-p.done:
	case <-time.After(natstest.Patience):
		t.Fatalf("%s (pid %d) still runs %s after SIGKILL", p.name, p.cmd.Process.Pid, natstest.Patience)
	}
}

// waitReady polls ready until it holds, failing the test when the process
// exits first or d passes.
func (p *proc) waitReady(t *testing.T, d time.Duration, what string, ready func() bool) {
	t.Helper()
	natstest.Eventually(t, d, p.name+": "+what, func() bool {
		if p.exited() {
			t.Fatalf("%s exited before %s; its log is %s", p.name, what, p.log)
		}
		return ready()
	})
}

var probe = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func httpStatus(url string) int {
	resp, err := probe.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// writeFile writes a config file outside the lazy disk.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// shop is the bridge's one source.
var shop = integration.Source{Name: "shop", Kind: "shopify", Secret: "powerloss-shopify-secret"}

// bridgeConfig is hookbridge's config: natsURL empty means the embedded
// server at natsAddr with its store in storeDir.
func bridgeConfig(hook, admin, natsURL, natsAddr, storeDir string, syncAlways bool, replicas int) string {
	embedded := ""
	if natsURL == "" {
		embedded = fmt.Sprintf("  embedded: {listen: %q, store_dir: %q, sync_always: %t}\n", natsAddr, storeDir, syncAlways)
	}
	return fmt.Sprintf(`log: {level: warn, format: json}
http: {listen: %q}
admin: {listen: %q}
nats:
  url: %q
%s  replicas: %d
  duplicate_window: 1h
  publish_timeout: 2s
sources:
  - {name: %s, provider: %s, secrets: [%q]}
`, hook, admin, natsURL, embedded, replicas, shop.Name, shop.Kind, shop.Secret)
}

// bridge is a hookbridge process.
type bridge struct {
	*proc
	hook, admin string
}

func startBridge(t *testing.T, cfg, hook, admin string) *bridge {
	t.Helper()
	b := &bridge{proc: newProc(t, "hookbridge", binary(t, "hookbridge"), "--config", cfg), hook: hook, admin: admin}
	b.start(t)
	b.waitReady(t)
	return b
}

// waitReady waits for /readyz 200: connected, the stream created.
func (b *bridge) waitReady(t *testing.T) {
	t.Helper()
	// Start-up after a cut replays the store: patience, not a bound.
	b.proc.waitReady(t, natstest.Within(10*time.Second), "/readyz 200", func() bool {
		return httpStatus("http://"+b.admin+"/readyz") == http.StatusOK
	})
}

func (b *bridge) webhookURL() string { return "http://" + b.hook + "/webhooks/" }

// load is platforms delivering one new delivery after another on conns
// connections, each retried (same id) until it gets a 2xx.
type load struct {
	p      *integration.Platform
	prefix string
	ctx    context.Context
	cancel context.CancelFunc
	stop   chan struct{}
	wg     sync.WaitGroup

	mu      sync.Mutex
	results []integration.Result
}

func startLoad(t *testing.T, webhookURL, prefix string, conns int) *load {
	p := integration.NewSourcePlatform(t, webhookURL, shop)
	// A cut is not an outage the test waits out for minutes: the platform
	// keeps retrying until the servers are back.
	p.MaxAttempts, p.MaxElapsed = 1000, 5*time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{p: p, prefix: prefix, ctx: ctx, cancel: cancel, stop: make(chan struct{})}
	t.Cleanup(cancel)
	for c := range conns {
		l.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				id := fmt.Sprintf("%s-%02d-%06d", prefix, c, i)
				d, err := p.NewDelivery(id)
				if err != nil {
					t.Error(err)
					return
				}
				r := p.Deliver(ctx, d)
				l.mu.Lock()
				l.results = append(l.results, r)
				l.mu.Unlock()
			}
		})
	}
	return l
}

// okSince counts deliveries answered 2xx at or after t.
func (l *load) okSince(t time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.results {
		if r.OK() && !r.Final().End.Before(t) {
			n++
		}
	}
	return n
}

// finish stops new deliveries, waits (up to d) for those in flight to end,
// and returns every delivery's story.
func (l *load) finish(t *testing.T, d time.Duration) []integration.Result {
	t.Helper()
	close(l.stop)
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		l.cancel()
		<-done
		t.Errorf("deliveries still retrying %s after the load stopped", d)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]integration.Result(nil), l.results...)
}

// abort stops the load at once, deliveries in flight included, and returns
// every delivery's story.
func (l *load) abort() []integration.Result {
	close(l.stop)
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]integration.Result(nil), l.results...)
}

// tally is the stream against what the platform was told.
type tally struct {
	answered, answeredBeforeCut int // deliveries answered 2xx (before the cut)
	lost, lostBeforeCut         int // of those, not in the stream
	duplicated                  int // in the stream more than once
	examples                    []string
}

func (tl tally) String() string {
	s := fmt.Sprintf("%d deliveries answered 200 (%d before the cut): %d missing from the stream (%d of those answered before the cut), %d stored more than once",
		tl.answered, tl.answeredBeforeCut, tl.lost, tl.lostBeforeCut, tl.duplicated)
	if len(tl.examples) > 0 {
		s += "; e.g. " + strings.Join(tl.examples, ", ")
	}
	return s
}

// count holds results against copies (stored copies by ce-id) for a cut at
// cut.
func count(results []integration.Result, copies map[string]int, cut time.Time) tally {
	var tl tally
	for _, r := range results {
		if !r.OK() {
			continue
		}
		before := r.Final().End.Before(cut)
		tl.answered++
		if before {
			tl.answeredBeforeCut++
		}
		switch n := copies[r.ID]; {
		case n == 0:
			tl.lost++
			if before {
				tl.lostBeforeCut++
			}
			if len(tl.examples) < 5 {
				tl.examples = append(tl.examples, fmt.Sprintf("%s answered %d at %s", r.ID, r.Final().Status, r.Final().End.Format("15:04:05.000")))
			}
		case n > 1:
			tl.duplicated++
		}
	}
	return tl
}

// disks are the lazy disks of one test, one per server.
type disks []*lazyfs.FS

// cut drops every unsynced write of every disk and returns the total.
func (ds disks) cut(t *testing.T) lazyfs.CutReport {
	var total lazyfs.CutReport
	for _, d := range ds {
		r := d.Cut()
		total.Files += r.Files
		total.Bytes += r.Bytes
		st := d.Stats()
		slices.Sort(r.Names)
		t.Logf("power cut on %s: dropped %d unsynced bytes in %d files %v (%d bytes written through it so far, %d fsyncs of files, %d of them with data to write)",
			d.Mountpoint(), r.Bytes, r.Files, r.Names, st.Written, st.Synced, st.SyncedFiles)
	}
	return total
}

// requireWrites asserts that the servers wrote through the lazy disks and
// fsynced there: that the store really was on them.
func (ds disks) requireWrites(t *testing.T, wantSyncs bool) {
	t.Helper()
	for _, d := range ds {
		st := d.Stats()
		if st.Written == 0 {
			t.Fatalf("nothing was written through %s: the store is not on the lazy disk", d.Mountpoint())
		}
		if wantSyncs && st.SyncedFiles == 0 {
			t.Fatalf("no file was fsynced on %s with data to write: sync_always is not in effect", d.Mountpoint())
		}
	}
}

// the load's shape: enough deliveries before the cut to lose some, and
// enough after the restart to show that the stream takes writes again.
const (
	conns        = 8
	loadFor      = 3 * time.Second
	minBeforeCut = 200
	minAfter     = 100
)

// waitOK waits until at least n deliveries were answered 2xx since since.
func waitOK(t *testing.T, l *load, since time.Time, n int, what string) {
	t.Helper()
	if !l.okWithin(since, n, natstest.Patience) {
		t.Logf("the last attempts: %s", strings.Join(l.lastAttempts(5), "; "))
		t.Fatalf("timed out after %s waiting for %d deliveries answered 200 %s (have %d)", natstest.Patience, n, what, l.okSince(since))
	}
}

// okWithin reports whether n deliveries were answered 2xx since since,
// waiting up to d for it.
func (l *load) okWithin(since time.Time, n int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for l.okSince(since) < n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond) // polling
	}
	return true
}

// lastAttempts describes the platform's last n attempts.
func (l *load) lastAttempts(n int) []string {
	attempts := l.p.Attempts()
	var out []string
	for _, a := range attempts[max(len(attempts)-n, 0):] {
		out = append(out, a.String())
	}
	return out
}

// runLoad runs the load for loadFor and at least until minBeforeCut
// deliveries are answered, so that the cut comes under steady load.
func runLoad(t *testing.T, l *load) {
	t.Helper()
	start := time.Now()
	waitOK(t, l, start, minBeforeCut, "before the cut")
	if rest := loadFor - time.Since(start); rest > 0 {
		time.Sleep(rest) // the load's length, not a synchronisation
	}
}
