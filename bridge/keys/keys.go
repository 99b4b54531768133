// Package keys fetches and caches the public keys that PayPal, Adobe I/O
// Events and Saleor sign webhooks with: hookbridge's provider.KeyFetcher.
//
// A delivery names where its key is (a certificate URL, a key path, a key
// id in a shop's JWKS); the provider checks that the place is on the
// platform's hosts and says how to parse the document, and a Fetcher gets
// it once and serves it from memory until it expires. Fetches go over
// HTTPS only, follow a redirect only to a URL on the same hosts, are
// bounded in time, size and rate, and share one flight per URL, so a
// flood of deliveries (or of forgeries naming new URLs) costs the
// platform at most a few requests a minute and never one per delivery.
package keys

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// Config tunes a Fetcher. The zero Config is hookbridge's defaults.
type Config struct {
	// Timeout bounds one fetch, redirects included; 0 means 5s, well
	// within the time platforms wait for an answer (PayPal, Adobe: 10 s).
	Timeout time.Duration
	// TTL is how long a fetched document is used before it is fetched
	// again; 0 means 1h.
	TTL time.Duration
	// StaleLimit is how long past its TTL a document is still used
	// while fetching it again fails, so that a platform's key host
	// having a bad hour does not turn every delivery away; 0 means 24h.
	StaleLimit time.Duration
	// MinRefresh is the least time between two fetches of one URL: what
	// a failed fetch is remembered for, and how often a provider's
	// Refresh (an unknown key id) may fetch again; 0 means 1m.
	MinRefresh time.Duration
	// MaxEntries bounds the cache; the least recently used entry makes
	// room. 0 means 256.
	MaxEntries int
	// MaxBytes bounds a document; 0 means 64 KiB (a certificate chain or
	// a JWKS is a few KiB).
	MaxBytes int64
	// FetchesPerMinute bounds fetches across all URLs, so that forged
	// deliveries naming ever new URLs cannot make the bridge hammer a
	// platform; past it a lookup without a cached document is
	// ErrKeyUnavailable. 0 means 30.
	FetchesPerMinute int
	// RootCAs verifies the key hosts' certificates; nil means the
	// system's roots (on Linux, SSL_CERT_FILE and SSL_CERT_DIR name
	// others).
	RootCAs *x509.CertPool
	// Now is the clock of expiry and rates; nil means time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.Timeout, 5*time.Second)
	def(&c.TTL, time.Hour)
	def(&c.StaleLimit, 24*time.Hour)
	def(&c.MinRefresh, time.Minute)
	if c.MaxEntries == 0 {
		c.MaxEntries = 256
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = 64 << 10
	}
	if c.FetchesPerMinute == 0 {
		c.FetchesPerMinute = 30
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports a negative setting.
func (c Config) Validate() error {
	for _, d := range []struct {
		name string
		v    int64
	}{
		{"timeout", int64(c.Timeout)}, {"ttl", int64(c.TTL)}, {"stale_limit", int64(c.StaleLimit)},
		{"min_refresh", int64(c.MinRefresh)}, {"max_entries", int64(c.MaxEntries)},
		{"max_bytes", c.MaxBytes}, {"fetches_per_minute", int64(c.FetchesPerMinute)},
	} {
		if d.v < 0 {
			return fmt.Errorf("%s: must not be negative", d.name)
		}
	}
	return nil
}

// Fetcher is a provider.KeyFetcher over HTTPS with a bounded cache. It is
// safe for concurrent use; one serves every source of a bridge.
type Fetcher struct {
	cfg       Config
	transport *http.Transport

	mu      sync.Mutex
	entries map[string]*entry
	uses    uint64 // lookups so far: the cache's clock of recency
	// budget is the token bucket of FetchesPerMinute: tokens left, and
	// when it was last filled.
	tokens float64
	filled time.Time
}

var _ provider.KeyFetcher = (*Fetcher)(nil)

// entry is one URL's document, or the failure to get it. An entry whose
// call is not nil is being fetched.
type entry struct {
	value   any       // Parse's value; nil until a fetch succeeded
	fetched time.Time // when value was fetched
	tried   time.Time // when it was last fetched or tried
	err     error     // the last try's failure, nil after a success
	used    uint64    // Fetcher.uses when last looked up, for eviction
	call    *call
}

// call is one fetch in flight; those who want its result wait on done.
type call struct{ done chan struct{} }

// New builds a Fetcher. It panics on a Config that Validate refuses (a
// caller validates its config first).
func New(cfg Config) *Fetcher {
	if err := cfg.Validate(); err != nil {
		panic("keys.New: " + err.Error())
	}
	cfg.setDefaults()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
	tr.MaxIdleConnsPerHost = 2
	return &Fetcher{
		cfg:       cfg,
		transport: tr,
		entries:   map[string]*entry{},
		tokens:    float64(cfg.FetchesPerMinute),
		filled:    cfg.Now(),
	}
}

// errRate is a fetch the rate bound refused.
var errRate = errors.New("key fetches over their rate limit")

// Fetch implements provider.KeyFetcher; see Config for how long documents
// and failures are remembered. Errors other than Parse's wrap
// provider.ErrKeyUnavailable and name the URL, never a document.
func (f *Fetcher) Fetch(r provider.KeyRequest) (any, error) {
	if !provider.AllowedKeyURL(r.URL, r.Hosts) {
		return nil, fmt.Errorf("key URL %q is not https on the platform's key hosts: %w", r.URL, provider.ErrKeyUnavailable)
	}
	key := r.Kind + " " + r.URL
	f.mu.Lock()
	for {
		now := f.cfg.Now()
		f.uses++
		e := f.entries[key]
		if e == nil {
			// A URL the rate refuses takes no room from a cached one.
			if !f.take(now) {
				f.mu.Unlock()
				return nil, fmt.Errorf("%s: %w: %w", r.URL, errRate, provider.ErrKeyUnavailable)
			}
			e = &entry{}
			f.insert(key, e)
			c := &call{done: make(chan struct{})}
			e.call, e.used = c, f.uses
			f.mu.Unlock()
			return f.fill(r, e, c)
		}
		e.used = f.uses
		if e.call != nil {
			c := e.call
			f.mu.Unlock()
			<-c.done
			f.mu.Lock()
			continue // the entry now holds the result (or was evicted)
		}
		fresh := e.value != nil && now.Sub(e.fetched) < f.cfg.TTL
		recent := !e.tried.IsZero() && now.Sub(e.tried) < f.cfg.MinRefresh
		switch {
		case fresh && (!r.Refresh || recent):
			v := e.value
			f.mu.Unlock()
			return v, nil
		case recent:
			// Fetched or tried within MinRefresh: not again. A value
			// fetched then is served; after a failure, the stale value
			// while there is one, else the failure.
			v, err := e.value, error(nil)
			if e.err != nil {
				v, err = f.stale(e, now, e.err)
			}
			f.mu.Unlock()
			return v, err
		}
		if !f.take(now) {
			v, err := f.stale(e, now, fmt.Errorf("%s: %w: %w", r.URL, errRate, provider.ErrKeyUnavailable))
			f.mu.Unlock()
			return v, err
		}
		c := &call{done: make(chan struct{})}
		e.call = c
		f.mu.Unlock()
		return f.fill(r, e, c)
	}
}

// fill fetches r into e, whose fetch c is, and answers the lookup that
// started it. f.mu is not held.
func (f *Fetcher) fill(r provider.KeyRequest, e *entry, c *call) (any, error) {
	v, err := f.get(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	e.call = nil
	close(c.done)
	now := f.cfg.Now()
	e.tried = now
	if err == nil {
		e.value, e.fetched, e.err = v, now, nil
		return v, nil
	}
	e.err = err
	return f.stale(e, now, err)
}

// stale is e's value when it is within StaleLimit of its TTL, else err.
// f.mu is held.
func (f *Fetcher) stale(e *entry, now time.Time, err error) (any, error) {
	if e.value != nil && now.Sub(e.fetched) < f.cfg.TTL+f.cfg.StaleLimit {
		return e.value, nil
	}
	return nil, err
}

// take spends one fetch from the rate budget, refilled continuously at
// FetchesPerMinute. f.mu is held.
func (f *Fetcher) take(now time.Time) bool {
	rate := float64(f.cfg.FetchesPerMinute)
	f.tokens = min(rate, f.tokens+now.Sub(f.filled).Minutes()*rate)
	f.filled = now
	if f.tokens < 1 {
		return false
	}
	f.tokens--
	return true
}

// insert adds e under key, evicting the least recently used entry that
// is not being fetched when the cache is full. f.mu is held.
func (f *Fetcher) insert(key string, e *entry) {
	if len(f.entries) >= f.cfg.MaxEntries {
		var (
			oldest string
			at     uint64
		)
		for k, x := range f.entries {
			if x.call == nil && (oldest == "" || x.used < at) {
				oldest, at = k, x.used
			}
		}
		if oldest != "" {
			delete(f.entries, oldest)
		}
	}
	f.entries[key] = e
}

// get fetches and parses r.URL.
func (f *Fetcher) get(r provider.KeyRequest) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), f.cfg.Timeout)
	defer cancel()
	client := &http.Client{
		Transport: f.transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("more than 3 redirects")
			}
			if !provider.AllowedKeyURL(req.URL.String(), r.Hosts) {
				return fmt.Errorf("redirect to %q, which is not https on the platform's key hosts", req.URL.Redacted())
			}
			return nil
		},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.URL, provider.ErrKeyUnavailable)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %w: %w", err, provider.ErrKeyUnavailable)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: status %d: %w", r.URL, resp.StatusCode, provider.ErrKeyUnavailable)
	}
	doc, err := io.ReadAll(io.LimitReader(resp.Body, f.cfg.MaxBytes+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("fetching %s: %w: %w", r.URL, err, provider.ErrKeyUnavailable)
	case int64(len(doc)) > f.cfg.MaxBytes:
		return nil, fmt.Errorf("fetching %s: larger than %d bytes: %w", r.URL, f.cfg.MaxBytes, provider.ErrKeyUnavailable)
	}
	return r.Parse(doc)
}
