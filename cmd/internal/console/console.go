// Package console is the web console the bridge serves on its admin listener, beside
// /healthz, /readyz and /metrics: pages a person opens during an incident to see every source,
// its deliveries by outcome, the streams and readiness, without typing nats commands.
//
// It reads only what already exists: the bridge's metrics in-process (a Gatherer), the
// readiness check, the delivery path's memory of its last failure, and the JetStream API. It
// never writes to the delivery path. Pages are html/template, rendered on the server, with
// their CSS and a little JavaScript embedded in the binary.
package console

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/cmd/internal/console/jsview"
	"github.com/hookbridge/hookbridge/consumers/commerce"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Source is a configured source as the console shows it.
type Source struct {
	Name     string
	Provider string // the provider's kind: shopify, stripe, hmac...
}

// Config is what the console reads. Gatherer, Ready and JS are required.
type Config struct {
	Sources []Source
	// Gatherer is the bridge's registry: the console reads hookbridge_deliveries_total from it.
	Gatherer prometheus.Gatherer
	// Ready is the readiness check /readyz answers with.
	Ready bridge.ReadyFunc
	// Failures is the delivery path's memory of its failures to store (may be nil).
	Failures *bridge.LastFailure
	// Activity is the delivery path's memory of each source's last success
	// and last failure (may be nil).
	Activity *bridge.Activity
	// JS and Streams are where the stream states come from: the webhook streams (WEBHOOKS, or
	// each stream sources are spread over), then COMMERCE when the normaliser runs. A stream
	// named commerce.Stream has the canonical subjects; every other, the webhook subjects.
	JS      jetstream.JetStream
	Streams []string
	// SubjectPrefix is the first stream's subject prefix ("" for the bridge's default), from which
	// the pages turn a source, provider and type into a subject filter.
	SubjectPrefix string
	// Auth, when it holds credentials, is asked of every page.
	Auth Auth
	// HideBodies keeps deliveries' bodies off every page (they can hold personal data).
	HideBodies bool
	// Refresh is how often an open page brings itself up to date; default 3s.
	Refresh time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Log gets what a page could not read (nil: discarded).
	Log *slog.Logger
}

// layout is the stream named name with the layout of its subjects: the normaliser's canonical
// stream, or a webhook stream.
func (cfg Config) layout(name string) jsview.Stream {
	if name == commerce.Stream {
		return jsview.Commerce(name)
	}
	return jsview.Webhooks(name, cfg.SubjectPrefix)
}

// Console is the console's handler. Safe for concurrent use.
type Console struct {
	cfg     Config
	handler http.Handler
	pages   map[string]*template.Template
	csrf    string
	history *history
	view    *jsview.View
	dl      deliveries
}

// page is an entry of the navigation: the pages that exist, in order.
type page struct {
	Path, Title string
}

// nav lists the pages the console serves; each new page adds itself here.
var nav = []page{
	{Path: "/", Title: "Overview"},
	{Path: "/deliveries", Title: "Deliveries"},
	{Path: "/consumers", Title: "Consumers"},
	{Path: "/deadletters", Title: "Dead letters"},
	{Path: "/replay", Title: "Replay"},
}

// New returns the console for cfg. Call Run to keep the last hour's history.
func New(cfg Config) (*Console, error) {
	if cfg.Gatherer == nil || cfg.Ready == nil || cfg.JS == nil {
		return nil, errors.New("console: Gatherer, Ready and JS are required")
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = 3 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	token, err := newToken()
	if err != nil {
		return nil, err
	}
	c := &Console{cfg: cfg, csrf: token, history: newHistory(time.Hour)}
	c.view = jsview.New(cfg.JS, jsview.Options{HideBodies: cfg.HideBodies, Now: cfg.Now})
	c.dl = newDeliveries(cfg, c.view)
	if c.pages, err = c.parse("overview", "deliveries", "delivery", "consumers", "deadletters", "deadletter", "confirm", "replay", "replayed"); err != nil {
		return nil, err
	}
	c.handler = c.cfg.Auth.require(c.routes())
	return c, nil
}

// ServeHTTP serves the console's pages, after authentication when credentials are configured.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.handler.ServeHTTP(w, r)
}

// routes is every path the console serves.
func (c *Console) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", c.overview)
	mux.HandleFunc("GET /deliveries", c.deliveriesPage)
	mux.HandleFunc("GET /deliveries/live", c.deliveriesLive)
	mux.HandleFunc("GET /deliveries/{stream}/{seq}", c.deliveryDetail)
	c.opsRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such page", http.StatusNotFound)
	})
	return secureHeaders(mux)
}

// handlePost registers a state-changing action on mux behind the cross-site checks: every
// POST the console takes goes through here.
func (c *Console) handlePost(mux *http.ServeMux, pattern string, h http.HandlerFunc) {
	mux.Handle("POST "+pattern, c.guard(h))
}

// Run samples the delivery counters once a minute until ctx is done, so that the overview can
// chart the last hour.
func (c *Console) Run(ctx context.Context) {
	c.sample()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.sample()
		}
	}
}

func (c *Console) sample() {
	counts, err := gather(c.cfg.Gatherer)
	if err != nil {
		c.cfg.Log.Warn("console: reading the delivery counters", "error", err)
		return
	}
	c.history.add(c.cfg.Now(), counts)
}

// parse parses each named page with the layout and the parts pages share (body.html).
func (c *Console) parse(names ...string) (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"csrfField": func() template.HTML {
			return template.HTML(`<input type="hidden" name="` + csrfFieldName + `" value="` + c.csrf + `">`)
		},
		"ago": func(t time.Time) string { return ago(c.cfg.Now(), t) },
	}
	out := make(map[string]*template.Template, len(names))
	for _, name := range names {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/body.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: page %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// layout is what every page's template gets: the page's own data in Page.
type layout struct {
	Title   string
	Path    string
	Nav     []page
	Refresh int64 // milliseconds; 0 for a page that does not refresh itself
	Page    any
}

// render writes the named page, or a 500 that says nothing of the cause (logged).
func (c *Console) render(w http.ResponseWriter, r *http.Request, name, title string, refresh bool, data any) {
	l := layout{Title: title, Path: r.URL.Path, Nav: nav, Page: data}
	if refresh {
		l.Refresh = c.cfg.Refresh.Milliseconds()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := c.pages[name].Execute(w, l); err != nil {
		c.cfg.Log.Warn("console: rendering a page", "page", name, "error", err)
	}
}

// secureHeaders keeps the console's pages out of frames and limits them to their own scripts
// and styles, so that nothing a delivery holds can run as script.
func secureHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("console: csrf token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// ago renders how long before now t was, to the second: "12s ago", "3m4s ago".
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t).Round(time.Second)
	if d < 0 {
		d = 0
	}
	return d.String() + " ago"
}
