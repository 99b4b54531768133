package provider

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// ErrKeyUnavailable: the platform's public key could not be had (the
// fetch failed, timed out or was refused by the fetcher's limits). The
// delivery may well be genuine, so the bridge answers 503 with
// Retry-After and the platform retries; it is never a 401.
var ErrKeyUnavailable = errors.New("signing key unavailable")

// A KeyFetcher gets the documents in which the platforms that sign with a
// private key publish their public keys: PayPal's X.509 certificates,
// Adobe I/O Events' PEM public keys, a Saleor shop's JWKS. The provider
// stays pure: it says which URL, on which hosts, and how to parse what
// comes back; the fetcher owns the network and the cache (package
// bridge/keys is hookbridge's).
type KeyFetcher interface {
	// Fetch returns r.Parse's value for the document at r.URL, from the
	// cache while it holds one that has not expired. Without one it
	// fetches r.URL over HTTPS, following a redirect only to a URL that
	// is https on one of r.Hosts. An error that is not Parse's wraps
	// ErrKeyUnavailable; Parse's error is returned as it is.
	Fetch(r KeyRequest) (any, error)
}

// KeyRequest is one key lookup.
type KeyRequest struct {
	// Kind is the provider kind; the cache is keyed by Kind and URL, as
	// two kinds parse the same bytes differently.
	Kind string
	// URL is the document's https URL, on one of Hosts.
	URL string
	// Hosts are the hosts ("host" for port 443, or "host:port") the URL
	// and any redirect must be on.
	Hosts []string
	// Parse turns the document into what is cached (the keys). A
	// document it refuses is not cached as good.
	Parse func([]byte) (any, error)
	// Refresh asks for a fresh copy even while the cached one is
	// valid (a key id the cached key set does not hold: the platform
	// may have rotated). The fetcher refreshes a URL at most once per
	// its minimum refresh interval, so a flood of unknown key ids costs
	// the platform one request.
	Refresh bool
}

// DefaultKeyHosts are the hosts each key-fetching kind fetches from when
// Config.KeyHosts is empty (saleor: the host of Config.APIURL).
func DefaultKeyHosts(kind string) []string {
	switch kind {
	case "paypal":
		return []string{"api.paypal.com", "api-m.paypal.com", "api.sandbox.paypal.com", "api-m.sandbox.paypal.com"}
	case "adobe":
		return []string{"static.adobeioevents.com"}
	}
	return nil
}

// fetchesKeys reports whether kind verifies with public keys it fetches.
func fetchesKeys(kind string) bool {
	return kind == "paypal" || kind == "adobe" || kind == "saleor"
}

// keySource is how a key-fetching scheme gets its keys: through the
// configured KeyFetcher from its hosts, or, with development keys, the
// published development key for every lookup.
type keySource struct {
	kind    string
	hosts   []string
	fetcher KeyFetcher
	// dev: every lookup is the development key (Config.DevelopmentKeys).
	dev bool
}

// errNoFetcher is the lookup of a provider built without a KeyFetcher
// (as a config check builds them).
var errNoFetcher = fmt.Errorf("no key fetcher configured: %w", ErrKeyUnavailable)

// allowed reports whether u is an https URL on one of hosts, with no
// user info. Hosts compare case-insensitively; "host" means port 443.
func allowed(u *url.URL, hosts []string) bool {
	if u == nil || u.Scheme != "https" || u.User != nil || u.Opaque != "" {
		return false
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "443"
	}
	return slices.ContainsFunc(hosts, func(h string) bool {
		hh, hp, err := net.SplitHostPort(h)
		if err != nil {
			hh, hp = h, "443"
		}
		return strings.EqualFold(hh, host) && hp == port
	})
}

// AllowedKeyURL reports whether raw is an https URL on one of hosts, as
// a key fetcher must check every URL and redirect it follows.
func AllowedKeyURL(raw string, hosts []string) bool {
	u, err := url.Parse(raw)
	return err == nil && allowed(u, hosts)
}

