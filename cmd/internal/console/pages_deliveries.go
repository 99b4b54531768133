package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/cmd/internal/console/jsview"
)

// MaxLiveViews bounds the live views (server-sent event streams) open at once: each holds a
// connection and a goroutine here and polls the stream once a tick, and a browser left open in
// many tabs must not pile them up. One more is refused with 503 until one closes.
const MaxLiveViews = 4

// liveHeartbeat is how often an idle live view sends a comment, so that proxies and load
// balancers do not close a connection that is quiet between deliveries.
const liveHeartbeat = 15 * time.Second

// liveTick is how often a live view polls its stream. A poll reads the stream's last sequence
// and, when it moved, at most maxLiveEvents of the newest messages: its cost is bounded
// whatever the delivery rate, so the view never competes with the bridge for its machine. (An
// ordered consumer would read every delivery, bodies included, only to drop all but a few.)
const liveTick = time.Second

// maxLiveEvents is the default bound on the deliveries one live view sends a tick: a person
// reads a few rows a second, not thousands. The rest are counted and the page is told how many
// it did not get.
const maxLiveEvents = 20

// maxLiveRows is how many rows the live page keeps: older ones leave the page (the Older link
// still reaches them), so that a page left open for a day stays light.
const maxLiveRows = 500

// timeLayout is how the deliveries pages show when a message was stored.
const timeLayout = "2006-01-02 15:04:05 UTC"

// deliveries is what the Deliveries pages read through: the streams they show, in the
// order of their tabs, and the bound on live views.
type deliveries struct {
	view      *jsview.View
	streams   []jsview.Stream
	live      chan struct{} // a slot per open live view
	heartbeat time.Duration
	tick      time.Duration // liveTick
	perTick   int           // maxLiveEvents
	busy      time.Duration // busyEvery
	// newest is each stream's last read of its newest messages, by stream name: every page
	// and live view of a stream reads through it.
	newest map[string]*newest
	// closing ends every live view when closed (Close): a server's graceful shutdown waits
	// for its handlers, and a live view never ends by itself.
	closing   chan struct{}
	closeOnce *sync.Once
}

// newDeliveries reads cfg.Streams as the bridge lists them: the webhook streams first, then
// the normaliser's; a tab each.
func newDeliveries(cfg Config, view *jsview.View) deliveries {
	d := deliveries{
		view:      view,
		live:      make(chan struct{}, MaxLiveViews),
		heartbeat: liveHeartbeat,
		tick:      liveTick,
		perTick:   maxLiveEvents,
		busy:      busyEvery,
		newest:    map[string]*newest{},
		closing:   make(chan struct{}),
		closeOnce: new(sync.Once),
	}
	for _, name := range cfg.Streams {
		d.streams = append(d.streams, cfg.layout(name))
	}
	if len(d.streams) == 0 {
		d.streams = []jsview.Stream{jsview.Webhooks("", cfg.SubjectPrefix)}
	}
	for _, s := range d.streams {
		d.newest[s.Name] = newNewest(view, s, cfg.Now)
	}
	return d
}

// sample is the newest messages of s, shared by every page and live view of it.
func (d deliveries) sample(ctx context.Context, s jsview.Stream) (sample, error) {
	return d.newest[s.Name].get(ctx, pace{tick: d.tick, busy: d.busy})
}

// Close ends every open live view and refuses new ones, so that the admin listener's graceful
// shutdown does not wait out its grace period for pages left open (http.Server's
// RegisterOnShutdown). The other pages are served as before. Safe to call more than once.
func (c *Console) Close() {
	c.dl.closeOnce.Do(func() { close(c.dl.closing) })
}

// stream is the stream named name, or the first when name is "".
func (d deliveries) stream(name string) (jsview.Stream, error) {
	if name == "" {
		return d.streams[0], nil
	}
	for _, s := range d.streams {
		if s.Name == name {
			return s, nil
		}
	}
	return jsview.Stream{}, fmt.Errorf("stream %q: not one this console shows (%s)", name, strings.Join(d.names(), ", "))
}

func (d deliveries) names() []string {
	names := make([]string, len(d.streams))
	for i, s := range d.streams {
		names[i] = s.Name
	}
	return names
}

// deliveryQuery is what a Deliveries URL asks for: a stream, a filter, and the cursor of an
// older page (0 for the newest); for a live view, the sequence after which it starts.
type deliveryQuery struct {
	Stream jsview.Stream
	Filter jsview.Filter
	Before uint64
	// After, when HasAfter, is the last sequence the page that opens a live view read: the
	// view starts there, so that what was stored in between is neither lost nor counted out.
	After    uint64
	HasAfter bool
}

