package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// viewSetting is how a console variant keeps the bridge's console open
// through its round: the variant without a viewer it repeats.
type viewSetting struct {
	base string
}

// consolePages are the pages the viewer reloads every second, as a person
// with them open in tabs would (the console's own pages refresh themselves
// every 3s by default: once a second is the harder case). A page the
// bridge does not serve (404) is left out with a note, so that the
// variant keeps working as pages are added.
var consolePages = []string{"/", "/deliveries"}

// consoleLive are the console's server-sent event streams the viewer holds
// open, each consoleLiveConns times, counting the events that arrive: the
// Deliveries page's live view, unfiltered. A stream the bridge does not
// serve (404) is left out with a note, as a page is; one it serves must
// answer text/event-stream, or the round fails.
var consoleLive = []string{"/deliveries/live"}

// consoleLiveConns is how many viewers hold each live stream open: two
// browser tabs, within the console's bound on live views.
const consoleLiveConns = 2

// viewEvery is how often the viewer reloads its pages.
const viewEvery = time.Second

// viewStats is what the viewer received while the console was open.
type viewStats struct {
	Pages   uint64 // pages answered 200 in full
	Events  uint64 // server-sent events that carried data
	Bytes   uint64 // of pages and streams
	Failed  uint64 // loads that failed or did not answer 200, streams that broke
	Open    time.Duration
	Skipped []string // pages the bridge does not serve, and why
}

// errViewedNothing fails a console round whose viewer received nothing:
// it would have measured the console closed.
var errViewedNothing = errors.New("the console viewer received nothing")

// consoleViewer keeps a console open: its pages reloaded every viewEvery
// and its live streams held. It runs in this process (its CPU is in
// hookload's): the console's own work is in the bridge it measures.
type consoleViewer struct {
	base   string // http://host:port of the admin listener
	pages  []string
	live   []string
	conns  int
	every  time.Duration
	client *http.Client // pages: bounded by a timeout
	stream *http.Client // live streams: bounded by ctx only

	pagesN, events, bytes, failed atomic.Uint64
	skipped                       []string
	start                         time.Time
	cancel                        context.CancelFunc
	wg                            sync.WaitGroup
}

func newConsoleViewer(base string, pages, live []string, conns int, every time.Duration) *consoleViewer {
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: len(pages) + 1}
	return &consoleViewer{
		base: base, pages: pages, live: live, conns: conns, every: every,
		client: &http.Client{Timeout: 10 * time.Second, Transport: tr},
		stream: &http.Client{Transport: &http.Transport{Proxy: nil}},
	}
}

// open loads each page once, leaving out those the bridge does not serve,
// connects every live stream, and keeps them all going until stop. It
// fails when nothing is left to view or a live stream is not one.
func (cv *consoleViewer) open(ctx context.Context) error {
	cv.start = time.Now() // the first loads are the viewer's too
	var pages []string
	for _, p := range cv.pages {
		switch code, err := cv.load(ctx, p); {
		case err != nil:
			return fmt.Errorf("console: GET %s: %w", p, err)
		case code == http.StatusOK:
			pages = append(pages, p)
		case code == http.StatusNotFound:
			cv.skipped = append(cv.skipped, fmt.Sprintf("%s: %d, not served", p, code))
		default:
			return fmt.Errorf("console: GET %s: %d %s", p, code, http.StatusText(code))
		}
	}
	cv.pages = pages
	ctx, cv.cancel = context.WithCancel(ctx)
	var live []string
	for _, path := range cv.live {
		for i := range cv.conns {
			body, err := cv.connect(ctx, path)
			if i == 0 && errors.Is(err, errNotServed) {
				cv.skipped = append(cv.skipped, fmt.Sprintf("%s: %d, not served", path, http.StatusNotFound))
				break
			}
			if err != nil {
				cv.stop()
				return err
			}
			if i == 0 {
				live = append(live, path)
			}
			cv.wg.Go(func() { cv.follow(ctx, path, body) })
		}
	}
	cv.live = live
	if len(pages) == 0 && len(live) == 0 {
		cv.stop()
		return fmt.Errorf("console: none of %s is served at %s", strings.Join(cv.asked(), ", "), cv.base)
	}
	if len(pages) > 0 {
		cv.wg.Go(func() { cv.reload(ctx) })
	}
	return nil
}

