package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/cmd/internal/console"
	"github.com/hookbridge/hookbridge/cmd/internal/settings"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// waitFor waits until cond holds, failing the test after natstest.Patience.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(natstest.Patience)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", natstest.Patience, what)
		}
		<-tick.C
	}
}

// startConsole serves the bridge's real console over a real JetStream
// server, as hookbridge serve mounts it on its admin listener.
func startConsole(t *testing.T) string {
	t.Helper()
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	if _, err := bridge.EnsureStream(t.Context(), js, bridge.StreamConfig{Name: bridge.DefaultStream, SubjectPrefix: bridge.DefaultSubjectPrefix, Replicas: 1, Duplicates: time.Hour}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	bridge.NewMetrics(reg)
	c, err := console.New(console.Config{
		Sources:  []console.Source{{Name: "acme-shop", Provider: "shopify"}},
		Gatherer: reg, Ready: func(context.Context) error { return nil },
		JS: js, Streams: []string{bridge.DefaultStream},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestConsoleViewerPages: the viewer reloads the real console's overview
// until stopped, counting every page in full; a page the console does not
// serve is left out with a note, not counted as a failure.
func TestConsoleViewerPages(t *testing.T) {
	cv := newConsoleViewer(startConsole(t), []string{"/", "/no-such-page"}, nil, 1, 10*time.Millisecond)
	if err := cv.open(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "4 overview loads", func() bool { return cv.pagesN.Load() >= 4 })
	st := cv.stop()
	if st.Failed != 0 || st.Events != 0 || st.Bytes < 4*1000 {
		t.Errorf("stats %+v: want no failures, no events, the pages' bytes", st)
	}
	if !slices.Equal(cv.pages, []string{"/"}) || len(st.Skipped) != 1 || !strings.HasPrefix(st.Skipped[0], "/no-such-page: 404") {
		t.Errorf("viewed %v, skipped %q", cv.pages, st.Skipped)
	}
	after := cv.pagesN.Load()
	if again := cv.stop(); again.Pages != after {
		t.Errorf("the viewer went on after stop: %d pages, then %d", after, again.Pages)
	}
}

// sseServer serves at /live n events to each client, with a heartbeat and
// a data-less event between that are no events a page shows, then holds
// the stream open until the client goes or, with breakAfter, ends it.
func sseServer(t *testing.T, n int, breakAfter bool) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var clients atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/live" {
			http.Error(w, "a page", http.StatusOK)
			return
		}
		clients.Add(1)
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		fmt.Fprint(w, ": connected\n\n")
		for i := range n {
			fmt.Fprintf(w, "event: delivery\nid: %d\ndata: {\"seq\":%d,\n data: \"source\":\"acme-shop\"}\n\n", i, i)
			fmt.Fprint(w, "event: ping\n\n: heartbeat\n\n")
		}
		w.(http.Flusher).Flush()
		if !breakAfter {
			<-r.Context().Done()
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &clients
}

// TestConsoleViewerLive: every viewer of a live stream counts each event
// that carries data, and neither heartbeats nor data-less events; a stream
// that breaks is counted as failed and opened again.
func TestConsoleViewerLive(t *testing.T) {
	srv, clients := sseServer(t, 5, false)
	cv := newConsoleViewer(srv.URL, nil, []string{"/live"}, 3, 10*time.Millisecond)
	if err := cv.open(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "15 events", func() bool { return cv.events.Load() >= 15 })
	st := cv.stop()
	if st.Events != 15 || st.Failed != 0 || st.Pages != 0 || clients.Load() != 3 {
		t.Errorf("stats %+v from %d clients: want 15 events from 3, no failure", st, clients.Load())
	}

	srv, clients = sseServer(t, 2, true)
	cv = newConsoleViewer(srv.URL, nil, []string{"/live"}, 1, 10*time.Millisecond)
	if err := cv.open(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a broken stream opened again", func() bool { return clients.Load() >= 3 && cv.events.Load() >= 6 })
	if st := cv.stop(); st.Failed < 2 {
		t.Errorf("stats %+v: the breaks are not counted", st)
	}
}

// TestConsoleViewerRefuses: a viewer with nothing to view, or a live
// stream that is no event stream, does not open; a round whose viewer
// received nothing fails.
func TestConsoleViewerRefuses(t *testing.T) {
	url := startConsole(t)
	srv, _ := sseServer(t, 1, false)
	for _, tc := range []struct {
		base        string
		pages, live []string
		want        string
	}{
		{url, []string{"/nothing", "/none"}, nil, "none of /nothing, /none is served"},
		{srv.URL, nil, []string{"/"}, `live /: 200 OK, "text/plain": not an event stream`},
		{url, []string{"/nothing"}, []string{"/live"}, "none of /nothing, /live is served"},
		{srv.URL, nil, []string{"/live", "/"}, `live /: 200 OK, "text/plain": not an event stream`},
	} {
		cv := newConsoleViewer(tc.base, tc.pages, tc.live, 1, time.Hour)
		if err := cv.open(t.Context()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: %v, want %q", tc.pages, tc.live, err, tc.want)
			cv.stop()
		}
	}

	cv := newConsoleViewer(url, []string{"/"}, []string{"/live"}, 1, time.Hour)
	if err := cv.open(t.Context()); err != nil || !slices.Equal(cv.live, nil) || !slices.Equal(cv.skipped, []string{"/live: 404, not served"}) {
		t.Errorf("a live stream not served: %v; viewing %v, skipped %q", err, cv.live, cv.skipped)
	}
	cv.stop()

	var out bytes.Buffer
	b := &benchRun{out: &out}
	cv = newConsoleViewer(url, []string{"/"}, nil, 1, time.Hour)
	cv.start = time.Now()
	row := &benchRow{}
	b.closeConsole(row, cv)
	if row.err != errViewedNothing || row.view == nil {
		t.Errorf("a viewer that received nothing: %v", row.err)
	}

	// Pages but no live event: wrong over two ticks of the viewer, right
	// within one (the live view had not looked at the stream yet).
	for _, tc := range []struct {
		open time.Duration
		want error
	}{{3 * time.Second, errViewedNothing}, {500 * time.Millisecond, nil}} {
		cv = newConsoleViewer(url, []string{"/"}, []string{"/live"}, 1, time.Second)
		cv.pagesN.Add(1)
		cv.start = time.Now().Add(-tc.open)
		row := &benchRow{}
		b.closeConsole(row, cv)
		if row.err != tc.want {
			t.Errorf("pages but no live event in %s: %v, want %v", tc.open, row.err, tc.want)
		}
	}
}

// TestCountEvents: an event is a block ended by a blank line with a data
// field; its size is its fields' bytes.
func TestCountEvents(t *testing.T) {
	for _, tc := range []struct {
		in    string
		sizes []int
	}{
		{"", nil},
		{"data: x\n\n", []int{8}},
		{"data\n\n", []int{5}},
		{": comment\n\nevent: ping\n\n", nil},
		{"event: a\ndata: 1\n\ndata: 2\r\n\r\n", []int{17, 8}},
		{"data: unterminated", nil},
		{"dataset: 1\n\n", nil},
	} {
		var sizes []int
		if err := countEvents(strings.NewReader(tc.in), func(n int) { sizes = append(sizes, n) }); err != nil || !slices.Equal(sizes, tc.sizes) {
			t.Errorf("%q: %v %v, want %v", tc.in, sizes, err, tc.sizes)
		}
	}
}

// FuzzCountEvents: whatever the stream, countEvents counts no more events
// than it has data fields, and no more bytes than it read.
func FuzzCountEvents(f *testing.F) {
	f.Add("data: x\n\n")
	f.Add("event: a\ndata: 1\n\ndata: 2\r\n\r\n: hb\n\n")
	f.Add("data\n\ndata:\n\n\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		events, size := 0, 0
		err := countEvents(strings.NewReader(in), func(n int) { events++; size += n })
		if err != nil {
			return // a line longer than the scanner takes
		}
		fields := 0
		for l := range strings.Lines(in) {
			if strings.HasPrefix(l, "data") {
				fields++
			}
		}
		if events > fields || size > len(in)+events || events > 0 && size == 0 {
			t.Errorf("%q: %d events of %d bytes from %d data fields", in, events, size, fields)
		}
	})
}

// TestConsoleVariants: each console variant repeats its base but for the
// viewer, and the config the bench writes serves the console on loopback
// without credentials, so that the viewer needs none.
func TestConsoleVariants(t *testing.T) {
	n := 0
	for _, v := range optInVariants {
		if v.view == nil {
			continue
		}
		n++
		i := slices.IndexFunc(variants, func(b variant) bool { return b.key == v.view.base })
		if i < 0 || variants[i].kind != v.kind || variants[i].sync != v.sync || v.trace != nil || v.commerce {
			t.Errorf("%s: base %q is not the same variant unwatched", v.key, v.view.base)
		}
	}
	if n != 2 {
		t.Errorf("%d console variants, want c-console and d-console", n)
	}
	dir := t.TempDir()
	cfg, err := settings.Parse([]byte(benchConfig(benchPorts{http: 8080, admin: 9090, nats: 4222, otlp: 4318}, "", dir, false, "info")), dir, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Admin.Console.On() || cfg.Admin.Console.Protected() || !strings.HasPrefix(cfg.Admin.Listen, "127.0.0.1:") {
		t.Errorf("admin %+v: want the console served on loopback, unprotected", cfg.Admin)
	}
}

// TestPrintConsole: the console table sets each console variant beside its
// base, with the ratios of the same round and what the viewer received.
func TestPrintConsole(t *testing.T) {
	var d, dc variant
	for _, v := range append(variants, optInVariants...) {
		switch v.key {
		case "d":
			d = v
		case "d-console":
			dc = v
		}
	}
	b := &benchRun{f: benchFlags{rounds: 2}}
	for round, rates := range [][2]float64{{1000, 990}, {1200, 1140}} {
		for i, v := range []variant{d, dc} {
			r := &benchRow{v: v, round: round, requests: 1000, elapsed: time.Second, rate: rates[i],
				procs: []procFigures{{label: "hookbridge", cpu: time.Duration(100+10*i) * time.Millisecond}}}
			r.lat.record(time.Duration(1+i) * time.Millisecond)
			if v.view != nil {
				r.view = &viewStats{Pages: 10, Events: 50, Open: 5 * time.Second}
			}
			b.rows = append(b.rows, r)
		}
	}
	var out bytes.Buffer
	printConsole(&out, b.summaries(), true)
	want := "| d-console d, with the console open and live | 1065 | 0.97 | "
	if !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "| 110.0µs | 1.10 |") || !strings.Contains(out.String(), "| 2.0 | 10.0 | 0 |") {
		t.Errorf("table:\n%s\nwant a row with %q, the CPU ratio and the viewer's rates", out.String(), want)
	}
	out.Reset()
	printConsole(&out, b.summaries()[:1], false)
	if out.Len() != 0 {
		t.Errorf("a run without a console variant printed %q", out.String())
	}
}