// parseQuery reads q, and says what is wrong with it in words a person can act on.
func (d deliveries) parseQuery(q url.Values) (deliveryQuery, error) {
	var dq deliveryQuery
	s, err := d.stream(q.Get("stream"))
	if err != nil {
		return dq, err
	}
	dq.Stream = s
	dq.Filter = jsview.Filter{
		Source:   strings.TrimSpace(q.Get("source")),
		Provider: strings.TrimSpace(q.Get("provider")),
		Type:     strings.TrimSpace(q.Get("type")),
	}
	if _, err := s.Subject(dq.Filter); err != nil {
		return dq, err
	}
	if b := q.Get("before"); b != "" {
		if dq.Before, err = strconv.ParseUint(b, 10, 64); err != nil || dq.Before == 0 {
			return dq, fmt.Errorf("before %q: want a stream sequence above 0", b)
		}
	}
	if a := q.Get("after"); a != "" {
		if dq.After, err = strconv.ParseUint(a, 10, 64); err != nil {
			return dq, fmt.Errorf("after %q: want a stream sequence", a)
		}
		dq.HasAfter = true
	}
	return dq, nil
}

// values is dq as URL query parameters, without the cursor.
func (dq deliveryQuery) values() url.Values {
	v := url.Values{"stream": {dq.Stream.Name}}
	for k, s := range map[string]string{"source": dq.Filter.Source, "provider": dq.Filter.Provider, "type": dq.Filter.Type} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// deliveryRow is one message in the list, as the page renders it and as a live event carries
// it to the page's script.
type deliveryRow struct {
	Stream   string `json:"stream"`
	Seq      uint64 `json:"seq"`
	Time     string `json:"time"`
	Source   string `json:"source"`
	Provider string `json:"provider"`
	Type     string `json:"type"`
	ID       string `json:"id"`
	Subject  string `json:"subject"`
}

func newRow(s jsview.Stream, m jsview.Message) deliveryRow {
	provider, source := s.Origin(m.Subject)
	return deliveryRow{
		Stream: m.Stream, Seq: m.Seq, Time: m.Stored.UTC().Format(timeLayout),
		Source: source, Provider: provider, Type: m.Event.Type, ID: m.Event.ID, Subject: m.Subject,
	}
}

// deliveriesData is the Deliveries page.
type deliveriesData struct {
	Streams []string
	Query   deliveryQuery
	Sources []Source
	// Providers are the configured sources' providers, each once, for the filter's hints.
	Providers []string
	Error     string
	Rows      []deliveryRow
	// Older is the query of the next older page, "" when the stream's start was reached;
	// OlderBase is the same without the cursor, for the script that moves it.
	Older, OlderBase string
	// Newest is the query of the newest page when this one is an older page.
	Newest string
	// Live is the event stream's URL on the newest page, "" on an older one.
	Live string
	// Sampled is when a busy stream was read for this page, "" when the page is as fresh as
	// its request; BusyEvery is how often a busy stream is read.
	Sampled, BusyEvery string
	MaxRows            int
}

// deliveriesPage serves the newest messages of a stream, filtered and paged.
func (c *Console) deliveriesPage(w http.ResponseWriter, r *http.Request) {
	d := deliveriesData{Streams: c.dl.names(), Sources: c.cfg.Sources, MaxRows: maxLiveRows}
	for _, s := range c.cfg.Sources {
		if !slices.Contains(d.Providers, s.Provider) {
			d.Providers = append(d.Providers, s.Provider)
		}
	}
	dq, err := c.dl.parseQuery(r.URL.Query())
	d.Query = dq
	if dq.Stream.Name == "" {
		d.Query.Stream = c.dl.streams[0]
	}
	if err != nil {
		d.Error = err.Error()
		c.renderStatus(w, r, http.StatusBadRequest, "deliveries", "Deliveries", d)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	page, snap, err := c.dl.page(ctx, dq)
	if snap != nil && snap.Busy {
		d.Sampled = snap.At.UTC().Format(timeLayout)
		d.BusyEvery = c.dl.busy.String()
	}
	for _, m := range page.Messages {
		d.Rows = append(d.Rows, newRow(dq.Stream, m))
	}
	status := http.StatusOK
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		d.Error = "stream " + dq.Stream.Name + " does not exist yet: it is created when its first writer starts"
		status = http.StatusNotFound
	case err != nil:
		c.cfg.Log.Warn("console: reading deliveries", "stream", dq.Stream.Name, "error", err)
		d.Error = "the stream could not be read: " + err.Error()
		status = http.StatusServiceUnavailable
	}
	q := dq.values()
	d.OlderBase = "?" + q.Encode()
	if page.Before > 0 {
		q.Set("before", strconv.FormatUint(page.Before, 10))
		d.Older = "?" + q.Encode()
	}
	if dq.Before > 0 {
		d.Newest = d.OlderBase
	} else if err == nil {
		d.Live = "/deliveries/live" + d.OlderBase
		if snap != nil {
			d.Live += "&after=" + strconv.FormatUint(snap.Last, 10)
		}
	}
	c.renderStatus(w, r, status, "deliveries", "Deliveries", d)
}

// page is the page of messages dq asks for. The newest page comes from the stream's shared
// sample when that holds it, and the sample is returned with it (for a quiet stream it is as
// fresh as a read of the page's own). An older page, or a filter that the sample holds too few
// of, is read from the stream, and the sample is nil.
func (d deliveries) page(ctx context.Context, dq deliveryQuery) (jsview.Page, *sample, error) {
	if dq.Before == 0 {
		subject, err := dq.Stream.Subject(dq.Filter)
		if err != nil {
			return jsview.Page{}, nil, err
		}
		snap, err := d.sample(ctx, dq.Stream)
		if err != nil {
			return jsview.Page{}, nil, err
		}
		if p, ok := snap.page(subject, jsview.DefaultLimit); ok {
			return p, &snap, nil
		}
	}
	page, err := d.view.Messages(ctx, dq.Stream, dq.Filter, jsview.DefaultLimit, dq.Before)
	return page, nil, err
}

// deliveriesLive streams, as server-sent events, the messages the page's filter selects that
// are stored after the request arrived, until the client goes. Once a tick it sends at most
// perTick of the newest, oldest first, and tells the page how many more it left out: the
// stream is polled, not followed, so a busy bridge costs a live view no more than a quiet one.
func (c *Console) deliveriesLive(w http.ResponseWriter, r *http.Request) {
	dq, err := c.dl.parseQuery(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	select {
	case <-c.dl.closing:
		http.Error(w, "the bridge is shutting down", http.StatusServiceUnavailable)
		return
	default:
	}
	select {
	case c.dl.live <- struct{}{}:
		defer func() { <-c.dl.live }()
	default:
		http.Error(w, fmt.Sprintf("too many live views open (at most %d): close one and reload", MaxLiveViews), http.StatusServiceUnavailable)
		return
	}
	last, err := c.dl.last(r.Context(), dq.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		http.Error(w, "stream "+dq.Stream.Name+" does not exist yet", http.StatusNotFound)
		return
	}
	if err != nil {
		c.cfg.Log.Warn("console: opening a live view", "stream", dq.Stream.Name, "error", err)
		http.Error(w, "the live view could not be opened", http.StatusServiceUnavailable)
		return
	}
	after := liveStart(dq, r.Header.Get("Last-Event-ID"), last)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on as it comes
	w.WriteHeader(http.StatusOK)
	// Everything stored from now on is above after: tell the page, which may then publish or wait.
	if _, err := fmt.Fprint(w, "retry: 3000\n: live\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	beat := time.NewTicker(c.dl.heartbeat)
	defer beat.Stop()
	tick := time.NewTicker(c.dl.tick)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.dl.closing:
			return
		case <-tick.C:
			if after, err = c.sendNewer(r.Context(), w, dq, after); err != nil {
				return // the page's EventSource reconnects
			}
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return
			}
		}
		if rc.Flush() != nil {
			return
		}
	}
}

