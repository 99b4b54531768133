package console

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookbridge/hookbridge/cmd/internal/console/jsview"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// deliveriesFixture is a console over a real WEBHOOKS stream, with COMMERCE configured but
// not created (as before the normaliser's first start).
type deliveriesFixture struct {
	c  *Console
	js jetstream.JetStream
	t  *testing.T
}

func newDeliveriesFixture(t *testing.T, hideBodies bool) *deliveriesFixture {
	t.Helper()
	js := startWebhooks(t)
	c, err := New(Config{
		Sources:    []Source{{Name: "shop", Provider: "shopify"}, {Name: "pay", Provider: "stripe"}},
		Gatherer:   prometheus.NewRegistry(),
		Ready:      func(context.Context) error { return nil },
		JS:         js,
		Streams:    []string{"WEBHOOKS", "COMMERCE"},
		HideBodies: hideBodies,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &deliveriesFixture{c: c, js: js, t: t}
}

// publish stores a CloudEvent as the bridge does and returns its sequence.
func (f *deliveriesFixture) publish(subject, id, typ string, body []byte) uint64 {
	f.t.Helper()
	return f.store(f.msg(subject, id, typ, body))
}

// msg is a CloudEvent as the bridge publishes it.
func (f *deliveriesFixture) msg(subject, id, typ string, body []byte) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Header.Set("ce-specversion", "1.0")
	m.Header.Set("ce-id", id)
	m.Header.Set("ce-type", typ)
	m.Header.Set("ce-source", "acme.myshopify.com")
	m.Header.Set("ce-time", "2026-11-27T12:00:00.5Z")
	m.Header.Set("ce-datacontenttype", "application/json")
	m.Header.Set("ce-traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	m.Header.Set(jetstream.MsgIDHeader, "src:"+id)
	m.Data = body
	return m
}

// store publishes m and returns its sequence.
func (f *deliveriesFixture) store(m *nats.Msg) uint64 {
	f.t.Helper()
	pa, err := f.js.PublishMsg(context.Background(), m)
	if err != nil {
		f.t.Fatal(err)
	}
	return pa.Sequence
}

func (f *deliveriesFixture) get(path string) (int, string) {
	f.t.Helper()
	w := httptest.NewRecorder()
	f.c.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(body)
}

// rowSeqs is the sequences of the list's rows, in the page's order.
func rowSeqs(body string) []string {
	var out []string
	for _, part := range strings.Split(body, `<tr data-seq="`)[1:] {
		out = append(out, part[:strings.IndexByte(part, '"')])
	}
	return out
}

// TestDeliveriesList: the newest first, each row with its time, sequence (a link to the
// detail), source, provider and type, event id and subject; source, provider and type
// filters narrow the list; untrusted text is escaped.
func TestDeliveriesList(t *testing.T) {
	f := newDeliveriesFixture(t, false)
	f.publish("webhooks.shopify.shop.orders.create", "o-1", "com.shopify.orders.create", []byte(`{}`))
	f.publish("webhooks.stripe.pay.charge.succeeded", "ch-1", "com.stripe.charge.succeeded", []byte(`{}`))
	f.publish("webhooks.shopify.shop.orders.paid", "<script>alert(1)</script>", "com.shopify.orders.paid", []byte(`{}`))

	code, body := f.get("/deliveries")
	if code != 200 {
		t.Fatalf("GET /deliveries: %d\n%s", code, body)
	}
	if got := strings.Join(rowSeqs(body), ","); got != "3,2,1" {
		t.Errorf("rows %s, want the newest first: 3,2,1", got)
	}
	for _, want := range []string{
		`<a href="/deliveries/WEBHOOKS/1">1</a>`,
		`<td data-label="Provider · type">shopify<small>com.shopify.orders.create</small></td>`,
		`<td data-label="Source">shop</td>`, `<td class="id" data-label="Event id">o-1</td>`,
		`<td class="subject" data-label="Subject">webhooks.shopify.shop.orders.create</td>`,
		`<td data-label="Stored">2026-`, // the time the stream stored it
		`&lt;script&gt;alert(1)&lt;/script&gt;`,
		`data-live="/deliveries/live?stream=WEBHOOKS&amp;after=3"`, // it starts where the page read
		`href="/deliveries?stream=COMMERCE"`,                       // the other stream's tab
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the list lacks %s", want)
		}
	}
	if strings.Contains(body, "<script>alert") {
		t.Error("an event id reached the page unescaped")
	}
	for q, want := range map[string]string{
		"source=shop":                     "3,1",
		"provider=stripe":                 "2",
		"source=shop&type=orders/create":  "1",
		"source=shop&type=orders.paid":    "3",
		"source=pay&type=orders/create":   "",
		"provider=shopify&source=unknown": "",
	} {
		code, body := f.get("/deliveries?" + q)
		if got := strings.Join(rowSeqs(body), ","); code != 200 || got != want {
			t.Errorf("%s: %d rows %q, want %q", q, code, got, want)
		}
		if want == "" && !strings.Contains(body, `id="no-deliveries"`) {
			t.Errorf("%s: no rows and no word saying so", q)
		}
		if !strings.Contains(body, "/deliveries/live?") {
			t.Errorf("%s: the live view is not filtered as the page", q)
		}
	}
	if _, body := f.get("/deliveries?source=shop&type=orders.paid"); !strings.Contains(body, `data-live="/deliveries/live?source=shop&amp;stream=WEBHOOKS&amp;type=orders.paid&amp;after=3"`) {
		t.Error("the live view does not carry the page's filter")
	}
}

// TestDeliveriesBadQuery: a filter that cannot select anything, an unknown stream or a bad
// cursor is a 400 that says what is wrong, with the form still there to fix it.
func TestDeliveriesBadQuery(t *testing.T) {
	f := newDeliveriesFixture(t, false)
	for q, want := range map[string]string{
		"source=a+b":                 "bad filter: source &#34;a b&#34;: want [a-z0-9_-]&#43;",
		"provider=shop.*":            "bad filter: provider &#34;shop.*&#34;: want [a-z0-9_-]&#43;",
		"type=//":                    "bad filter: type &#34;//&#34; has no subject token",
		"stream=COMMERCE&type=a.b.c": "want &lt;entity&gt; or &lt;entity&gt;.&lt;action&gt;",
		"stream=KV_secrets":          "stream &#34;KV_secrets&#34;: not one this console shows (WEBHOOKS, COMMERCE)",
		"before=x":                   "before &#34;x&#34;: want a stream sequence above 0",
		"before=0":                   "want a stream sequence above 0",
	} {
		code, body := f.get("/deliveries?" + q)
		if code != 400 {
			t.Errorf("%s: %d, want 400", q, code)
		}
		if !strings.Contains(body, want) {
			t.Errorf("%s: the page does not say %s", q, want)
		}
		if !strings.Contains(body, `<form class="filter"`) {
			t.Errorf("%s: no form to correct the filter", q)
		}
	}
	if code, _ := f.get("/deliveries/live?source=a+b"); code != 400 {
		t.Errorf("a live view with a bad filter: %d, want 400", code)
	}
}

// TestDeliveriesPaging: a page holds 50; Older goes on from the oldest shown; the last page
// has no Older and leads back to the newest; an older page is not live.
func TestDeliveriesPaging(t *testing.T) {
	f := newDeliveriesFixture(t, false)
	for i := range 60 {
		f.publish("webhooks.shopify.shop.orders.create", fmt.Sprint("o-", i), "com.shopify.orders.create", nil)
	}
	_, body := f.get("/deliveries?source=shop")
	seqs := rowSeqs(body)
	if len(seqs) != 50 || seqs[0] != "60" || seqs[49] != "11" {
		t.Fatalf("the first page: %d rows from %v", len(seqs), seqs)
	}
	older := `<a id="older" href="/deliveries?before=11&amp;source=shop&amp;stream=WEBHOOKS"`
	if !strings.Contains(body, older) {
		t.Fatalf("no Older link %s", older)
	}
	_, body = f.get("/deliveries?before=11&source=shop&stream=WEBHOOKS")
	if got := strings.Join(rowSeqs(body), ","); got != "10,9,8,7,6,5,4,3,2,1" {
		t.Errorf("the older page: %s", got)
	}
	if strings.Contains(body, "data-live=") {
		t.Error("an older page is live: new deliveries would land among old ones")
	}
	if !strings.Contains(body, `<a id="older" href="/deliveries" data-base="/deliveries?source=shop&amp;stream=WEBHOOKS" hidden>`) {
		t.Error("the last page offers an older one")
	}
	if !strings.Contains(body, `href="/deliveries?source=shop&amp;stream=WEBHOOKS">« Newest</a>`) {
		t.Error("the older page has no way back to the newest")
	}
}

// TestDeliveriesMissingStream: COMMERCE before the normaliser created it is a 404 that says
// so, for the page and for its live view.
func TestDeliveriesMissingStream(t *testing.T) {
	f := newDeliveriesFixture(t, false)
	code, body := f.get("/deliveries?stream=COMMERCE")
	if code != 404 || !strings.Contains(body, "stream COMMERCE does not exist yet") {
		t.Errorf("%d\n%s", code, body)
	}
	if code, body := f.get("/deliveries/live?stream=COMMERCE"); code != 404 {
		t.Errorf("live: %d %s", code, body)
	}
}

// TestDeliveryDetail: one message shows its CloudEvent attributes, extensions, other headers
// and its body pretty-printed with its size; a missing or malformed sequence or an unknown
// stream is a 404.
func TestDeliveryDetail(t *testing.T) {
	f := newDeliveriesFixture(t, false)
	seq := f.publish("webhooks.shopify.shop.orders.create", "o-1", "com.shopify.orders.create", []byte(`{"id":1,"note":"<b>hi</b>"}`))
	text := f.publish("webhooks.shopify.shop.orders.create", "o-2", "com.shopify.orders.create", []byte(`id=2&note=plain`))
	code, body := f.get(fmt.Sprintf("/deliveries/WEBHOOKS/%d", seq))
	if code != 200 {
		t.Fatalf("%d\n%s", code, body)
	}
	for _, want := range []string{
		"<dt>id</dt><dd>o-1</dd>", "<dt>type</dt><dd>com.shopify.orders.create</dd>",
		"<dt>source</dt><dd>acme.myshopify.com</dd>", "<dt>time</dt><dd>2026-11-27T12:00:00.5Z</dd>",
		"<dt>datacontenttype</dt><dd>application/json</dd>",
		`<dt>traceparent</dt><dd>00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01</dd>`,
		"<dt>Nats-Msg-Id</dt><dd>src:o-1</dd>",
		"<dt>Source</dt><dd>shop</dd>", "<dt>Provider</dt><dd>shopify</dd>",
		`id="body-size">27 B</small>`,
		"data-kind=\"JSON\">{\n  &#34;id&#34;: 1,\n  &#34;note&#34;: &#34;&lt;b&gt;hi&lt;/b&gt;&#34;\n}</pre>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the detail lacks %s", want)
		}
	}
	if _, body := f.get(fmt.Sprintf("/deliveries/WEBHOOKS/%d", text)); !strings.Contains(body, `data-kind="text">id=2&amp;note=plain</pre>`) {
		t.Error("a text body is not shown as text")
	}
	for path, want := range map[string]string{
		"/deliveries/WEBHOOKS/999": "WEBHOOKS holds no message at 999",
		"/deliveries/WEBHOOKS/abc": `sequence "abc": want a stream sequence above 0`,
		"/deliveries/WEBHOOKS/0":   "want a stream sequence above 0",
		"/deliveries/NOPE/1":       `stream "NOPE": not one this console shows`,
		"/deliveries/COMMERCE/1":   "stream COMMERCE does not exist yet",
	} {
		if code, body := f.get(path); code != 404 || !strings.Contains(body, want) {
			t.Errorf("%s: %d %q, want 404 saying %s", path, code, body, want)
		}
	}
}

