package console

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// fixture is a console over a real JetStream stream and a registry holding the bridge's
// delivery counter, with a clock the test moves.
type fixture struct {
	c          *Console
	deliveries *prometheus.CounterVec
	js         jetstream.JetStream
	now        time.Time
	ready      error
}

func newFixture(t *testing.T, auth Auth) *fixture {
	t.Helper()
	js := startWebhooks(t)
	reg := prometheus.NewRegistry()
	// The bridge's own series, so that the names and labels read are the ones it writes.
	bridge.NewMetrics(reg)
	f := &fixture{js: js, now: time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)}
	f.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: deliveriesMetric}, []string{"source", "provider", "outcome"})
	other := prometheus.NewRegistry()
	other.MustRegister(f.deliveries)
	c, err := New(Config{
		Sources:  []Source{{Name: "shop", Provider: "shopify"}, {Name: "pay", Provider: "stripe"}},
		Gatherer: prometheus.Gatherers{reg, other},
		Ready:    func(context.Context) error { return f.ready },
		JS:       js,
		Streams:  []string{"WEBHOOKS", "MISSING"},
		Auth:     auth,
		Now:      func() time.Time { return f.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	return f
}

// startWebhooks starts a real server with a WEBHOOKS stream as the bridge's.
func startWebhooks(t *testing.T) jetstream.JetStream {
	t.Helper()
	_, js := natstest.Start(t).Connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), natstest.Patience)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}, Duplicates: 2 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	return js
}

