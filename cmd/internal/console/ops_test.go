package console

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookbridge/hookbridge/cmd/internal/console/jsview"
	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

const ordersFilter = "webhooks.shopify.*.orders.>"

// publishOrder stores an order CloudEvent with id on WEBHOOKS, as the bridge would, with a
// body that holds personal data.
func publishOrder(t *testing.T, js jetstream.JetStream, id string) {
	t.Helper()
	ev := event.New()
	ev.SetID(id)
	ev.SetType("com.shopify.orders.create")
	ev.SetSource("shop.myshopify.com")
	if err := ev.SetData("application/json", map[string]string{"id": id, "email": "someone@example.com"}); err != nil {
		t.Fatal(err)
	}
	m, err := consumers.EncodeEvent(context.Background(), "webhooks.shopify.shop.orders.create", ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

// poison runs consumer "orders" (refuseOrders), publishes the orders ids and waits for each
// to be dead-lettered. It returns the dead letters' sequences by id, and the switch.
func poison(t *testing.T, js jetstream.JetStream, ids ...string) (map[string]uint64, *atomic.Bool) {
	t.Helper()
	refuse := refuseOrders(t, js)
	for _, id := range ids {
		publishOrder(t, js, id)
	}
	return deadLettersOf(t, js, len(ids)), refuse
}

// refuseOrders runs consumer "orders" (consumers.Run, as a team's program) until the test
// ends; its handler refuses every order permanently while the returned switch is on.
func refuseOrders(t *testing.T, js jetstream.JetStream) *atomic.Bool {
	t.Helper()
	refuse := new(atomic.Bool)
	refuse.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- consumers.Run(ctx, js, consumers.Config{Name: "orders", FilterSubjects: []string{ordersFilter}},
			func(context.Context, event.Event) error {
				if refuse.Load() {
					return consumers.Permanent(errors.New("quantity out of bounds"))
				}
				return nil
			})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return refuse
}

// deadLettersOf waits until consumer "orders" has n dead letters and returns their
// sequences by CloudEvent id.
func deadLettersOf(t *testing.T, js jetstream.JetStream, n int) map[string]uint64 {
	t.Helper()
	v := jsview.New(js, jsview.Options{})
	seq := map[string]uint64{}
	natstest.Eventually(t, natstest.Patience, "the dead letters", func() bool {
		page, err := v.DeadLetters(context.Background(), "orders", 0, 0)
		if err != nil || len(page.DeadLetters) != n {
			return false
		}
		for _, d := range page.DeadLetters {
			seq[d.Event.ID] = d.Seq
		}
		return true
	})
	return seq
}

// post sends the form to path as the console's own page would (same origin), with the
// console's token unless token is false, and returns the answer.
func (f *fixture) post(t *testing.T, path string, form url.Values, token bool) *httptest.ResponseRecorder {
	t.Helper()
	form = maps.Clone(form)
	if token {
		form.Set(csrfFieldName, f.c.csrf)
	}
	r := httptest.NewRequest(http.MethodPost, "http://console.test"+path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Origin", "http://console.test")
	w := httptest.NewRecorder()
	f.c.ServeHTTP(w, r)
	return w
}

func contains(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(body, want) {
			t.Errorf("%s lacks %s", what, want)
		}
	}
}

// TestConsumersPage: every durable consumer with its filter and counts; one with messages
// waiting and never active is marked as needing a look, one that keeps up is not; dead
// letters are counted per consumer and link to its list.
func TestConsumersPage(t *testing.T) {
	f := newFixture(t, Auth{})
	ctx := context.Background()
	st, err := f.js.Stream(ctx, "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: "stalled", FilterSubjects: []string{ordersFilter}, AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
		t.Fatal(err)
	}
	poison(t, f.js, "p-1", "p-2")
	f.now = time.Now() // the clock the activity times are measured against

	code, body := f.get(t, "/consumers", nil)
	if code != 200 {
		t.Fatalf("GET /consumers: %d\n%s", code, body)
	}
	contains(t, "the consumers page", body,
		`<tr id="consumer-WEBHOOKS-stalled" class="stuck">`,
		"messages waiting, never active",
		`<tr id="consumer-WEBHOOKS-orders">`,
		"<code>webhooks.shopify.*.orders.&gt;</code>",
		`<a class="dead" href="/deadletters?consumer=orders">2</a>`,
		stuckRule,
	)
	// stalled: 2 pending, nothing else.
	row := body[strings.Index(body, `id="consumer-WEBHOOKS-stalled"`):]
	row = row[:strings.Index(row, "</tr>")]
	contains(t, "stalled's row", row, `<td data-label="Pending" class="num">2</td><td data-label="Ack pending" class="num">0</td><td data-label="Redelivered" class="num">0</td>`,
		`<td data-label="Lag" class="num lag">2</td>`, `<td data-label="Last active">never</td>`)
}

// TestStuckRule: lag at or above the threshold, or messages waiting with no activity for
// the idle span, is stuck; a consumer keeping up, idle with nothing to do, or paused is not.
func TestStuckRule(t *testing.T) {
	now := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		c    jsview.Consumer
		want string
	}{
		{"keeping up", jsview.Consumer{Lag: 3, LastActive: now.Add(-time.Second)}, ""},
		{"idle with nothing to do", jsview.Consumer{Lag: 0, LastActive: now.Add(-time.Hour)}, ""},
		{"never active, nothing to do", jsview.Consumer{}, ""},
		{"lag at the threshold", jsview.Consumer{Lag: stuckLag, LastActive: now}, "lag at or above 1000"},
		{"lag below the threshold", jsview.Consumer{Lag: stuckLag - 1, LastActive: now}, ""},
		{"waiting, never active", jsview.Consumer{Lag: 1}, "messages waiting, never active"},
		{"waiting, idle", jsview.Consumer{Lag: 1, LastActive: now.Add(-stuckIdle)}, "messages waiting, idle for 5m0s"},
		{"waiting, just under idle", jsview.Consumer{Lag: 1, LastActive: now.Add(-stuckIdle + time.Second)}, ""},
		{"paused", jsview.Consumer{Lag: 5000, Paused: true}, ""},
	} {
		if got := stuck(tc.c, now); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestDeadLetterPages: the list (all, one consumer's), one dead letter with its headers and
// body, and what a wrong address gets: 400 for a bad consumer or page, 404 for a sequence
// that is not a number or holds nothing.
func TestDeadLetterPages(t *testing.T) {
	f := newFixture(t, Auth{})
	seq, _ := poison(t, f.js, "p-1")
	s := strconv.FormatUint(seq["p-1"], 10)

	for _, path := range []string{"/deadletters", "/deadletters?consumer=orders"} {
		code, body := f.get(t, path, nil)
		if code != 200 {
			t.Fatalf("GET %s: %d\n%s", path, code, body)
		}
		contains(t, path, body, `<tr id="dl-`+s+`">`, "permanent: quantity out of bounds", "<code>webhooks.shopify.shop.orders.create</code>",
			`href="/deadletters/`+s+`/redrive"`, `href="/deadletters?consumer=orders"`, "orders (1)")
	}
	_, body := f.get(t, "/deadletters?consumer=orders", nil)
	contains(t, "one consumer's list", body, `href="/deadletters/redrive-all?consumer=orders"`)
	if _, body := f.get(t, "/deadletters?consumer=other", nil); !strings.Contains(body, "No dead letters of other") {
		t.Error("a consumer without dead letters does not say so")
	}

	code, body := f.get(t, "/deadletters/"+s, nil)
	if code != 200 {
		t.Fatalf("GET /deadletters/%s: %d\n%s", s, code, body)
	}
	contains(t, "the dead letter", body, "permanent: quantity out of bounds", "Hookbridge-Dead-Letter-Consumer", "p-1", "com.shopify.orders.create",
		"someone@example.com", `<pre class="body" id="body" data-kind="JSON">`)

	for path, want := range map[string]int{
		"/deadletters?consumer=a.b":            400,
		"/deadletters?consumer=*":              400,
		"/deadletters?before=x":                400,
		"/deadletters/abc":                     404,
		"/deadletters/0":                       404,
		"/deadletters/99999":                   404,
		"/deadletters/99999/redrive":           404,
		"/deadletters/0/redrive":               404,
		"/deadletters/redrive-all?consumer=a>": 400,
	} {
		code, body := f.get(t, path, nil)
		if code != want {
			t.Errorf("GET %s: %d, want %d: %s", path, code, want, body)
		}
		if want == 400 && !strings.Contains(body, "want") {
			t.Errorf("GET %s: the error does not say what is wanted: %s", path, body)
		}
	}
}

// TestDeadLetterHideBodies: with hide_bodies the dead letter's page says the body is hidden
// and shows nothing of it, headers kept; what the message carries is escaped.
func TestDeadLetterHideBodies(t *testing.T) {
	f := newFixture(t, Auth{})
	c, err := New(Config{Gatherer: prometheus.NewRegistry(), Ready: func(context.Context) error { return nil }, JS: f.js, Streams: []string{"WEBHOOKS"}, HideBodies: true})
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	const id = "<img src=x onerror=alert(1)>"
	seq, _ := poison(t, f.js, id)
	code, body := f.get(t, "/deadletters/"+strconv.FormatUint(seq[id], 10), nil)
	if code != 200 {
		t.Fatalf("%d\n%s", code, body)
	}
	contains(t, "the dead letter", body, `id="body-hidden"`, "Hookbridge-Dead-Letter-Consumer", "&lt;img src=x onerror=alert(1)&gt;")
	if strings.Contains(body, "<img") {
		t.Error("the event's id reached the page as markup")
	}
	if strings.Contains(body, "someone@example.com") || strings.Contains(body, `id="body"`) {
		t.Error("the body shows with hide_bodies set")
	}
}

// TestRedrive: one dead letter and all of a consumer's go through a confirmation page whose
// form carries the token; the POST redrives and redirects with the count, and the consumer,
// now accepting, leaves them acknowledged. A cross-site POST, or one without the token,
// changes nothing.
func TestRedrive(t *testing.T) {
	f := newFixture(t, Auth{})
	seq, refuse := poison(t, f.js, "p-1", "p-2", "p-3")
	one := strconv.FormatUint(seq["p-1"], 10)

	code, body := f.get(t, "/deadletters/"+one+"/redrive", nil)
	if code != 200 {
		t.Fatalf("confirm: %d\n%s", code, body)
	}
	contains(t, "the confirmation", body, `<form method="post" action="/deadletters/`+one+`/redrive">`, `value="`+f.c.csrf+`"`,
		`name="consumer" value="orders"`, "webhooks.shopify.shop.orders.create")

	form := url.Values{"consumer": {"orders"}}
	if w := f.post(t, "/deadletters/"+one+"/redrive", form, false); w.Code != 403 {
		t.Errorf("without the token: %d, want 403", w.Code)
	}
	r := httptest.NewRequest(http.MethodPost, "http://console.test/deadletters/"+one+"/redrive",
		strings.NewReader(url.Values{"consumer": {"orders"}, csrfFieldName: {f.c.csrf}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	w := httptest.NewRecorder()
	f.c.ServeHTTP(w, r)
	if w.Code != 403 {
		t.Errorf("cross-site: %d, want 403", w.Code)
	}
	if n := deadCount(t, f); n != 3 {
		t.Fatalf("%d dead letters after refused POSTs, want 3", n)
	}
	for _, path := range []string{"/deadletters/0/redrive", "/deadletters/x/redrive"} {
		if w := f.post(t, path, form, true); w.Code != 404 {
			t.Errorf("POST %s: %d, want 404", path, w.Code)
		}
	}
	if w := f.post(t, "/deadletters/"+one+"/redrive", url.Values{"consumer": {"other"}}, true); w.Code != 404 {
		t.Errorf("another consumer's: %d, want 404", w.Code)
	}

	refuse.Store(false)
	w = f.post(t, "/deadletters/"+one+"/redrive", form, true)
	if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || loc != "/deadletters?consumer=orders&redriven=1" {
		t.Fatalf("redrive: %d to %q", w.Code, loc)
	}
	if n := deadCount(t, f); n != 2 {
		t.Fatalf("%d dead letters after redriving one, want 2", n)
	}
	if _, body := f.get(t, "/deadletters?consumer=orders&redriven=1", nil); !strings.Contains(body, "Redrove 1 dead letter of orders") {
		t.Error("no notice after the redrive")
	}
	if w := f.post(t, "/deadletters/"+one+"/redrive", form, true); w.Code != 404 {
		t.Errorf("redriving it again: %d, want 404", w.Code)
	}

	_, body = f.get(t, "/deadletters/redrive-all?consumer=orders", nil)
	contains(t, "the confirmation of all", body, `action="/deadletters/redrive-all"`, "Redrive all 2 dead letters of orders?", `value="`+f.c.csrf+`"`)
	if w := f.post(t, "/deadletters/redrive-all", form, false); w.Code != 403 {
		t.Errorf("all without the token: %d, want 403", w.Code)
	}
	if w := f.post(t, "/deadletters/redrive-all", url.Values{"consumer": {"a b"}}, true); w.Code != 400 {
		t.Errorf("all of a bad name: %d, want 400", w.Code)
	}
	w = f.post(t, "/deadletters/redrive-all", form, true)
	if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || loc != "/deadletters?consumer=orders&redriven=2" {
		t.Fatalf("redrive all: %d to %q", w.Code, loc)
	}
	if n := deadCount(t, f); n != 0 {
		t.Fatalf("%d dead letters after redriving all, want 0", n)
	}
	// The consumer now takes them: nothing comes back.
	natstest.Eventually(t, natstest.Patience, "the redriven orders acknowledged", func() bool {
		cs, err := f.c.view.Consumers(context.Background(), "WEBHOOKS")
		return err == nil && len(cs) == 1 && cs[0].Lag == 0 && cs[0].AckFloor >= 6
	})
	if n := deadCount(t, f); n != 0 {
		t.Fatalf("%d dead letters came back", n)
	}
}

func deadCount(t *testing.T, f *fixture) uint64 {
	t.Helper()
	n, err := f.c.view.DeadLetterCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n["orders"]
}

// TestReplay: the form, its confirmation and what it refuses with a clear message (bad or
// future start, taken or bad name, bad filter, unknown stream); the confirmed POST creates
// the consumer from the start asked, and the page after it says how to attach to it.
func TestReplay(t *testing.T) {
	f := newFixture(t, Auth{})
	ctx := context.Background()
	publishOrder(t, f.js, "o-1")
	f.now = time.Now().Add(time.Minute)
	since := f.now.UTC().Add(-time.Hour).Format("2006-01-02T15:04")
	st, err := f.js.Stream(ctx, "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: "taken", AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
		t.Fatal(err)
	}
	code, body := f.get(t, "/replay", nil)
	if code != 200 {
		t.Fatalf("GET /replay: %d", code)
	}
	contains(t, "the form", body, `action="/replay/confirm"`, `<option selected>WEBHOOKS</option>`, `value="`+since+`"`)

	good := url.Values{"stream": {"WEBHOOKS"}, "name": {"orders-replay"}, "source": {"shop"}, "type": {"orders/create"}, "since": {since}}
	with := func(k, v string) url.Values {
		q := url.Values{}
		for key, vs := range good {
			q[key] = vs
		}
		q.Set(k, v)
		return q
	}
	for _, tc := range []struct {
		name string
		q    url.Values
		code int
		want string
	}{
		{"bad start", with("since", "yesterday"), 400, `start &#34;yesterday&#34;: want a date and time`},
		{"no start", with("since", ""), 400, "start is required"},
		{"future start", with("since", f.now.UTC().Add(time.Hour).Format(time.RFC3339)), 400, "is in the future"},
		{"taken name", with("name", "taken"), 409, "consumer already exists: taken on WEBHOOKS"},
		{"bad name", with("name", "a.b"), 400, "bad consumer name"},
		{"no name", with("name", ""), 400, "name is required"},
		{"bad source", with("source", "a*"), 400, "bad filter: source"},
		{"unknown stream", with("stream", "OTHER"), 400, `stream &#34;OTHER&#34;: want one of WEBHOOKS, MISSING`},
		{"stream missing on the server", with("stream", "MISSING"), 404, "stream not found"},
	} {
		code, body := f.get(t, "/replay/confirm?"+tc.q.Encode(), nil)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want %d with %s", tc.name, code, tc.code, tc.want)
		}
		if code == 400 && !strings.Contains(body, `id="error"`) {
			t.Errorf("%s: the form does not come back with the error", tc.name)
		}
	}

	code, body = f.get(t, "/replay/confirm?"+good.Encode(), nil)
	if code != 200 {
		t.Fatalf("confirm: %d\n%s", code, body)
	}
	contains(t, "the confirmation", body, "Create consumer orders-replay on WEBHOOKS?", "filter webhooks.*.shop.orders.create", `action="/replay"`, `value="`+f.c.csrf+`"`)

	if w := f.post(t, "/replay", good, false); w.Code != 403 {
		t.Errorf("without the token: %d, want 403", w.Code)
	}
	if _, err := st.Consumer(ctx, "orders-replay"); !errors.Is(err, jetstream.ErrConsumerNotFound) {
		t.Fatalf("a refused POST created the consumer: %v", err)
	}
	w := f.post(t, "/replay", with("since", "later"), true)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "want a date and time") {
		t.Errorf("a bad start posted: %d", w.Code)
	}
	w = f.post(t, "/replay", good, true)
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || loc != "/replay/created?name=orders-replay&stream=WEBHOOKS" {
		t.Fatalf("replay: %d to %q\n%s", w.Code, loc, w.Body.String())
	}
	c, err := st.Consumer(ctx, "orders-replay")
	if err != nil {
		t.Fatal(err)
	}
	info := c.CachedInfo()
	wantStart, _ := time.Parse("2006-01-02T15:04", since)
	if info.Config.OptStartTime == nil || !info.Config.OptStartTime.Equal(wantStart) || info.Config.FilterSubjects[0] != "webhooks.*.shop.orders.create" || info.NumPending != 1 {
		t.Errorf("created %+v, pending %d", info.Config, info.NumPending)
	}
	code, body = f.get(t, loc, nil)
	if code != 200 {
		t.Fatalf("created: %d", code)
	}
	contains(t, "the created page", body, "Consumer <strong>orders-replay</strong> created on WEBHOOKS", "1 message to replay",
		`Name:           &#34;orders-replay&#34;`, "nats consumer next WEBHOOKS orders-replay")
	if w := f.post(t, "/replay", good, true); w.Code != 409 {
		t.Errorf("the same replay again: %d, want 409", w.Code)
	}
	if code, _ := f.get(t, "/replay/created?stream=WEBHOOKS&name=nothing", nil); code != 404 {
		t.Errorf("created page of no consumer: %d", code)
	}
}