// liveStart is the sequence after which a live view starts: where the page's EventSource got
// to before it reconnected (its Last-Event-ID, the id of the last poll it received), else
// where the page that opened it read (dq.After), else the stream's last sequence now. Never
// past last: a sequence from the client cannot hold the view back.
func liveStart(dq deliveryQuery, lastEventID string, last uint64) uint64 {
	if id, err := strconv.ParseUint(lastEventID, 10, 64); err == nil {
		return min(id, last)
	}
	if dq.HasAfter {
		return min(dq.After, last)
	}
	return last
}

// last is the stream's last sequence, read within one tick.
func (d deliveries) last(ctx context.Context, s jsview.Stream) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, d.pollTimeout())
	defer cancel()
	return d.view.Last(ctx, s)
}

// pollTimeout bounds one poll: a poll that outlives its tick would only queue behind itself.
func (d deliveries) pollTimeout() time.Duration {
	return max(d.tick, time.Second)
}

// sendNewer writes, as events, the newest messages dq selects above after, and a skipped
// event for those it left out; it returns the after of the next poll.
func (c *Console) sendNewer(ctx context.Context, w http.ResponseWriter, dq deliveryQuery, after uint64) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, max(c.dl.pollTimeout(), readTimeout)) // it may wait for the stream's shared read
	defer cancel()
	subject, err := dq.Stream.Subject(dq.Filter)
	if err != nil {
		return after, err
	}
	snap, err := c.dl.sample(ctx, dq.Stream)
	if err != nil {
		c.cfg.Log.Warn("console: polling a live view", "stream", dq.Stream.Name, "error", err)
		return after, err
	}
	t := snap.since(subject, c.dl.perTick, after)
	for _, m := range t.Messages {
		data, err := json.Marshal(newRow(dq.Stream, m))
		if err != nil {
			return after, err
		}
		if _, err := fmt.Fprintf(w, "event: delivery\ndata: %s\n\n", data); err != nil {
			return after, err
		}
	}
	if t.Passed > 0 {
		if _, err := fmt.Fprintf(w, "event: skipped\ndata: %d\n\n", t.Passed); err != nil {
			return after, err
		}
	}
	if t.Last > after {
		// The page's EventSource sends this back as Last-Event-ID when it reconnects.
		if _, err := fmt.Fprintf(w, "id: %d\n\n", t.Last); err != nil {
			return after, err
		}
	}
	return t.Last, nil
}

