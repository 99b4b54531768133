package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// trickler holds hostile connections open against a bridge while the real
// load runs: each announces a body of the size limit and then sends one byte
// per interval, the cheapest way to make a server that trusts
// Content-Length allocate memory before any signature check. A connection
// the bridge cuts off (read timeout) is dialled again, so the number held
// stays up for the whole run.
type trickler struct {
	addr, path string
	announce   int64
	every      time.Duration

	open    atomic.Int64 // connections holding a request right now
	peak    atomic.Int64
	dials   atomic.Int64
	refused atomic.Int64 // dials or writes that failed
	wg      sync.WaitGroup
}

// startTrickle opens n connections to baseURL's host, ramping up in batches
// so as not to overflow the listen backlog, and keeps them until ctx ends.
func startTrickle(ctx context.Context, baseURL, source string, n int, announce int64, every time.Duration) (*trickler, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("trickle: bad URL %q", baseURL)
	}
	t := &trickler{addr: u.Host, path: u.Path + "/webhooks/" + source, announce: announce, every: every}
	const batch = 250
	for i := 0; i < n; i += batch {
		for range min(batch, n-i) {
			t.wg.Add(1)
			go t.hold(ctx)
		}
		// Let a batch connect before the next; the run goes on meanwhile.
		deadline := time.Now().Add(5 * time.Second)
		for t.open.Load() < int64(i+min(batch, n-i)) && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
	}
	return t, nil
}

func (t *trickler) hold(ctx context.Context) {
	defer t.wg.Done()
	for ctx.Err() == nil {
		t.once(ctx)
	}
}

// once holds one connection until the bridge closes it or ctx ends.
func (t *trickler) once(ctx context.Context) {
	t.dials.Add(1)
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		t.refused.Add(1)
		wait(ctx, t.every)
		return
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	head := "POST " + t.path + " HTTP/1.1\r\nHost: " + t.addr + "\r\nContent-Type: application/json\r\n" +
		"Content-Length: " + strconv.FormatInt(t.announce, 10) + "\r\n\r\n{"
	if _, err := io.WriteString(c, head); err != nil {
		t.refused.Add(1)
		wait(ctx, t.every)
		return
	}
	if now := t.open.Add(1); now > t.peak.Load() {
		t.peak.Store(now) // a high-water mark; an occasional lost race is harmless
	}
	defer t.open.Add(-1)
	// The bridge answers (or closes) only when it gives up on the body.
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		io.Copy(io.Discard, c)
	}()
	tick := time.NewTicker(t.every)
	defer tick.Stop()
	for sent := int64(1); sent < t.announce-1; sent++ {
		select {
		case <-ctx.Done():
			return
		case <-closed:
			return
		case <-tick.C:
			if _, err := c.Write([]byte{' '}); err != nil {
				return
			}
		}
	}
}

func wait(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// bridgeMemory samples the bridge's memory from its /metrics while a run
// goes on, and keeps the highest figures.
type bridgeMemory struct {
	url                 string
	maxRSS, maxHeap     float64
	maxBodyBytes        float64
	maxInflight, sample int
	err                 error
	mu                  sync.Mutex
}

func (m *bridgeMemory) run(ctx context.Context, every time.Duration) {
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		m.once(client)
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

func (m *bridgeMemory) once(client *http.Client) {
	resp, err := client.Get(m.url)
	if err != nil {
		m.mu.Lock()
		m.err = err
		m.mu.Unlock()
		return
	}
	defer resp.Body.Close()
	vals := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		switch name {
		case "process_resident_memory_bytes", "go_memstats_heap_inuse_bytes",
			"hookbridge_body_bytes_in_flight", "hookbridge_inflight_deliveries":
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				vals[name] = f
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sample++
	m.maxRSS = max(m.maxRSS, vals["process_resident_memory_bytes"])
	m.maxHeap = max(m.maxHeap, vals["go_memstats_heap_inuse_bytes"])
	m.maxBodyBytes = max(m.maxBodyBytes, vals["hookbridge_body_bytes_in_flight"])
	m.maxInflight = max(m.maxInflight, int(vals["hookbridge_inflight_deliveries"]))
}

// report prints the highest figures so far and fails when there are none,
// or when the RSS went above maxRSS MiB (0: no bound).
func (m *bridgeMemory) report(w io.Writer, maxRSS int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sample == 0 {
		fmt.Fprintf(w, "bridge   no sample of %s (%v)\n", m.url, m.err)
		return fmt.Errorf("no memory sample from %s: %v", m.url, m.err)
	}
	fmt.Fprintf(w, "bridge   peak RSS %s, heap in use %s, body bytes in flight %s, deliveries in flight %d (%d samples)\n",
		fmtMiB(uint64(m.maxRSS)), fmtMiB(uint64(m.maxHeap)), fmtMiB(uint64(m.maxBodyBytes)), m.maxInflight, m.sample)
	if maxRSS > 0 && m.maxRSS > float64(maxRSS<<20) {
		return fmt.Errorf("the bridge's resident memory reached %s, above --max-rss %d MiB", fmtMiB(uint64(m.maxRSS)), maxRSS)
	}
	return nil
}

// background is what runs around a load run: hostile connections and the
// sampling of the bridge's memory. stop ends both and waits for them, on
// every way out of the run.
type background struct {
	ctx     context.Context
	cancel  context.CancelFunc
	mem     *bridgeMemory // nil without an admin URL
	memDone chan struct{}
	tr      *trickler // nil without --trickle
}

// startBackground starts sampling the memory of the bridge whose admin
// server is at adminURL; "" samples nothing.
func startBackground(ctx context.Context, adminURL string) *background {
	bg := &background{memDone: make(chan struct{})}
	bg.ctx, bg.cancel = context.WithCancel(ctx)
	if adminURL == "" {
		close(bg.memDone)
		return bg
	}
	bg.mem = &bridgeMemory{url: strings.TrimSuffix(adminURL, "/") + "/metrics"}
	go func() {
		defer close(bg.memDone)
		bg.mem.run(bg.ctx, 500*time.Millisecond)
	}()
	return bg
}

// trickle holds n hostile connections to the source's path at baseURL.
func (bg *background) trickle(baseURL, source string, n int, announce int64, every time.Duration, w io.Writer) error {
	tr, err := startTrickle(bg.ctx, baseURL, source, n, announce, every)
	if err != nil {
		return err
	}
	bg.tr = tr
	fmt.Fprintf(w, "trickle  %d connections held open to /webhooks/%s, each announcing %d bytes\n", tr.open.Load(), source, announce)
	return nil
}

// report prints the hostile connections' figures and the bridge's highest
// memory, sampled once more now; it fails as bridgeMemory.report does.
func (bg *background) report(w io.Writer, maxRSS int) error {
	if bg.tr != nil {
		fmt.Fprintf(w, "trickle  %d open at the end, %d at most, %d dials, %d refused\n", bg.tr.open.Load(), bg.tr.peak.Load(), bg.tr.dials.Load(), bg.tr.refused.Load())
	}
	if bg.mem == nil {
		return nil
	}
	bg.mem.once(&http.Client{Timeout: 5 * time.Second})
	return bg.mem.report(w, maxRSS)
}

func (bg *background) stop() {
	bg.cancel()
	<-bg.memDone
	if bg.tr != nil {
		bg.tr.wg.Wait()
	}
}