func (f *fixture) get(t *testing.T, path string, h http.Header) (int, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range h {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	f.c.ServeHTTP(w, r)
	body, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(body)
}

// TestOverview: the page shows each source with its provider and counts by outcome, the
// deliveries of the last minute, the stream's state, a stream that cannot be read, and
// readiness with its reason.
func TestOverview(t *testing.T) {
	f := newFixture(t, Auth{})
	f.c.sample()
	f.now = f.now.Add(time.Minute)
	f.deliveries.WithLabelValues("shop", "shopify", "published").Add(3)
	f.deliveries.WithLabelValues("shop", "shopify", "unauthorized").Add(1)
	f.deliveries.WithLabelValues("pay", "stripe", "too_large").Add(2)
	f.c.sample()
	f.now = f.now.Add(30 * time.Second)
	f.deliveries.WithLabelValues("shop", "shopify", "published").Add(2)
	if _, err := f.js.Publish(context.Background(), "webhooks.shopify.shop.orders", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	f.ready = errors.New("stream WEBHOOKS: nats: timeout")

	code, body := f.get(t, "/", nil)
	if code != 200 {
		t.Fatalf("GET /: %d\n%s", code, body)
	}
	for _, want := range []string{
		`<th scope="row">shop</th><td data-label="Provider">shopify</td>`,
		`<th scope="row">pay</th><td data-label="Provider">stripe</td>`,
		`data-count="shop/published">5</span><small>3.3/min</small>`, // 5 since the sample a minute and a half ago
		`data-count="shop/unauthorized">1</span>`,
		`data-count="pay/too_large">2</span>`,
		`<th class="num">too_large</th>`,
		`id="stream-WEBHOOKS"`, `<dd class="num">1 – 1</dd>`, `<dd>2m0s</dd>`,
		`id="stream-MISSING"`, "stream not found",
		"Not ready:</strong> stream WEBHOOKS: nats: timeout",
		"Last delivery stored:</strong> ",
		"Last failure to store:</strong> none since start.",
		`<polyline class="o-published"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the overview lacks %s", want)
		}
	}
	if i, j := strings.Index(body, ">published<"), strings.Index(body, ">too_large<"); i < 0 || j < i {
		t.Error("published does not come first among the outcomes")
	}
}

// TestHistory: deliveries per minute come from successive samples; the minute under way is
// not stretched into a rate; samples older than the span go, but for one base.
func TestHistory(t *testing.T) {
	h := newHistory(time.Hour)
	t0 := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	k := key{"shop", "published"}
	if _, ok := h.rate(t0, counts{k: 1}); ok {
		t.Fatal("a rate without any sample")
	}
	h.add(t0, counts{})
	h.add(t0.Add(time.Minute), counts{k: 6})
	h.add(t0.Add(3*time.Minute), counts{k: 10})
	series := h.series(t0.Add(3*time.Minute+10*time.Second), counts{k: 11})
	want := []float64{6, 2, 1}
	if len(series) != len(want) {
		t.Fatalf("%d points, want %d", len(series), len(want))
	}
	for i, p := range series {
		if p.perMinute["published"] != want[i] {
			t.Errorf("point %d: %v per minute, want %v", i, p.perMinute["published"], want[i])
		}
	}
	// From t0+1m, the newest sample at least a minute before t0+3m30s.
	if r, _ := h.rate(t0.Add(3*time.Minute+30*time.Second), counts{k: 13}); r[k] != 7/2.5 {
		t.Errorf("rate from the newest sample a minute old: %v, want %v", r[k], 7/2.5)
	}
	for i := range 120 {
		h.add(t0.Add(time.Duration(4+i)*time.Minute), counts{k: 10})
	}
	if n := len(h.snaps); n != 61 {
		t.Errorf("%d samples kept, want the hour's 60 and the base its first minute is measured from", n)
	}
}

// TestAuth: with credentials configured every page asks for them (401 with a basic-auth
// challenge); a bearer token, the token as a basic-auth password, or the user name and
// password let a request in; anything else does not.
func TestAuth(t *testing.T) {
	f := newFixture(t, Auth{Token: "tok-123", Username: "ops", Password: "pw-456"})
	basic := func(user, pass string) http.Header {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.SetBasicAuth(user, pass)
		return r.Header
	}
	for _, tc := range []struct {
		name string
		h    http.Header
		want int
	}{
		{"nothing", nil, 401},
		{"bearer", http.Header{"Authorization": {"Bearer tok-123"}}, 200},
		{"wrong bearer", http.Header{"Authorization": {"Bearer tok-12"}}, 401},
		{"token as password", basic("anyone", "tok-123"), 200},
		{"user and password", basic("ops", "pw-456"), 200},
		{"wrong password", basic("ops", "pw-45"), 401},
		{"password of another user", basic("root", "pw-456"), 401},
		{"empty", basic("", ""), 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/", "/static/console.css"} {
				code, body := f.get(t, path, tc.h)
				if code != tc.want {
					t.Fatalf("%s: %d, want %d", path, code, tc.want)
				}
				if code == 401 && strings.Contains(body, "tok-123") {
					t.Fatal("the answer shows the token")
				}
			}
		})
	}
	r := httptest.NewRecorder()
	f.c.ServeHTTP(r, httptest.NewRequest(http.MethodGet, "/", nil))
	if got := r.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic ") {
		t.Errorf("WWW-Authenticate %q: a browser would not ask for credentials", got)
	}
}

// TestCrossSitePost: a state-changing POST is refused (403) when the browser says another
// site sent it, when its Origin is another host, and without the page's token; the console's
// own form, with the token from the page, gets through.
func TestCrossSitePost(t *testing.T) {
	f := newFixture(t, Auth{})
	mux := http.NewServeMux()
	done := 0
	f.c.handlePost(mux, "/act", func(w http.ResponseWriter, r *http.Request) { done++ })
	token := f.c.csrf
	form := func(tok string) url.Values { return url.Values{csrfFieldName: {tok}} }
	// The token with its last character changed: setting it to "0" alone
	// left a token that ends in "0" as it was, and the test failed then.
	wrong := token[:len(token)-1] + "0"
	if wrong == token {
		wrong = token[:len(token)-1] + "1"
	}
	for _, tc := range []struct {
		name    string
		form    url.Values
		headers map[string]string
		want    int
	}{
		{"the console's own form", form(token), map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://console.test"}, 200},
		{"no browser headers, with the token", form(token), nil, 200},
		{"cross-site", form(token), map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"same-site is not same-origin", form(token), map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"another origin", form(token), map[string]string{"Origin": "http://evil.test"}, 403},
		{"without the token", url.Values{}, map[string]string{"Sec-Fetch-Site": "same-origin"}, 403},
		{"a wrong token", form(wrong), map[string]string{"Sec-Fetch-Site": "same-origin"}, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := done
			r := httptest.NewRequest(http.MethodPost, "http://console.test/act", strings.NewReader(tc.form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("%d, want %d: %s", w.Code, tc.want, w.Body.String())
			}
			if ran := done > before; ran != (tc.want == 200) {
				t.Fatalf("the action ran: %v", ran)
			}
		})
	}
	// The token reaches pages through the template helper.
	page, err := f.c.pages["overview"].Clone()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if _, err := page.New("form").Parse(`<form method="post">{{csrfField}}</form>`); err != nil {
		t.Fatal(err)
	}
	if err := page.ExecuteTemplate(&b, "form", nil); err != nil {
		t.Fatal(err)
	}
	if want := `value="` + token + `"`; !strings.Contains(b.String(), want) || !strings.Contains(b.String(), `type="hidden"`) {
		t.Errorf("csrfField rendered %s", b.String())
	}
}

// TestSecureHeaders: pages run only their own scripts and styles, and stay out of frames.
func TestSecureHeaders(t *testing.T) {
	f := newFixture(t, Auth{})
	w := httptest.NewRecorder()
	f.c.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if code, _ := f.get(t, "/nothing-here", nil); code != 404 {
		t.Errorf("an unknown page: %d", code)
	}
}