// attr is a name and value the detail lists.
type attr struct {
	Name, Value string
}

// detailData is one message's page.
type detailData struct {
	Row        deliveryRow
	Attributes []attr
	Extensions []attr
	Headers    []attr
	Body       shownBody
	Back       string
}

// deliveryDetail serves one message by stream and sequence: its CloudEvent attributes, its
// extensions, its other headers and its body.
func (c *Console) deliveryDetail(w http.ResponseWriter, r *http.Request) {
	s, err := c.dl.stream(r.PathValue("stream"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		http.Error(w, fmt.Sprintf("sequence %q: want a stream sequence above 0", r.PathValue("seq")), http.StatusNotFound)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	m, err := c.dl.view.Message(ctx, s, seq)
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		http.Error(w, fmt.Sprintf("%s holds no message at %d: it was never stored, or was deleted or aged out", s.Name, seq), http.StatusNotFound)
		return
	case errors.Is(err, jetstream.ErrStreamNotFound):
		http.Error(w, "stream "+s.Name+" does not exist yet", http.StatusNotFound)
		return
	case err != nil:
		c.cfg.Log.Warn("console: reading a delivery", "stream", s.Name, "seq", seq, "error", err)
		http.Error(w, "the message could not be read", http.StatusServiceUnavailable)
		return
	}
	d := detailData{
		Row:        newRow(s, m),
		Extensions: sortedAttrs(m.Event.Extensions),
		Body:       c.body(r.Context(), m),
		Back:       "/deliveries?" + url.Values{"stream": {s.Name}}.Encode(),
	}
	e := m.Event
	for _, a := range []attr{
		{"id", e.ID}, {"type", e.Type}, {"source", e.Source}, {"subject", e.Subject},
		{"time", eventTime(e.Time)}, {"specversion", e.SpecVersion},
		{"datacontenttype", e.DataContentType}, {"dataschema", e.DataSchema},
	} {
		if a.Value != "" {
			d.Attributes = append(d.Attributes, a)
		}
	}
	for k, vs := range m.Header {
		d.Headers = append(d.Headers, attr{k, strings.Join(vs, ", ")})
	}
	slices.SortFunc(d.Headers, func(a, b attr) int { return strings.Compare(a.Name, b.Name) })
	c.render(w, r, "delivery", s.Name+" #"+strconv.FormatUint(seq, 10), false, d)
}

func eventTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func sortedAttrs(m map[string]string) []attr {
	out := make([]attr, 0, len(m))
	for k, v := range m {
		out = append(out, attr{k, v})
	}
	slices.SortFunc(out, func(a, b attr) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// renderStatus is render with a status other than 200.
func (c *Console) renderStatus(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	if status == http.StatusOK {
		c.render(w, r, name, title, false, data)
		return
	}
	c.render(&statusWriter{ResponseWriter: w, status: status}, r, name, title, false, data)
}

// statusWriter sends its status instead of the 200 a page's first write would.
type statusWriter struct {
	http.ResponseWriter
	status int
	sent   bool
}

func (s *statusWriter) WriteHeader(int) {
	if !s.sent {
		s.sent = true
		s.ResponseWriter.WriteHeader(s.status)
	}
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.WriteHeader(s.status)
	return s.ResponseWriter.Write(b)
}