// TestDeliveryBodiesHidden: with hide_bodies the detail shows the size and a note, never the
// body, and the attributes still.
func TestDeliveryBodiesHidden(t *testing.T) {
	f := newDeliveriesFixture(t, true)
	seq := f.publish("webhooks.shopify.shop.orders.create", "o-1", "com.shopify.orders.create", []byte(`{"email":"someone@example.com"}`))
	_, body := f.get(fmt.Sprintf("/deliveries/WEBHOOKS/%d", seq))
	if strings.Contains(body, "someone@example.com") || strings.Contains(body, `id="body"`) {
		t.Error("a hidden body is on the page")
	}
	for _, want := range []string{`id="body-hidden"`, "hide_bodies", `id="body-size">31 B<`, "<dt>id</dt><dd>o-1</dd>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the detail lacks %s", want)
		}
	}
}

// liveClient reads a live view over real HTTP.
type liveClient struct {
	resp   *http.Response
	lines  *bufio.Scanner
	cancel context.CancelFunc
}

// openLive connects to the live view at path and waits for its first comment, sent once the
// server's consumer exists.
func openLive(t *testing.T, srv *httptest.Server, path string) *liveClient {
	t.Helper()
	return openLiveWith(t, srv, path, nil)
}

// openLiveWith is openLive with the request's headers h, as a reconnecting EventSource sends.
func openLiveWith(t *testing.T, srv *httptest.Server, path string, h http.Header) *liveClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), natstest.Patience)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	lc := &liveClient{resp: resp, lines: bufio.NewScanner(resp.Body), cancel: cancel}
	t.Cleanup(lc.close)
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	if got := lc.next(t, ": "); got != ": live" {
		t.Fatalf("first comment %q", got)
	}
	return lc
}

