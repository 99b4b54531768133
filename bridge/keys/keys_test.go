package keys_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/keys"
	"github.com/hookbridge/hookbridge/bridge/provider"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// keyHost is a TLS server standing in for a platform's key host: it
// serves docs by path and counts the requests for each.
type keyHost struct {
	*httptest.Server
	mu   sync.Mutex
	docs map[string]string // path to document; absent: 404
	hits map[string]int
}

// newKeyHost starts a key host whose certificate, for 127.0.0.1, ca
// signed.
func newKeyHost(t *testing.T, ca *testCA) *keyHost {
	t.Helper()
	h := &keyHost{docs: map[string]string{}, hits: map[string]int{}}
	h.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.hits[r.URL.Path]++
		doc, ok := h.docs[r.URL.Path]
		h.mu.Unlock()
		switch {
		case strings.HasPrefix(doc, "redirect "):
			http.Redirect(w, r, strings.TrimPrefix(doc, "redirect "), http.StatusFound)
		case ok:
			fmt.Fprint(w, doc)
		default:
			http.NotFound(w, r)
		}
	}))
	h.TLS = &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, "127.0.0.1")}}
	h.StartTLS()
	t.Cleanup(h.Close)
	return h
}

// testCA is a certificate authority of the test's own, given to the
// Fetcher as Config.RootCAs: the same code path as the system's roots for
// the platforms' real hosts.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hookbridge test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// leaf is a server certificate for ip signed by ca.
func (ca *testCA) leaf(t *testing.T, ip string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: ip},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP(ip)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func (h *keyHost) set(path, doc string) { h.mu.Lock(); h.docs[path] = doc; h.mu.Unlock() }
func (h *keyHost) count(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits[path]
}

// host is the server's host:port, as key_hosts names it.
func (h *keyHost) host() string { return strings.TrimPrefix(h.URL, "https://") }

// parseDoc is a Parse that takes any document but "bad".
func parseDoc(b []byte) (any, error) {
	if string(b) == "bad" {
		return nil, fmt.Errorf("not a key: %w", provider.ErrBadSignature)
	}
	return string(b), nil
}

func request(h *keyHost, path string) provider.KeyRequest {
	return provider.KeyRequest{Kind: "paypal", URL: h.URL + path, Hosts: []string{h.host()}, Parse: parseDoc}
}

func newFetcher(t *testing.T, cfg keys.Config, ca *testCA) (*keys.Fetcher, *clock) {
	t.Helper()
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	cfg.Now = c.Now
	cfg.RootCAs = ca.pool
	return keys.New(cfg), c
}

func fetch(t *testing.T, f *keys.Fetcher, r provider.KeyRequest, want string) {
	t.Helper()
	v, err := f.Fetch(r)
	if err != nil || v != want {
		t.Fatalf("Fetch(%s) = %v, %v; want %q", r.URL, v, err, want)
	}
}

func fetchFails(t *testing.T, f *keys.Fetcher, r provider.KeyRequest, want error) {
	t.Helper()
	v, err := f.Fetch(r)
	if !errors.Is(err, want) || v != nil {
		t.Fatalf("Fetch(%s) = %v, %v; want an error wrapping %q", r.URL, v, err, want)
	}
}

// TestFetchCaches: a document is fetched once and served from memory for
// its TTL, then fetched again; a rotation (a new document at the URL) is
// seen after the TTL, and a new URL (PayPal's new certificate, Adobe's new
// key path) at once.
func TestFetchCaches(t *testing.T) {
	ca := newCA(t)
	h := newKeyHost(t, ca)
	h.set("/cert-1", "key one")
	h.set("/cert-2", "key two")
	f, c := newFetcher(t, keys.Config{TTL: time.Hour}, ca)

	for range 5 {
		fetch(t, f, request(h, "/cert-1"), "key one")
	}
	if n := h.count("/cert-1"); n != 1 {
		t.Fatalf("%d fetches for five lookups within the TTL, want 1", n)
	}
	fetch(t, f, request(h, "/cert-2"), "key two")

	h.set("/cert-1", "key one, rotated")
	c.Add(59 * time.Minute)
	fetch(t, f, request(h, "/cert-1"), "key one")
	c.Add(time.Minute)
	fetch(t, f, request(h, "/cert-1"), "key one, rotated")
	if n := h.count("/cert-1"); n != 2 {
		t.Fatalf("%d fetches after the TTL, want 2", n)
	}
}