// asked is every page and stream the viewer was given: those it views,
// then those it left out.
func (cv *consoleViewer) asked() []string {
	asked := append(slices.Clone(cv.pages), cv.live...)
	for _, s := range cv.skipped {
		asked = append(asked, strings.SplitN(s, ":", 2)[0])
	}
	return asked
}

// stop closes the console and returns what the viewer received.
func (cv *consoleViewer) stop() viewStats {
	if cv.cancel != nil {
		cv.cancel()
	}
	cv.wg.Wait()
	return viewStats{Pages: cv.pagesN.Load(), Events: cv.events.Load(), Bytes: cv.bytes.Load(),
		Failed: cv.failed.Load(), Open: time.Since(cv.start), Skipped: cv.skipped}
}

// reload loads every page each tick until ctx is done.
func (cv *consoleViewer) reload(ctx context.Context) {
	t := time.NewTicker(cv.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, p := range cv.pages {
			if code, err := cv.load(ctx, p); err != nil && ctx.Err() == nil || err == nil && code != http.StatusOK {
				cv.failed.Add(1)
			}
		}
	}
}

// load reads the page at path in full, as a browser would, and counts it.
func (cv *consoleViewer) load(ctx context.Context, path string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cv.base+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := cv.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return 0, err
	}
	cv.bytes.Add(uint64(n))
	if resp.StatusCode == http.StatusOK {
		cv.pagesN.Add(1)
	}
	return resp.StatusCode, nil
}

// errNotServed is a live stream the bridge answers 404 for.
var errNotServed = errors.New("not served")

// connect opens the live stream at path: it must answer 200 with
// text/event-stream.
func (cv *consoleViewer) connect(ctx context.Context, path string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cv.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := cv.stream.Do(req)
	if err != nil {
		return nil, fmt.Errorf("console: live %s: %w", path, err)
	}
	if resp.StatusCode == http.StatusNotFound {
		resp.Body.Close()
		return nil, fmt.Errorf("console: live %s: %w", path, errNotServed)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK || mt != "text/event-stream" {
		resp.Body.Close()
		return nil, fmt.Errorf("console: live %s: %s, %q: not an event stream", path, resp.Status, mt)
	}
	return resp.Body, nil
}

// follow counts the events of a live stream until ctx is done; a stream
// that breaks before is counted as failed and opened again at the next
// tick, as a browser's EventSource does.
func (cv *consoleViewer) follow(ctx context.Context, path string, body io.ReadCloser) {
	for {
		if body != nil {
			_ = countEvents(body, cv.counted)
			body.Close()
		}
		if ctx.Err() != nil {
			return
		}
		cv.failed.Add(1)
		t := time.NewTimer(cv.every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		body, _ = cv.connect(ctx, path) // nil when it fails: counted at the next turn
	}
}

// counted counts one event of size bytes.
func (cv *consoleViewer) counted(size int) {
	cv.events.Add(1)
	cv.bytes.Add(uint64(size))
}

// countEvents reads a server-sent event stream to its end, calling event
// with the size of each event that carries data; comments (heartbeats)
// and events without data are not events a page shows. It returns what
// ended the stream: nil at its end.
func countEvents(r io.Reader, event func(size int)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	size, data := 0, false
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0:
			if data {
				event(size)
			}
			size, data = 0, false
		case line[0] == ':':
		default:
			size += len(line) + 1
			if field, _, _ := bytes.Cut(line, []byte(":")); string(field) == "data" {
				data = true
			}
		}
	}
	return sc.Err()
}