// fetch is the parsed document at raw. A URL that is not https on one of
// the source's hosts names header (where it came from) and wraps
// ErrBadSignature: only a forger points a platform's signature elsewhere.
func (k keySource) fetch(header, raw string, parse func([]byte) (any, error), refresh bool) (any, error) {
	if !AllowedKeyURL(raw, k.hosts) {
		return nil, fmt.Errorf("%s: not an https URL on the platform's key hosts: %w", header, ErrBadSignature)
	}
	if k.fetcher == nil {
		return nil, errNoFetcher
	}
	return k.fetcher.Fetch(KeyRequest{Kind: k.kind, URL: raw, Hosts: k.hosts, Parse: parse, Refresh: refresh})
}

// checkKeyHosts reports a key_hosts entry that is not a host or
// host:port.
func checkKeyHosts(hosts []string) error {
	for i, h := range hosts {
		u, err := url.Parse("https://" + h)
		if h == "" || err != nil || u.Host != h || u.Hostname() == "" {
			return fmt.Errorf("key_hosts[%d]: %q is not a host or host:port", i, h)
		}
	}
	return nil
}

// DevelopmentKeyPEM is hookbridge's development signing key, published
// here on purpose: a source with development_keys: true trusts it in
// place of its platform's keys, so that `hookbridge send` can sign for
// paypal, adobe and saleor sources on a laptop. Anybody can sign with it:
// a source that trusts it accepts forged deliveries, and hookbridge says
// so loudly in its logs.
const DevelopmentKeyPEM = `-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC/XGPZ0Swr8Zzb
3geuYfqo1wZOLs5JclX/+Bxgp8lKO8dv2+Rzqf4yJno68v/O0naVu9GIn7QH/J5C
KC4kqRBN/M5874CRRIbOHOrkleHl7fKKkzGHABljFHqN2PjJ/yvO4GaLhJh9zOLf
MlMrO6zJggbDvbU8JqvztcMxGjVaVIIpJ6Oo+c/+a+Ui2PotjRapvnGD09FAspJo
pI1kUeErHfyMbasu2F+ZRQp+0OfBq4P4jB+d9hgxVl4wcYBZbv1lkKPQTVxGN+MQ
QExaYkvYD1drllx/auV04Vkas1ZeFbvVtjBj8kuwlu/E+ImW3A48UMbM2KeBMqbb
fBq0ZNmTAgMBAAECggEACHuW0jczXz1Q0pmh5d6NBy1aUl6WdsCymZa3jKdTb87S
P/NTn2GilY7ewzyLZMaFSuJDtGvpRfiyUUTJCtyoZDSijfzrSkVAjo7PRikeFZxk
hd+8MHurecNqIrNCur2XhQ5YgrMdiWdq39xcvcwMPvXcc+fgdVVSMQsBJ0I9/uOF
bq/pc68/HXgBYoKwV6l0ww2z/7RYn/akKm+r5ALO9lJpGdq1J5aEnU9p9QOk1K+2
GFs6Mx8cCVSGHrV91UVpBBMB+2zbGpYa7Hlxkp5RXhguWY2OXMub7SdOh2GSY2kr
YG7tTflhKeWN/2EFOqHc1zuc3roTiC3en9f83DMzAQKBgQDJ1SZMtqXj/7M9sEDw
IfhCxXJM9e/lsrY5PQmjrrfCw5stAYepBSDiRbPGGpbfEGrHa9JMPmuduDyqtk5B
IPXZ+Iq+gDWoBrI3w0h0/YyhK3nT6lpJlVzy6qu4h0vGOJTmi3RxyRYpRuNeZEg0
WNWUGEAX2WVbGGzoSDUeZGxXAQKBgQDyt8jBTC1I4fgglI6nIVmLi5ve/hgOt1WH
JZkXpbVZkI5j9JlnKkn76N4gl5sUx5ZZO9kw6PblDuHpWx/skkJzNEW7n7Uj/OpM
zQQ7hNmpo576CJBs/+GPXkqCkce4mDbYwv85JJaRLu+wXzu2e5F46dog9ihNGzyL
xUogDrLkkwKBgBy3zGxL7MzFPE7BvmusmbN+fqX+tHS9efoo+i8lFBaNWI4N0qy1
AxnPCyZb8C2rG1ZmvBSHKS7W4SL1L6tKslCicbNrcLcIxOD0U2H6FcF0+y+w/8nK
i+AwjeCCt8Brmpw3KYlrMFENOhrbL/7qyPD6hlweXbKZhh2C8LPzXAsBAoGBAK+I
QmOo18cxxOSrC0/LSpsk6CEo2fUqmWwXwNPdP336kT+wkZCOgNrx2lLv0XQBs7Xt
FnHMyWF2leLRyBCq5euzDgtWwQW5zyijzD/PICsS7dIdh3WMyG+K3Y/4JdxWGLRC
sZl94HY235lKBkE+tEIhvWLBIvxAilT65VSxzKaJAoGABAcRyYfL3zGJyDPHABZs
nwXjGBcU3+nXQyMMGpY1bizjhlhQZaVFUsAZ2VQg/V+EYwhalR/eA0Zd+yZdra+s
pm9xS8M02T+ARENdvpxDVwM9qPiKgOHOMIn5QRnKd8hGOqUmdKfMjlOHWx7z15Nt
LaGflah26NZ/aOFEj6k8RbU=
-----END PRIVATE KEY-----
`