func (lc *liveClient) close() {
	lc.cancel()
	lc.resp.Body.Close()
}

// next is the next line that starts with prefix.
func (lc *liveClient) next(t *testing.T, prefix string) string {
	t.Helper()
	for lc.lines.Scan() {
		if strings.HasPrefix(lc.lines.Text(), prefix) {
			return lc.lines.Text()
		}
	}
	t.Fatalf("the stream ended before a line starting %q: %v", prefix, lc.lines.Err())
	return ""
}

// TestDeliveriesLive: a client connected to the live view gets, as a server-sent event, a
// message published after it connected, and only those its filter selects; when the client
// goes, its slot is given back.
func TestDeliveriesLive(t *testing.T) {
	f := newDeliveriesFixture(t, false)
	f.publish("webhooks.shopify.shop.orders.create", "before", "com.shopify.orders.create", nil)
	srv := httptest.NewServer(f.c)
	t.Cleanup(srv.Close) // after the clients' own cleanups: Close waits for them
	lc := openLive(t, srv, "/deliveries/live?source=shop")
	f.publish("webhooks.stripe.pay.charge.succeeded", "ch-1", "com.stripe.charge.succeeded", nil)
	seq := f.publish("webhooks.shopify.shop.orders.paid", "<i>o-2</i>", "com.shopify.orders.paid", nil)

	if ev := lc.next(t, "event: "); ev != "event: delivery" {
		t.Fatalf("event %q", ev)
	}
	var row deliveryRow
	if err := json.Unmarshal([]byte(strings.TrimPrefix(lc.next(t, "data: "), "data: ")), &row); err != nil {
		t.Fatal(err)
	}
	want := deliveryRow{Stream: "WEBHOOKS", Seq: seq, Source: "shop", Provider: "shopify", Type: "com.shopify.orders.paid", ID: "<i>o-2</i>", Subject: "webhooks.shopify.shop.orders.paid", Time: row.Time}
	if row != want {
		t.Errorf("event %+v, want %+v", row, want)
	}
	if _, err := time.Parse(timeLayout, row.Time); err != nil {
		t.Errorf("time %q: %v", row.Time, err)
	}
	if n := len(f.c.dl.live); n != 1 {
		t.Errorf("%d live views counted, want 1", n)
	}
	lc.close()
	natstest.Eventually(t, natstest.Patience, "the live view's slot to be given back", func() bool { return len(f.c.dl.live) == 0 })
}

