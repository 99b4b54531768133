package bridge_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/keys"
	"github.com/hookbridge/hookbridge/bridge/provider"
)

// A delivery signed with the RSA key of saleor/saleor's test settings
// (saleor/tests/settings.py), the JWKS Saleor serves for that key, and the
// signature, computed with Python's cryptography as Saleor's
// JWTManager.jws_encode makes it (see bridge/provider/saleor_test.go).
const (
	saleorBody = `{"__typename": "OrderFullyPaid", "issuedAt": "2024-01-15T14:40:02.123456+00:00", "order": {"id": "T3JkZXI6NTdiNTBhNDAtYzRmYi00YjQzLWIxODgtM2JhZmRlMTc3MGQ5"}}`
	saleorSig  = "eyJhbGciOiJSUzI1NiIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il0sImtpZCI6IjFmYTF6bWJSejZVblBOTHBmMTFzUVplTl9rVUFlVDVYN29wZ0U5TDNpQVkiLCJ0eXAiOiJKV1QifQ..SkHpV7hHgFh9sKRfs41rDIKGrkxTOdD-E128kEs8xuSVhjU-7iDP8dm10nkMg1inY-OSvZWkji18e5Viq1bEJ-wDkNCjyBUHKD61YNb6fSb2AYcB6rNMhYcdAO9xSfZ7iKzBAEsFgv9A0Oj-NDdopbDEyxn8FeOPqsWlaOvDWKIPdqs4d2sIEHejQyZBWCBK4y_knOmqssvyYaQp68q5RkaRncXxU6zeuM5N2L33C3gPhsOORsCtj6xrLODLyPnoXg9SSj-sIN0OwezvO8joAneQPnQWJGKRJhn0bcU-PvgDUbS6btdTvLPjOE4SOQoUtCtObIfeYE84BSg66N-bjQ"
	saleorJWKS = `{"keys": [{"kty": "RSA", "key_ops": ["verify"], "n": "mjTsKENcArpmBM0E74xHAYj3bYJuPMsnBjvPC1sGJKYTvmzn5r74ogouzYSqVJGMZcVCMi6IOyJZXsDWz9YB5bJvOu8rKgzkh2wBgDvYAwnOlaBoMKAQn2dxdeP4D4cTGqFPTh17bTwP9aNyXUs8-RE3U6U28AUywBTHLAiq_NlaUETtHFddB6FTxrMCA_8x9tarSW4-uYP15HgvKRdf5VtG7_RpMRpI2xvYwjVRqhJkcqhWZ_zLWURu0IxH0PuzqeKRP1q95vQvFLk8EIQfQbDHLRctpdkLcOKsbftYgVaLJv9zEivAZMZyJNx-bHhBhVOA9aLmnZizgZuCPfsnhQ", "e": "AQAB", "use": "sig", "kid": "1fa1zmbRz6UnPNLpf11sQZeN_kUAeT5X7opgE9L3iAY", "alg": "RS256"}]}`
)

// saleorHeader is what Saleor sends with saleorBody from the shop at
// apiURL on host.
func saleorHeader(apiURL, host string) http.Header {
	return http.Header{
		"Content-Type":     {"application/json"},
		"Saleor-Signature": {saleorSig},
		"Saleor-Api-Url":   {apiURL},
		"Saleor-Domain":    {host},
		"Saleor-Event":     {"order_fully_paid"},
	}
}

// TestSaleorShopKeys: a Saleor delivery is verified with the shop's
// published key, fetched by the bridge's fetcher over HTTPS from the
// shop's host (a local one here, trusted through a test CA). While the
// shop's JWKS cannot be had the answer is 503 with Retry-After (outcome
// keys_unavailable) and nothing is stored, so that Saleor retries; once
// it can, the retry is published, and a second retry is a duplicate of
// the id derived from the event and the body. A tampered body is 401
// without a refetch: its kid is known.
func TestSaleorShopKeys(t *testing.T) {
	roots, newHost := testCA(t)
	shop := newHost()
	apiURL := shop.URL + "/graphql/"
	// MinRefresh is short so that the retry after the failed fetch
	// fetches at once; in production a failure is remembered a minute.
	fetcher := keys.New(keys.Config{RootCAs: roots, MinRefresh: time.Nanosecond})
	h := newHarnessWith(t, []testSource{{"saleor-shop", provider.Config{Kind: "saleor", APIURL: apiURL, Keys: fetcher}}})
	hdr := saleorHeader(apiURL, shop.host())
	before := h.counter("hookbridge_deliveries_total", "outcome", "keys_unavailable")
	a := h.post(http.MethodPost, "saleor-shop", []byte(saleorBody), hdr)
	if a.code != 503 || a.header.Get("Retry-After") == "" || h.stored() != 0 {
		t.Fatalf("JWKS down: %d (Retry-After %q) %s, %d stored", a.code, a.header.Get("Retry-After"), a.raw, h.stored())
	}
	if got := h.counter("hookbridge_deliveries_total", "outcome", "keys_unavailable") - before; got != 1 {
		t.Fatalf("counted %v times as keys_unavailable", got)
	}

	shop.serve("/.well-known/jwks.json", []byte(saleorJWKS))
	a = h.post(http.MethodPost, "saleor-shop", []byte(saleorBody), hdr)
	if a.code != 200 || a.body["status"] != "published" {
		t.Fatalf("JWKS up: %d %s", a.code, a.raw)
	}
	m := h.last("webhooks.saleor.saleor-shop.order_fully_paid")
	want := map[string]string{
		"ce-type":    "com.saleor.order_fully_paid",
		"ce-source":  apiURL,
		"ce-subject": "T3JkZXI6NTdiNTBhNDAtYzRmYi00YjQzLWIxODgtM2JhZmRlMTc3MGQ5",
		"ce-time":    "2024-01-15T14:40:02.123456Z",
		// sha256("order_fully_paid\n" + body), first 32 hex digits (Python's hashlib).
		"ce-id": "8909430a6cf2b548f7c863fb3cdf79bf",
	}
	checkHeaders(t, m.Header, want)
	if a = h.post(http.MethodPost, "saleor-shop", []byte(saleorBody), hdr); a.code != 200 || a.body["duplicate"] != true {
		t.Fatalf("retry: %d %s", a.code, a.raw)
	}
	fetched := shop.count("/.well-known/jwks.json")
	tampered := []byte(saleorBody[:len(saleorBody)-2] + ` }}`)
	if a = h.post(http.MethodPost, "saleor-shop", tampered, hdr); a.code != 401 {
		t.Fatalf("tampered: %d %s", a.code, a.raw)
	}
	if n := shop.count("/.well-known/jwks.json"); n != fetched || fetched != 2 {
		t.Fatalf("JWKS fetched %d times by the failed and the first good delivery (want 2), then %d more for a tampered one with a known kid (want 0)", fetched, n-fetched)
	}
}