// openConsole starts the viewer on the bridge's admin listener, for a
// console variant; nil for any other.
func (b *benchRun) openConsole(ctx context.Context, v variant, p benchPorts) (*consoleViewer, error) {
	if v.view == nil {
		return nil, nil
	}
	cv := newConsoleViewer(fmt.Sprintf("http://127.0.0.1:%d", p.admin), consolePages, consoleLive, consoleLiveConns, viewEvery)
	if err := cv.open(ctx); err != nil {
		return nil, err
	}
	live := ""
	if len(cv.live) > 0 {
		live = fmt.Sprintf(", %d viewers on each of %s", cv.conns, strings.Join(cv.live, " "))
	}
	fmt.Fprintf(b.out, "console  open: %s reloaded every %s%s\n", strings.Join(cv.pages, " "), cv.every, live)
	return cv, nil
}

// closeConsole stops the viewer and records what it received; a viewer
// that received nothing fails the round.
func (b *benchRun) closeConsole(row *benchRow, cv *consoleViewer) {
	st := cv.stop()
	row.view = &st
	fmt.Fprintf(b.out, "console  %d pages, %d live events (%s) in %s; %d failed\n",
		st.Pages, st.Events, fmtMiB(st.Bytes), st.Open.Round(time.Millisecond), st.Failed)
	for _, s := range st.Skipped {
		row.notes = append(row.notes, "console "+s)
	}
	// A live view sends what arrived at its next look at the stream: a
	// window shorter than two of the viewer's ticks (the smoke test's) may
	// rightly hold none, a longer one must.
	if row.err == nil && (st.Pages == 0 && st.Events == 0 || len(cv.live) > 0 && st.Events == 0 && st.Open >= 2*cv.every) {
		row.err = errViewedNothing
	}
}

// printConsole compares each console variant with the same bridge
// unwatched: the rate's ratio is the median of the ratios within a round,
// the CPU's and the p99's are over every round.
func printConsole(w io.Writer, ss []*variantSummary, markdown bool) {
	head := []string{"variant", "req/s (median)", "× console closed", "p99", "× closed", "CPU/req hookbridge", "× closed",
		"CPU/req nats-server", "× closed", "pages/s", "live events/s", "failed loads"}
	var rows [][]string
	for _, s := range ss {
		if s.v.view != nil && len(s.rounds) > 0 {
			rows = append(rows, consoleCells(s, find(ss, s.v.view.base)))
		}
	}
	printSideTable(w, markdown, "the console open against closed (ratios within this run)", head, rows,
		fmt.Sprintf("The console open against closed: each console variant beside the one it repeats, while a viewer in hookload reloads every page of %s the bridge serves every %s%s, for the whole round (warm-up and window). The console's work is in the bridge's CPU; the viewer's is in hookload's.",
			strings.Join(consolePages, " and "), viewEvery, liveNote()))
}

// liveNote says which live streams the viewer holds.
func liveNote() string {
	if len(consoleLive) == 0 {
		return ""
	}
	return fmt.Sprintf(" and holds %d connections to each live stream of %s it serves", consoleLiveConns, strings.Join(consoleLive, " and "))
}

func consoleCells(s, base *variantSummary) []string {
	hbCPU, hbRatio := cpuAgainst(s, base, "hookbridge")
	nsCPU, nsRatio := cpuAgainst(s, base, "nats-server")
	p99 := s.lat.quantile(0.99)
	p99Ratio := ""
	if base != nil && base.lat.quantile(0.99) > 0 {
		p99Ratio = fmt.Sprintf("%.2f", float64(p99)/float64(base.lat.quantile(0.99)))
	}
	var pages, events, failed uint64
	var open time.Duration
	for _, r := range s.rounds {
		if r.view != nil {
			pages, events, failed, open = pages+r.view.Pages, events+r.view.Events, failed+r.view.Failed, open+r.view.Open
		}
	}
	perSec := func(n uint64) string {
		if open <= 0 {
			return ""
		}
		return fmt.Sprintf("%.1f", float64(n)/open.Seconds())
	}
	return []string{s.v.key + " " + s.v.name, fmt.Sprintf("%.0f", s.rate), ratioCell(rateRatio(s, base)),
		fmtDur(p99), p99Ratio, hbCPU, hbRatio, nsCPU, nsRatio, perSec(pages), perSec(events), fmt.Sprint(failed)}
}