// TestDeliveriesLiveHeartbeat: a quiet live view sends comments, so that proxies keep it open.
func TestDeliveriesLiveHeartbeat(t *testing.T) {
	f := newDeliveriesFixture(t, false)
	f.c.dl.heartbeat = 20 * time.Millisecond
	srv := httptest.NewServer(f.c)
	t.Cleanup(srv.Close) // after the clients' own cleanups: Close waits for them
	lc := openLive(t, srv, "/deliveries/live")
	if got := lc.next(t, ": "); got != ": heartbeat" {
		t.Errorf("%q, want a heartbeat comment", got)
	}
}

// TestDeliveriesLiveBound: at most MaxLiveViews live views are open at once; one more is
// refused with 503 and a reason, and is taken again once one closes.
func TestDeliveriesLiveBound(t *testing.T) {
	f := newDeliveriesFixture(t, false)
	srv := httptest.NewServer(f.c)
	t.Cleanup(srv.Close) // after the clients' own cleanups: Close waits for them
	var open []*liveClient
	for range MaxLiveViews {
		open = append(open, openLive(t, srv, "/deliveries/live"))
	}
	resp, err := srv.Client().Get(srv.URL + "/deliveries/live")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(b), fmt.Sprintf("at most %d", MaxLiveViews)) {
		t.Fatalf("one live view too many: %d %s", resp.StatusCode, b)
	}
	open[0].close()
	natstest.Eventually(t, natstest.Patience, "a slot to free", func() bool { return len(f.c.dl.live) < MaxLiveViews })
	openLive(t, srv, "/deliveries/live")
}