// TestFetchRefresh: Saleor's unknown key id asks for a fresh copy; it is
// fetched at most once per MinRefresh, however many deliveries ask.
func TestFetchRefresh(t *testing.T) {
	ca := newCA(t)
	h := newKeyHost(t, ca)
	h.set("/.well-known/jwks.json", "kid 1")
	f, c := newFetcher(t, keys.Config{MinRefresh: time.Minute}, ca)
	r := request(h, "/.well-known/jwks.json")
	fetch(t, f, r, "kid 1")

	h.set("/.well-known/jwks.json", "kid 1, kid 2")
	r.Refresh = true
	for range 10 {
		fetch(t, f, r, "kid 1") // too soon after the first fetch
	}
	c.Add(time.Minute)
	fetch(t, f, r, "kid 1, kid 2")
	for range 10 {
		fetch(t, f, r, "kid 1, kid 2")
	}
	if n := h.count("/.well-known/jwks.json"); n != 2 {
		t.Fatalf("%d fetches, want 2 (the first, and one refresh)", n)
	}
}

// TestFetchRefusesOffTheHosts: a URL that is not https on the request's
// hosts is never fetched, nor is a redirect off them followed.
func TestFetchRefusesOffTheHosts(t *testing.T) {
	ca := newCA(t)
	h, other := newKeyHost(t, ca), newKeyHost(t, ca)
	other.set("/cert", "forged key")
	h.set("/moved", "redirect "+other.URL+"/cert")
	h.set("/here", "redirect /cert")
	h.set("/cert", "key")
	f, _ := newFetcher(t, keys.Config{}, ca)

	for _, url := range []string{
		other.URL + "/cert", // another host
		strings.Replace(h.URL, "https:", "http:", 1) + "/cert", // plain http
		"https://user@" + h.host() + "/cert",                   // user info
	} {
		r := request(h, "")
		r.URL = url
		fetchFails(t, f, r, provider.ErrKeyUnavailable)
	}
	fetchFails(t, f, request(h, "/moved"), provider.ErrKeyUnavailable)
	if n := other.count("/cert"); n != 0 {
		t.Fatalf("the host off the list was asked %d times", n)
	}
	fetch(t, f, request(h, "/here"), "key") // a redirect on the list is followed
}

// TestFetchFailures: every way a fetch can fail is ErrKeyUnavailable (the
// bridge's 503), except a document Parse refuses, whose error is Parse's;
// a failure is remembered for MinRefresh, so retries do not hammer the
// platform.
func TestFetchFailures(t *testing.T) {
	ca := newCA(t)
	h := newKeyHost(t, ca)
	untrusted := newKeyHost(t, newCA(t))
	untrusted.set("/cert", "key")
	h.set("/big", strings.Repeat("k", 1025))
	h.set("/bad", "bad")
	f, c := newFetcher(t, keys.Config{MaxBytes: 1024, MinRefresh: time.Minute}, ca)

	fetchFails(t, f, request(h, "/missing"), provider.ErrKeyUnavailable)
	fetchFails(t, f, request(h, "/big"), provider.ErrKeyUnavailable)
	fetchFails(t, f, request(h, "/bad"), provider.ErrBadSignature)
	fetchFails(t, f, request(untrusted, "/cert"), provider.ErrKeyUnavailable) // not signed by RootCAs

	h.set("/missing", "key")
	fetchFails(t, f, request(h, "/missing"), provider.ErrKeyUnavailable)
	if n := h.count("/missing"); n != 1 {
		t.Fatalf("%d fetches within MinRefresh of a failure, want 1", n)
	}
	c.Add(time.Minute)
	fetch(t, f, request(h, "/missing"), "key")
}