// developmentKey is DevelopmentKeyPEM, parsed once.
var developmentKey = sync.OnceValue(func() *rsa.PrivateKey {
	b, _ := pem.Decode([]byte(DevelopmentKeyPEM))
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		panic("provider: DevelopmentKeyPEM: " + err.Error())
	}
	return k.(*rsa.PrivateKey)
})

// newKeySource checks cfg's key fields (each only for its kind, and the
// one its kind needs present) and builds the kind's keySource; for a kind
// that fetches no keys it is the zero keySource.
func newKeySource(cfg Config) (keySource, error) {
	only := []struct {
		set   bool
		field string
		kinds []string
	}{
		{cfg.WebhookID != "", "webhook_id", []string{"paypal"}},
		{cfg.ClientID != "", "client_id", []string{"adobe"}},
		{cfg.APIURL != "", "api_url", []string{"saleor"}},
		{cfg.KeyHosts != nil, "key_hosts", []string{"paypal", "adobe", "saleor"}},
		{cfg.DevelopmentKeys, "development_keys", []string{"paypal", "adobe", "saleor"}},
	}
	for _, o := range only {
		if o.set && !slices.Contains(o.kinds, cfg.Kind) {
			return keySource{}, fmt.Errorf("%s: only for %s", o.field, strings.Join(o.kinds, ", "))
		}
	}
	if !fetchesKeys(cfg.Kind) {
		return keySource{}, nil
	}
	hosts := cfg.KeyHosts
	switch cfg.Kind {
	case "paypal":
		if cfg.WebhookID == "" {
			return keySource{}, errors.New("webhook_id: required (the id of the webhook subscription, which PayPal signs)")
		}
	case "adobe":
		if cfg.ClientID == "" {
			return keySource{}, errors.New("client_id: required (the project credential's client id, which every event names)")
		}
	case "saleor":
		u, err := url.Parse(cfg.APIURL)
		switch {
		case cfg.APIURL == "":
			return keySource{}, errors.New("api_url: required (the shop's GraphQL API URL, as Saleor-Api-Url carries it)")
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil:
			return keySource{}, errors.New("api_url: not an absolute http(s) URL")
		}
		if len(hosts) == 0 {
			hosts = []string{u.Host}
		}
	}
	if len(hosts) == 0 {
		hosts = DefaultKeyHosts(cfg.Kind)
	}
	if err := checkKeyHosts(hosts); err != nil {
		return keySource{}, err
	}
	return keySource{kind: cfg.Kind, hosts: hosts, fetcher: cfg.Keys, dev: cfg.DevelopmentKeys}, nil
}