// TestDeliveriesLiveClose: Close ends open live views (a graceful shutdown would otherwise
// wait for them) and refuses new ones, while the pages are still served.
func TestDeliveriesLiveClose(t *testing.T) {
	f := newDeliveriesFixture(t, false)
	srv := httptest.NewServer(f.c)
	t.Cleanup(srv.Close)
	lc := openLive(t, srv, "/deliveries/live")
	f.c.Close()
	for lc.lines.Scan() {
	}
	if err := lc.lines.Err(); err != nil {
		t.Fatalf("the live view did not end cleanly: %v", err)
	}
	f.c.Close()
	if code, _ := f.get("/deliveries/live"); code != 503 {
		t.Errorf("a live view after Close: %d, want 503", code)
	}
	if code, _ := f.get("/deliveries"); code != 200 {
		t.Errorf("the list after Close: %d", code)
	}
}

// TestDeliveriesLiveRate: a live view sends at most its bound of deliveries a tick, the
// newest, in stream order, and tells the page how many it left out, so that a busy bridge
// does not flood the page (or spend its machine on it); nothing is lost from the count.
func TestDeliveriesLiveRate(t *testing.T) {
	f := newDeliveriesFixture(t, false)
	f.c.dl.perTick = 2
	f.c.dl.tick = 50 * time.Millisecond
	srv := httptest.NewServer(f.c)
	t.Cleanup(srv.Close)
	lc := openLive(t, srv, "/deliveries/live")
	start := time.Now()
	const n = 10
	var last uint64
	for i := range n {
		last = f.publish("webhooks.shopify.shop.orders.create", fmt.Sprint("o-", i), "com.shopify.orders.create", nil)
	}
	published := time.Since(start)
	seqs, skipped := lc.collect(t, n)
	delivered := len(seqs)
	// Sent while publishing: at most 2 in each tick the publishing touched.
	if ticks := int(published/f.c.dl.tick) + 2; delivered > 2*ticks {
		t.Errorf("%d deliveries sent over %s, want at most 2 a tick", delivered, published)
	}
	if delivered+skipped != n {
		t.Errorf("%d sent and %d counted as left out, want %d in all", delivered, skipped, n)
	}
	if !slices.IsSorted(seqs) || seqs[len(seqs)-1] != last {
		t.Errorf("sent %v: want stream order, ending with the newest, %d", seqs, last)
	}
}

