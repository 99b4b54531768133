package provider_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// TestAllowedKeyURL: a key is fetched only over https from one of the
// source's hosts; anything a forger could use to reach another host is
// refused.
func TestAllowedKeyURL(t *testing.T) {
	hosts := []string{"api.paypal.com", "keys.test:8443"}
	cases := []struct {
		url  string
		want bool
	}{
		{"https://api.paypal.com/v1/notifications/certs/CERT-1", true},
		{"https://API.PayPal.com/v1/notifications/certs/CERT-1", true},
		{"https://api.paypal.com:443/cert", true},
		{"https://keys.test:8443/jwks.json", true},
		{"http://api.paypal.com/cert", false},
		{"HTTPS://api.paypal.com/cert", false}, // url.Parse lower-cases the scheme: see below
		{"https://api.paypal.com:8443/cert", false},
		{"https://keys.test/jwks.json", false},
		{"https://api.paypal.com.evil.example/cert", false},
		{"https://evil.example/api.paypal.com", false},
		{"https://api.paypal.com@evil.example/cert", false},
		{"https://user@api.paypal.com/cert", false},
		{"https:api.paypal.com/cert", false},
		{"//api.paypal.com/cert", false},
		{"/v1/notifications/certs/CERT-1", false},
		{"", false},
		{"https://api.paypal.com\x00.evil.example/cert", false},
	}
	for _, c := range cases {
		got := provider.AllowedKeyURL(c.url, hosts)
		want := c.want
		if strings.HasPrefix(c.url, "HTTPS:") {
			want = true // the scheme is case-insensitive (RFC 3986 3.1)
		}
		if got != want {
			t.Errorf("AllowedKeyURL(%q) = %v, want %v", c.url, got, want)
		}
	}
}

// TestKeyFieldsOnlyForTheirKinds: the key-fetching kinds' fields are an
// error on every other kind, so that a misplaced line is not silently
// ignored.
func TestKeyFieldsOnlyForTheirKinds(t *testing.T) {
	base := provider.Config{Kind: "shopify", Secrets: []string{"s"}}
	cases := []struct {
		edit func(*provider.Config)
		want string
	}{
		{func(c *provider.Config) { c.WebhookID = "WH-1" }, "webhook_id: only for paypal"},
		{func(c *provider.Config) { c.ClientID = "c" }, "client_id: only for adobe"},
		{func(c *provider.Config) { c.APIURL = "https://shop.example/graphql/" }, "api_url: only for saleor"},
		{func(c *provider.Config) { c.KeyHosts = []string{"a.example"} }, "key_hosts: only for paypal, adobe, saleor"},
		{func(c *provider.Config) { c.DevelopmentKeys = true }, "development_keys: only for paypal, adobe, saleor"},
	}
	for _, c := range cases {
		cfg := base
		c.edit(&cfg)
		if _, err := provider.New(cfg); err == nil || err.Error() != c.want {
			t.Errorf("New: %v, want %q", err, c.want)
		}
	}
}

// FuzzAllowedKeyURL: whatever a header holds, a URL AllowedKeyURL lets
// through is one net/http sends to an allowed host, over TLS.
func FuzzAllowedKeyURL(f *testing.F) {
	for _, s := range []string{"https://api.paypal.com/v1/notifications/certs/CERT-1", "https://api.paypal.com@evil.example/", "https://[::1]:443/", "https://api.paypal.com%2f@x/"} {
		f.Add(s)
	}
	hosts := []string{"api.paypal.com", "[::1]:8443"}
	f.Fuzz(func(t *testing.T, raw string) {
		if !provider.AllowedKeyURL(raw, hosts) {
			return
		}
		req, err := http.NewRequest(http.MethodGet, raw, nil)
		if err != nil {
			t.Fatalf("allowed %q, which net/http cannot request: %v", raw, err)
		}
		u := req.URL
		host := strings.ToLower(u.Host)
		if u.Port() == "" {
			host += ":443"
		}
		if u.Scheme != "https" || u.User != nil || (host != "api.paypal.com:443" && host != "[::1]:8443") {
			t.Fatalf("allowed %q: scheme %q, user %v, host %q", raw, u.Scheme, u.User, host)
		}
	})
}
