package main

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/cmd/internal/settings"
)

// needWrk is wrk's path, or skips the test when it is missing outside CI
// (CI installs it).
func needWrk(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("wrk")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("wrk is needed in CI: %v", err)
		}
		t.Skip("wrk is not installed (apt-get install wrk): the bench's wrk script is not tested")
	}
	return bin
}

// benchMix is spec's provider mix from the bench's config, signed as the
// bench signs.
func benchMix(t *testing.T, spec string) *mix {
	t.Helper()
	dir := t.TempDir()
	cfg, err := settings.Parse([]byte(benchConfig(benchPorts{http: 1, admin: 2, nats: 3, otlp: 4}, "", dir, false, "warn")), dir, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseMix(spec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// received is one request as the test server read it.
type received struct {
	conn   string // the client's address: one wrk connection
	path   string
	header http.Header
	body   []byte
}

// TestWrkScript runs wrk with the bench's script against a server that
// records every request: each delivery arrives at most once, byte for byte
// as generated and with a signature its source verifies; every connection
// (so every wrk thread) sends only its own thread's share; and the
// script's report of what each thread started matches what arrived.
func TestWrkScript(t *testing.T) {
	bin := needWrk(t)
	m := benchMix(t, "acme-shop,acme-woo,billing")
	// The server answers the first capped requests and holds the rest
	// until wrk has exited, so that wrk's shortest run (1s) cannot run
	// through the deliveries however fast the machine.
	// The server answers the first capped requests and holds the rest: wrk
	// must pass that many within its second even on a loaded machine (it
	// passed 5,445 under CI's race-detector run beside other packages, so
	// a cap of 6,000 was a guess at the machine's speed).
	const n, capped = 20_000, 1_000
	ds, err := m.generate("wrk-test-", n, 1024, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	byBody := make(map[string]int, n)
	for i := range ds {
		byBody[string(ds[i].body)] = i
	}
	var (
		mu      sync.Mutex
		got     []received
		release = make(chan struct{})
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, received{conn: r.RemoteAddr, path: r.URL.Path, header: r.Header.Clone(), body: body})
		hold := len(got) > capped
		mu.Unlock()
		if hold {
			<-release
		}
		w.Write([]byte(`{"status":"published"}`))
	}))
	defer srv.Close()
	var once sync.Once
	defer once.Do(func() { close(release) })

	var readyCalls int
	res, err := runWrk(t.Context(), wrkConfig{Bin: bin, Dir: t.TempDir(), Name: "test", URL: srv.URL, Conns: 2, Threads: 2, Duration: time.Second},
		ds, func() { readyCalls++ })
	if err != nil {
		t.Fatal(err)
	}
	once.Do(func() { close(release) })
	srv.Close() // every handler has returned
	if readyCalls != 1 {
		t.Errorf("ready called %d times, want once", readyCalls)
	}
	if res.wrapped() {
		t.Fatalf("wrk ran through the %d deliveries (sent %v of %v): the test needs more", n, res.Sent, res.Share)
	}
	if len(res.Share) != 2 || res.Share[0] != n/2 || res.Share[1] != n/2 {
		t.Errorf("shares %v, want two of %d", res.Share, n/2)
	}
	if res.Requests == 0 || uint64(len(got)) < res.Requests || uint64(len(got)) > res.sentTotal() {
		t.Errorf("%d requests arrived; wrk answered %d and started %d", len(got), res.Requests, res.sentTotal())
	}
	if res.Requests > capped || len(got) < capped {
		t.Errorf("wrk answered %d and %d arrived; the server answered the first %d", res.Requests, len(got), capped)
	}
	if res.Latency.n < res.Requests-res.Timeout {
		t.Errorf("the script's latency histogram holds %d, wrk counted %d requests", res.Latency.n, res.Requests)
	}

	seen := make(map[int]bool, len(got))
	threadOf := map[string]int{} // connection -> the share (k%2) it sent from
	sentSet := res.sentSet(ds, 2)
	for _, r := range got {
		k, ok := byBody[string(r.body)]
		if !ok {
			t.Fatalf("a body that is none of the deliveries arrived (%d bytes)", len(r.body))
		}
		if seen[k] {
			t.Errorf("delivery %d arrived twice", k)
		}
		seen[k] = true
		if !sentSet.states[k].sent {
			t.Errorf("delivery %d arrived, but the script did not report it started", k)
		}
		d := &ds[k]
		if r.path != d.path {
			t.Errorf("delivery %d: path %s, want %s", k, r.path, d.path)
		}
		for name, vals := range d.header {
			if strings.Join(r.header.Values(name), "\n") != strings.Join(vals, "\n") {
				t.Errorf("delivery %d: header %s %q, want %q", k, name, r.header.Values(name), vals)
			}
		}
		src := m.sources[m.schedule[k%len(m.schedule)]]
		if err := src.provider.Verify(r.body, r.header); err != nil {
			t.Errorf("delivery %d (%s): the signature does not verify: %v", k, src.name, err)
		}
		if th, ok := threadOf[r.conn]; ok && th != k%2 {
			t.Errorf("connection %s sent deliveries of both threads' shares", r.conn)
		}
		threadOf[r.conn] = k % 2
	}
	if len(threadOf) != 2 {
		t.Errorf("%d connections sent, want 2 (one per thread)", len(threadOf))
	}
	// Each thread sends its share in order: what arrived from a share is a
	// prefix of it, short at most by the requests cut off at the end.
	for th := range 2 {
		var arrived uint64
		for k := th; k < n; k += 2 {
			if seen[k] {
				arrived++
			}
		}
		if arrived > res.Sent[th] || res.Sent[th]-arrived > 2 {
			t.Errorf("thread %d: %d of its share arrived, the script started %d", th+1, arrived, res.Sent[th])
		}
	}
}

// TestParseWrkOutput reads wrk 4.1.0's real output: a plain run with
// --latency, and one with the bench's script against a server that
// answered some requests 503, cut some connections and was slower than
// --timeout for others.
func TestParseWrkOutput(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", "wrk", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	us := func(x float64) time.Duration { return time.Duration(x * float64(time.Microsecond)) }

	plain, err := parseWrkOutput(read("plain-latency.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := wrkResult{Requests: 66227, Duration: 1110 * time.Millisecond,
		P50: us(79), P75: us(970), P90: us(57370), P99: us(183020), Max: us(216300)}
	if plain.Requests != want.Requests || plain.Duration != want.Duration || plain.P50 != want.P50 || plain.P75 != want.P75 ||
		plain.P90 != want.P90 || plain.P99 != want.P99 || plain.Max != want.Max || plain.Non2xx != 0 || plain.socketErrors() != 0 {
		t.Errorf("plain: got %+v", *plain)
	}
	if plain.Sent != nil || plain.Latency.n != 0 {
		t.Error("plain: script figures from a run without the script")
	}

	r, err := parseWrkOutput(read("script-errors.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 758 || r.Non2xx != 108 || r.ok2xx() != 650 {
		t.Errorf("requests %d, non-2xx %d, ok %d; want 758, 108, 650", r.Requests, r.Non2xx, r.ok2xx())
	}
	if r.Connect != 0 || r.Read != 7 || r.Write != 0 || r.Timeout != 8 {
		t.Errorf("socket errors %d %d %d %d, want 0 7 0 8", r.Connect, r.Read, r.Write, r.Timeout)
	}
	// The script's exact run time wins over the summary's 2.13s.
	if r.Duration != 2132864*time.Microsecond {
		t.Errorf("duration %s, want the script's 2.132864s", r.Duration)
	}
	if r.P50 != us(38) || r.P99 != us(130010) || r.Max != us(136220) {
		t.Errorf("p50 %s p99 %s max %s", r.P50, r.P99, r.Max)
	}
	if len(r.Sent) != 2 || r.Sent[0] != 501 || r.Sent[1] != 273 || r.Share[0] != 10000 || r.sentTotal() != 774 || r.wrapped() {
		t.Errorf("threads: sent %v of %v", r.Sent, r.Share)
	}
	// wrk's own histogram, read exactly: the same count and maximum, and
	// the median within a bucket of wrk's.
	// Every answer within --timeout is in it, and the values wrk's
	// coordinated-omission correction adds (786 in all).
	if r.Latency.n != 786 || r.Latency.maxValue() != 136219*time.Microsecond {
		t.Errorf("histogram: %d values, max %s", r.Latency.n, r.Latency.maxValue())
	}
	if q := r.Latency.quantile(0.5); q < us(37) || q > us(39) {
		t.Errorf("histogram median %s, wrk's 38µs", q)
	}
	if got := r.statusLine(); got != "2xx 650, non-2xx 108, socket errors: connect 0, read 7, write 0, timeout 8" {
		t.Errorf("status %q", got)
	}
}

// TestParseWrkOutputRefuses: output the bench cannot read is an error, not
// zero figures.
func TestParseWrkOutputRefuses(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "wrk", "script-errors.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{
		"empty":               "",
		"no --latency":        regexp.MustCompile(`(?m)^\s+\d+%.*\n`).ReplaceAllString(string(good), ""),
		"script count":        strings.Replace(string(good), "hookload-wrk summary 2132864 758", "hookload-wrk summary 2132864 757", 1),
		"thread order":        strings.Replace(string(good), "hookload-wrk thread 1 ", "hookload-wrk thread 2 ", 1),
		"bad script line":     strings.Replace(string(good), "hookload-wrk latency 11 7", "hookload-wrk latency 11 x", 1),
		"unknown script line": string(good) + "hookload-wrk other 1\n",
	} {
		if _, err := parseWrkOutput(out); !errors.Is(err, errWrkOutput) {
			t.Errorf("%s: %v, want errWrkOutput", name, err)
		}
	}
}

// TestWrkRequestLayout: a delivery is laid out as wrk.format would: the
// request line, Host, its headers in order, Content-Length, the body.
func TestWrkRequestLayout(t *testing.T) {
	d := delivery{path: "/webhooks/billing", body: []byte(`{"id":"evt_1"}`),
		header: http.Header{"Stripe-Signature": {"t=1,v1=ab"}, "Content-Type": {"application/json"}}}
	var b bytes.Buffer
	formatWrkRequest(&b, "127.0.0.1:8080", &d)
	want := "POST /webhooks/billing HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nStripe-Signature: t=1,v1=ab\r\nContent-Length: 14\r\n\r\n{\"id\":\"evt_1\"}"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}

// TestWrkSizes: the pool is wrkRate per second of each run, whole seconds
// as wrk runs them, within --max-pool.
func TestWrkSizes(t *testing.T) {
	for _, tc := range []struct {
		warmup, duration time.Duration
		maxPool          int
		warm, main       int
	}{
		{2 * time.Second, 5 * time.Second, 1_000_000, 120_000, 300_000},
		{200 * time.Millisecond, 400 * time.Millisecond, 1_000_000, 60_000, 60_000},
		{0, 5 * time.Second, 1_000_000, 0, 300_000},
		{2 * time.Second, 5 * time.Second, 70_000, 20_000, 50_000},
	} {
		warm, main := wrkSizes(tc.warmup, tc.duration, 64, tc.maxPool)
		if warm != tc.warm || main != tc.main {
			t.Errorf("%s + %s within %d: %d + %d, want %d + %d", tc.warmup, tc.duration, tc.maxPool, warm, main, tc.warm, tc.main)
		}
	}
}

// FuzzParseWrkOutput: any output is read or refused with errWrkOutput,
// never a panic, and what is read holds together.
func FuzzParseWrkOutput(f *testing.F) {
	for _, name := range []string{"plain-latency.txt", "script-errors.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", "wrk", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("  1 requests in 1s, 1B read\n 50% 1ms\n 75% 1ms\n 90% 1ms\n 99% 1ms\nhookload-wrk thread 1 0 5\n")
	f.Fuzz(func(t *testing.T, out string) {
		r, err := parseWrkOutput(out)
		if err != nil {
			if !errors.Is(err, errWrkOutput) {
				t.Fatalf("error %v is not errWrkOutput", err)
			}
			return
		}
		if len(r.Sent) != len(r.Share) {
			t.Fatalf("%d threads sent, %d shares", len(r.Sent), len(r.Share))
		}
		if r.ok2xx() > r.Requests {
			t.Fatalf("%d 2xx of %d requests", r.ok2xx(), r.Requests)
		}
	})
}