// fakeClock is a clock a test moves by hand, safe for concurrent use.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) add(d time.Duration) { c.ns.Add(int64(d)) }

// reads is how many times the console read messages of WEBHOOKS.
func (f *deliveriesFixture) reads() int {
	n := f.c.dl.newest["WEBHOOKS"]
	n.turn <- struct{}{}
	defer func() { <-n.turn }()
	return n.reads
}

// collect reads a live view's events until they account for n deliveries, sent or counted
// as left out, and returns the sequences sent.
func (lc *liveClient) collect(t *testing.T, n int) (seqs []uint64, skipped int) {
	t.Helper()
	for len(seqs)+skipped < n {
		switch ev := lc.next(t, "event: "); ev {
		case "event: delivery":
			var row deliveryRow
			if err := json.Unmarshal([]byte(strings.TrimPrefix(lc.next(t, "data: "), "data: ")), &row); err != nil {
				t.Fatal(err)
			}
			seqs = append(seqs, row.Seq)
		case "event: skipped":
			k, err := strconv.Atoi(strings.TrimPrefix(lc.next(t, "data: "), "data: "))
			if err != nil || k <= 0 {
				t.Fatalf("skipped %d, %v", k, err)
			}
			skipped += k
		default:
			t.Fatalf("event %q", ev)
		}
	}
	if len(seqs)+skipped != n {
		t.Fatalf("%d sent and %d counted as left out, want %d", len(seqs), skipped, n)
	}
	return seqs, skipped
}

// TestDeliveriesSharedReads: the live views and the page of a stream read its newest messages
// together: two live views with different filters cost one read of a new delivery. Once the
// stream stores more a tick than a live view can show, it is read only every busy interval,
// whoever asks: the page shows the last read and says when it was made, the live views send
// nothing new until the next read, and then a sample and the count of what they left out. When
// the stream quiets down, it is read every tick again. Nothing is sent twice or lost from the
// count.
func TestDeliveriesSharedReads(t *testing.T) {
	f := newDeliveriesFixture(t, false)
	ck := new(fakeClock)
	ck.add(time.Duration(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC).UnixNano()))
	f.c.dl.newest["WEBHOOKS"].now = ck.now
	f.c.dl.tick = 20 * time.Millisecond
	f.c.dl.busy = time.Minute // on the fake clock
	srv := httptest.NewServer(f.c)
	t.Cleanup(srv.Close)
	all := openLive(t, srv, "/deliveries/live")
	shop := openLive(t, srv, "/deliveries/live?source=shop")
	publish := func(n int) {
		for i := range n {
			f.publish("webhooks.shopify.shop.orders.create", fmt.Sprint("o-", f.reads(), "-", i), "com.shopify.orders.create", nil)
		}
	}

	publish(1)
	ck.add(f.c.dl.tick)
	if seqs, _ := all.collect(t, 1); seqs[0] != 1 {
		t.Fatalf("the first delivery: %v", seqs)
	}
	if seqs, _ := shop.collect(t, 1); seqs[0] != 1 {
		t.Fatalf("the first delivery, filtered: %v", seqs)
	}
	if n := f.reads(); n != 1 {
		t.Errorf("two live views read the stream %d times for one delivery, want once", n)
	}

	// 600 in a tick: busy.
	publish(600)
	ck.add(f.c.dl.tick)
	seqs, skipped := all.collect(t, 600)
	if len(seqs) != f.c.dl.perTick || seqs[0] != 582 || seqs[len(seqs)-1] != 601 || !slices.IsSorted(seqs) {
		t.Errorf("busy: sent %v (and %d left out), want the newest %d in order", seqs, skipped, f.c.dl.perTick)
	}
	_, body := f.get("/deliveries")
	if rows := rowSeqs(body); len(rows) != 50 || rows[0] != "601" {
		t.Fatalf("the page of a busy stream: %v", rows)
	}
	if !strings.Contains(body, `id="sampled"`) || !strings.Contains(body, ck.now().Format(timeLayout)) {
		t.Errorf("the page does not say it shows a busy stream as read at %s:\n%s", ck.now().Format(timeLayout), body)
	}

	// Before the busy interval has passed nothing reads the stream again.
	publish(5)
	ck.add(f.c.dl.tick)
	_, body = f.get("/deliveries")
	if rows := rowSeqs(body); rows[0] != "601" {
		t.Errorf("a busy stream was read again within its interval: the page starts at %s", rows[0])
	}
	if n := f.reads(); n != 2 {
		t.Errorf("%d reads, want 2: the busy stream's read is shared", n)
	}

	// Past it, the stream is read again; 5 in a minute is quiet.
	ck.add(f.c.dl.busy)
	_, body = f.get("/deliveries")
	if rows := rowSeqs(body); rows[0] != "606" || strings.Contains(body, `id="sampled"`) {
		t.Errorf("after the busy interval the page starts at %s, sampled note %v", rows[0], strings.Contains(body, `id="sampled"`))
	}
	if more, skipped := all.collect(t, 5); skipped != 0 || !slices.Equal(more, []uint64{602, 603, 604, 605, 606}) {
		t.Errorf("after the busy interval the live view sent %v and left out %d, want 602..606", more, skipped)
	}
	publish(1)
	ck.add(f.c.dl.tick)
	if more, _ := all.collect(t, 1); more[0] != 607 {
		t.Errorf("quiet again: sent %v, want 607", more)
	}
}