// TestFetchTimeout: a key host that does not answer is ErrKeyUnavailable
// once Timeout has passed.
func TestFetchTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	f := keys.New(keys.Config{Timeout: 50 * time.Millisecond, RootCAs: pool})
	r := provider.KeyRequest{Kind: "adobe", URL: srv.URL + "/key.pem", Hosts: []string{strings.TrimPrefix(srv.URL, "https://")}, Parse: parseDoc}
	if _, err := f.Fetch(r); !errors.Is(err, provider.ErrKeyUnavailable) || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("Fetch from a silent host: %v; want ErrKeyUnavailable after the deadline", err)
	}
}

// TestFetchStaleOnError: past its TTL, a document whose host now fails
// is still served for StaleLimit, then no more.
func TestFetchStaleOnError(t *testing.T) {
	ca := newCA(t)
	h := newKeyHost(t, ca)
	h.set("/key", "key")
	f, c := newFetcher(t, keys.Config{TTL: time.Hour, StaleLimit: 2 * time.Hour, MinRefresh: time.Minute}, ca)
	fetch(t, f, request(h, "/key"), "key")

	h.set("/key", "bad")
	c.Add(time.Hour)
	fetch(t, f, request(h, "/key"), "key") // the refetch fails; the stale key serves
	fetch(t, f, request(h, "/key"), "key") // and serves again within MinRefresh
	c.Add(2*time.Hour - time.Second)
	fetch(t, f, request(h, "/key"), "key")
	c.Add(time.Second)
	fetchFails(t, f, request(h, "/key"), provider.ErrBadSignature)
}

// TestFetchBounds: the cache holds MaxEntries documents (the least
// recently used goes), and new URLs are fetched at most FetchesPerMinute
// times a minute, so forgeries naming ever new URLs cost the platform
// little; cached documents are served all the while.
func TestFetchBounds(t *testing.T) {
	ca := newCA(t)
	h := newKeyHost(t, ca)
	for i := range 5 {
		h.set(fmt.Sprintf("/%d", i), fmt.Sprint("key ", i))
	}
	f, c := newFetcher(t, keys.Config{MaxEntries: 2, FetchesPerMinute: 3}, ca)
	fetch(t, f, request(h, "/0"), "key 0")
	fetch(t, f, request(h, "/1"), "key 1")
	fetch(t, f, request(h, "/0"), "key 0") // /1 is now the least recently used
	fetch(t, f, request(h, "/2"), "key 2") // evicts /1
	fetchFails(t, f, request(h, "/3"), provider.ErrKeyUnavailable)
	fetch(t, f, request(h, "/0"), "key 0")
	fetch(t, f, request(h, "/2"), "key 2")
	if n := h.count("/3"); n != 0 {
		t.Fatalf("a fetch over the rate was made")
	}
	c.Add(20 * time.Second) // one more fetch's worth
	fetch(t, f, request(h, "/1"), "key 1")
	if n := h.count("/1"); n != 2 {
		t.Fatalf("/1 fetched %d times, want 2 (evicted in between)", n)
	}
}

// TestFetchConcurrent: lookups of one URL at once share one fetch.
func TestFetchConcurrent(t *testing.T) {
	ca := newCA(t)
	h := newKeyHost(t, ca)
	h.set("/key", "key")
	f, _ := newFetcher(t, keys.Config{}, ca)
	var (
		wg  sync.WaitGroup
		bad atomic.Int32
	)
	for range 32 {
		wg.Go(func() {
			if v, err := f.Fetch(request(h, "/key")); v != "key" || err != nil {
				bad.Add(1)
			}
		})
	}
	wg.Wait()
	if bad.Load() != 0 || h.count("/key") != 1 {
		t.Fatalf("%d lookups failed, %d fetches; want 0 and 1", bad.Load(), h.count("/key"))
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (keys.Config{}).Validate(); err != nil {
		t.Fatalf("zero Config: %v", err)
	}
	if err := (keys.Config{TTL: -time.Second}).Validate(); err == nil || !strings.Contains(err.Error(), "ttl") {
		t.Fatalf("negative TTL: %v", err)
	}
}