// TestDeliveriesStreamMadeAnew: a stream deleted and made again starts its sequences over; the
// shared read starts over with it instead of waiting for the old last sequence.
func TestDeliveriesStreamMadeAnew(t *testing.T) {
	f := newDeliveriesFixture(t, false)
	ck := new(fakeClock)
	f.c.dl.newest["WEBHOOKS"].now = ck.now
	for i := range 3 {
		f.publish("webhooks.shopify.shop.orders.create", fmt.Sprint("old-", i), "com.shopify.orders.create", nil)
	}
	if _, body := f.get("/deliveries"); strings.Join(rowSeqs(body), ",") != "3,2,1" {
		t.Fatalf("before: %v", rowSeqs(body))
	}
	ctx := context.Background()
	cfg, err := f.js.Stream(ctx, "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.js.DeleteStream(ctx, "WEBHOOKS"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.js.CreateStream(ctx, cfg.CachedInfo().Config); err != nil {
		t.Fatal(err)
	}
	f.publish("webhooks.shopify.shop.orders.create", "new", "com.shopify.orders.create", nil)
	ck.add(f.c.dl.tick)
	_, body := f.get("/deliveries")
	if got := strings.Join(rowSeqs(body), ","); got != "1" || !strings.Contains(body, ">new<") {
		t.Errorf("after the stream was made anew: rows %s", got)
	}
}

// TestBusyFromStoredTimes: more than busyPerTick messages stored within one tick make a read
// busy by itself; as many spread over more than a tick, or fewer, do not.
func TestBusyFromStoredTimes(t *testing.T) {
	const tick = time.Second
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	read := func(n int, every time.Duration) []jsview.Message {
		ms := make([]jsview.Message, n)
		for i := range ms {
			ms[i] = jsview.Message{Seq: uint64(i + 1), Stored: start.Add(time.Duration(i) * every)}
		}
		start = start.Add(time.Duration(n) * every)
		return ms
	}
	for _, c := range []struct {
		name string
		read []jsview.Message
		want bool
	}{
		{"none", nil, false},
		{"busyPerTick+1 within a tick", read(busyPerTick+1, tick/time.Duration(busyPerTick+1)), true},
		{"busyPerTick+1 over a tick", read(busyPerTick+1, tick/time.Duration(busyPerTick)), false},
		{"busyPerTick at once", read(busyPerTick, 0), false},
		{"a burst at the end of a slow read", append(read(400, tick), read(busyPerTick+1, 0)...), true},
	} {
		if got := busy(c.read, tick); got != c.want {
			t.Errorf("%s: busy %v, want %v", c.name, got, c.want)
		}
	}
}

// TestDeliveriesLiveResumes: a live view starts where the page that opened it read (after),
// so that what was stored in between still shows; a reconnecting page resumes where its last
// poll got to (Last-Event-ID, the id each poll that moved sends), so that nothing shows twice;
// and a start past the stream's end is the end, so that it cannot hold the view back.
func TestDeliveriesLiveResumes(t *testing.T) {
	f := newDeliveriesFixture(t, false)
	f.c.dl.tick = 20 * time.Millisecond
	srv := httptest.NewServer(f.c)
	t.Cleanup(srv.Close)
	publish := func(id string) uint64 {
		return f.publish("webhooks.shopify.shop.orders.create", id, "com.shopify.orders.create", nil)
	}
	read := publish("read-by-the-page")
	between := publish("stored-before-the-live-view")

	lc := openLive(t, srv, "/deliveries/live?after="+strconv.FormatUint(read, 10))
	if seqs, _ := lc.collect(t, 1); seqs[0] != between {
		t.Errorf("from after=%d the view sent %v first, want %d", read, seqs, between)
	}
	if id := lc.next(t, "id: "); id != "id: "+strconv.FormatUint(between, 10) {
		t.Errorf("the poll's id %q, want %d", id, between)
	}

	again := openLiveWith(t, srv, "/deliveries/live?after="+strconv.FormatUint(read, 10), http.Header{"Last-Event-Id": {strconv.FormatUint(between, 10)}})
	ahead := openLive(t, srv, "/deliveries/live?after=99999")
	next := publish("after-the-reconnect")
	if seqs, _ := again.collect(t, 1); seqs[0] != next {
		t.Errorf("a reconnected view sent %v first, want %d: it resumes at its Last-Event-ID", seqs, next)
	}
	if seqs, _ := ahead.collect(t, 1); seqs[0] != next {
		t.Errorf("a view opened past the stream's end sent %v first, want %d", seqs, next)
	}
	if code, _ := f.get("/deliveries/live?after=x"); code != 400 {
		t.Errorf("after=x: %d, want 400", code)
	}
}

// TestDeliveriesBusyByBytes: a stream that stores few but large messages fills message
// blocks as fast as one that stores many small ones, and is read as seldom.
func TestDeliveriesBusyByBytes(t *testing.T) {
	f := newDeliveriesFixture(t, false)
	ck := new(fakeClock)
	f.c.dl.newest["WEBHOOKS"].now = ck.now
	body := []byte(`"` + strings.Repeat("x", 4<<10) + `"`)
	publish := func(n int) {
		for i := range n {
			f.publish("webhooks.shopify.shop.orders.create", fmt.Sprint("o-", f.reads(), "-", i), "com.shopify.orders.create", body)
		}
	}
	publish(1)
	f.get("/deliveries")
	n := busyBytesPerTick/len(body) + 1 // fewer than busyPerTick
	publish(n)
	ck.add(f.c.dl.tick)
	if _, page := f.get("/deliveries"); !strings.Contains(page, `id="sampled"`) {
		t.Fatalf("%d messages of %d bytes in a tick did not make the stream busy", n, len(body))
	}
	publish(1)
	ck.add(f.c.dl.tick)
	if _, page := f.get("/deliveries"); rowSeqs(page)[0] != strconv.Itoa(n+1) {
		t.Errorf("a busy stream was read again within its interval: the page starts at %s", rowSeqs(page)[0])
	}
}
