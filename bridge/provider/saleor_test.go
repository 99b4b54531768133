package provider_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// Saleor's vectors. The first is real; the other two were computed from
// the published algorithm by an implementation independent of this
// package (Python's cryptography, written after PyJWT's api_jws.encode as
// Saleor's JWTManager.jws_encode calls it: the header
// {"typ":"JWT","alg":"RS256","kid":<RFC 7638 thumbprint>,"crit":["b64"],
// "b64":false} written by json.dumps with sort_keys and no spaces, the
// signing input base64url(header) + "." + body, RSASSA-PKCS1-v1_5 SHA-256;
// and the JWKS as JWTManager.get_jwks serves it):
//
//   - saleorSDK*: saleor/app-sdk src/auth/verify-signature.test.ts
//     (commit a7ef49aa966156a7ac546eb24db5b9c713566ef9), "actual signature
//     copied from testing webhook payload" of a Saleor Cloud shop, with its
//     JWKS. Its header also carries iss, the shop's API URL.
//   - saleorTest*: signed with the RSA key of saleor/saleor
//     saleor/tests/settings.py (commit
//     723cd4eba87dfc72822ade45dc08a3caa548428d), which Saleor's own test
//     suite signs its webhooks with.
//   - saleorDev*: signed with hookbridge's published development key;
//     Sign must produce it byte for byte (PKCS #1 v1.5 is deterministic).
const (
	saleorSDKAPIURL = "https://hackathon-shipping.eu.saleor.cloud/graphql/"
	saleorSDKJWKS   = `https://hackathon-shipping.eu.saleor.cloud/.well-known/jwks.json`
	saleorSDKBody   = `{"__typename": "OrderCreated"}`
	saleorSDKSig    = "eyJhbGciOiJSUzI1NiIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il0sImlzcyI6Imh0dHBzOi8vaGFja2F0aG9uLXNoaXBwaW5nLmV1LnNhbGVvci5jbG91ZC9ncmFwaHFsLyIsImtpZCI6InlLdzlYeUVmOHgyYnd5SkdCWVlTckhzeXpHaHhKaktLdlpkb2tOZTlGSWMiLCJ0eXAiOiJKV1QifQ..ShPbfvYc_A5Aq3hiT6sisDclKikDkhxOvGXT2ZWgdsGRjZpg9ukiHRZym0kbfMfDqU5C3Pfo6n7am0ExwbnFWBfOil3pfe3uJOcOn_UGRj76Fy-59TB0JdS_WuTgNQcYM8Yjvlq2sNK4jdAfJVRTTx8FVgEpFrHBKmcMPfD7zuDozswIDMZOkklYqBcyQ76DJYIRVhl3QsktYPPrxDoqf-GJ--e9FuNqtqNDksP1weiDSraqXCF4-Ie7UWZsMIFxkPF8jdKjF_s1UmNS8Xel8soFQQ9L6Gps-NEv7xcHicGt5lgohH4mqhz1YIxCR7v_NTQgWImu_GQ6ELBiBSIZ2Q"
	saleorSDKKid    = "yKw9XyEf8x2bwyJGBYYSrHsyzGhxJjKKvZdokNe9FIc"
	saleorSDKN      = "uDhbbpspufsQiqHsmC4kvmFQ5l2mGZsGcWhKVSQKQubSdXMedPpLnPD3Z3DsY76DILTm6WfOtSp5rr4KzF5wjurlOEhuFsB1HUfK9ZZB2nEDCQbweoIv3SOdclaNB__pYvQ0nmQHwsAeqH1QUuFUIvOL3t31rhjvzX6wvS49fGNb7rDlqQjufCvaX_n-ADJTgEAg6y1Mzn5NhgoTV1KTBeviyZqCdwvD6bk1ghN2XXWpNcARTzu3WHrmzIzkTwQeIMG8efwIddjfCaMGiOzAfzdQlqHlHPL1Xb5kV9AVX3kiSy-9shaQY23HdWwwiodrb4k2w34Z9ZZN-MHp8i6JdQ"
	saleorSDKDoc    = `{"keys": [{"kty": "RSA", "key_ops": ["verify"], "n": "` + saleorSDKN + `", "e": "AQAB", "use": "sig", "kid": "` + saleorSDKKid + `"}]}`

	saleorTestAPIURL = "https://example.com/graphql/"
	saleorTestJWKS   = "https://example.com/.well-known/jwks.json"
	saleorTestBody   = `{"__typename": "OrderFullyPaid", "issuedAt": "2024-01-15T14:40:02.123456+00:00", "order": {"id": "T3JkZXI6NTdiNTBhNDAtYzRmYi00YjQzLWIxODgtM2JhZmRlMTc3MGQ5"}}`
	saleorTestSig    = "eyJhbGciOiJSUzI1NiIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il0sImtpZCI6IjFmYTF6bWJSejZVblBOTHBmMTFzUVplTl9rVUFlVDVYN29wZ0U5TDNpQVkiLCJ0eXAiOiJKV1QifQ..SkHpV7hHgFh9sKRfs41rDIKGrkxTOdD-E128kEs8xuSVhjU-7iDP8dm10nkMg1inY-OSvZWkji18e5Viq1bEJ-wDkNCjyBUHKD61YNb6fSb2AYcB6rNMhYcdAO9xSfZ7iKzBAEsFgv9A0Oj-NDdopbDEyxn8FeOPqsWlaOvDWKIPdqs4d2sIEHejQyZBWCBK4y_knOmqssvyYaQp68q5RkaRncXxU6zeuM5N2L33C3gPhsOORsCtj6xrLODLyPnoXg9SSj-sIN0OwezvO8joAneQPnQWJGKRJhn0bcU-PvgDUbS6btdTvLPjOE4SOQoUtCtObIfeYE84BSg66N-bjQ"
	saleorTestKid    = "1fa1zmbRz6UnPNLpf11sQZeN_kUAeT5X7opgE9L3iAY"
	saleorTestDoc    = `{"keys": [{"kty": "RSA", "key_ops": ["verify"], "n": "mjTsKENcArpmBM0E74xHAYj3bYJuPMsnBjvPC1sGJKYTvmzn5r74ogouzYSqVJGMZcVCMi6IOyJZXsDWz9YB5bJvOu8rKgzkh2wBgDvYAwnOlaBoMKAQn2dxdeP4D4cTGqFPTh17bTwP9aNyXUs8-RE3U6U28AUywBTHLAiq_NlaUETtHFddB6FTxrMCA_8x9tarSW4-uYP15HgvKRdf5VtG7_RpMRpI2xvYwjVRqhJkcqhWZ_zLWURu0IxH0PuzqeKRP1q95vQvFLk8EIQfQbDHLRctpdkLcOKsbftYgVaLJv9zEivAZMZyJNx-bHhBhVOA9aLmnZizgZuCPfsnhQ", "e": "AQAB", "use": "sig", "kid": "` + saleorTestKid + `", "alg": "RS256"}]}`

	saleorDevBody = `{"order": {"id": "T3JkZXI6NTdiNTBhNDAtYzRmYi00YjQzLWIxODgtM2JhZmRlMTc3MGQ5"}}`
	saleorDevKid  = "HnxJGITQSG03NxFbKvQeZwBuFH5KU3S6_xeR-S_vqr8"
	saleorDevSig  = "eyJhbGciOiJSUzI1NiIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il0sImtpZCI6IkhueEpHSVRRU0cwM054RmJLdlFlWndCdUZINUtVM1M2X3hlUi1TX3ZxcjgiLCJ0eXAiOiJKV1QifQ..TD6ATIFgTelW4eE6phyLdvsRdTJAsTB78BdhgLvi1Vls8dr4r9JsFJiohVvPTbpbVubxMERWSbAKXhctzz-4YJAbotSxIUYRegcDxaV_x3cnCM03pzIb5iZxbgX_xVfv4foKeqP8GaEKu7Op1Ekbatozwmr1Q4zv8KLFzdefTqEVSxhzWpERVSOBZ_u124A_OLyimdRdruoei_NOCtKgFmTCLD5wdN8XZxvbHxboGreapVY8-SeVjbL422PJedTdl2_ifCOCbp0amiPgRJADpArxCbZa32CMc_29x12fb0V4AeqPzd1SBmmo7o1_8qFuoJvMLdG99zoAH2-qEl4Zpw"
)

func saleorSource(apiURL string, keys provider.KeyFetcher) provider.Config {
	return provider.Config{Kind: "saleor", APIURL: apiURL, Keys: keys}
}

// saleorDelivery is a delivery as Saleor sends it: the signature and the
// headers naming the shop and the event.
func saleorDelivery(body, sig, apiURL, event string) delivery {
	return delivery{body: []byte(body), h: header(
		"Content-Type", "application/json",
		"Saleor-Signature", sig,
		"Saleor-Api-Url", apiURL,
		"Saleor-Domain", strings.TrimSuffix(strings.TrimPrefix(apiURL, "https://"), "/graphql/"),
		"Saleor-Event", event,
	)}
}

// jwsSign signs body as Saleor does (an implementation of its own, not the
// package's): header is the protected header's JSON as it is to be sent.
func jwsSign(t testing.TB, k *rsa.PrivateKey, header, body string) string {
	t.Helper()
	protected := base64.RawURLEncoding.EncodeToString([]byte(header))
	d := sha256.Sum256([]byte(protected + "." + body))
	sig, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return protected + ".." + base64.RawURLEncoding.EncodeToString(sig)
}

// saleorHeader is the protected header Saleor writes, with kid.
func saleorHeader(kid string) string {
	return `{"alg":"RS256","b64":false,"crit":["b64"],"kid":"` + kid + `","typ":"JWT"}`
}

// jwkOf is the JWK of k with kid, as Saleor's JWKS lists it.
func jwkOf(k *rsa.PublicKey, kid string) string {
	return `{"kty": "RSA", "key_ops": ["verify"], "n": "` + base64.RawURLEncoding.EncodeToString(k.N.Bytes()) +
		`", "e": "` + base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes()) +
		`", "use": "sig", "kid": "` + kid + `", "alg": "RS256"}`
}

func jwks(keys ...string) string { return `{"keys": [` + strings.Join(keys, ", ") + `]}` }

// testRSAKeys are three RSA keys for the tests of the kinds that sign
// with one (a platform's two and the one it rotates to), generated once
// per test binary: 2048-bit generation costs a good part of a second.
var testRSAKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	keys := make([]*rsa.PrivateKey, 3)
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

func TestSaleorVectors(t *testing.T) {
	for _, v := range []struct{ name, apiURL, jwksURL, doc, body, sig, event string }{
		{"app-sdk (Saleor Cloud)", saleorSDKAPIURL, saleorSDKJWKS, saleorSDKDoc, saleorSDKBody, saleorSDKSig, "order_created"},
		{"saleor test key", saleorTestAPIURL, saleorTestJWKS, saleorTestDoc, saleorTestBody, saleorTestSig, "order_fully_paid"},
	} {
		t.Run(v.name, func(t *testing.T) {
			keys := newKeyServer(map[string]string{v.jwksURL: v.doc})
			p := mustNew(t, saleorSource(v.apiURL, keys))
			d := saleorDelivery(v.body, v.sig, v.apiURL, v.event)
			checkSentinel(t, p.Verify(d.body, d.h), nil)
			checkSentinel(t, p.Verify(d.body, d.h), nil)
			// One document fetched, then the cached keys: no fetch per delivery.
			if n, fetched := keys.counts(); n != 2 || fetched != 1 {
				t.Fatalf("%d lookups, %d fetches; want 2 and 1", n, fetched)
			}
			host := strings.TrimPrefix(strings.TrimSuffix(v.jwksURL, "/.well-known/jwks.json"), "https://")
			r := keys.requests[0]
			if r.Kind != "saleor" || r.URL != v.jwksURL || len(r.Hosts) != 1 || r.Hosts[0] != host || r.Refresh {
				t.Fatalf("request %+v, want kind saleor, %s on [%s], no refresh", r, v.jwksURL, host)
			}
			checkSentinel(t, p.Verify(append([]byte(v.body), ' '), d.h), provider.ErrBadSignature)
		})
	}
}

// TestSaleorVectorOracle checks the vectors against crypto/rsa directly, so
// that a mistake in both the package and its test cannot cancel out.
func TestSaleorVectorOracle(t *testing.T) {
	protected, sig, _ := strings.Cut(saleorSDKSig, "..")
	n, err := base64.RawURLEncoding.DecodeString(saleorSDKN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte(protected + "." + saleorSDKBody))
	if err := rsa.VerifyPKCS1v15(&rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}, crypto.SHA256, d[:], s); err != nil {
		t.Fatalf("the app-sdk vector does not verify: %v", err)
	}
	header, _ := base64.RawURLEncoding.DecodeString(protected)
	want := `{"alg":"RS256","b64":false,"crit":["b64"],"iss":"` + saleorSDKAPIURL + `","kid":"` + saleorSDKKid + `","typ":"JWT"}`
	if string(header) != want {
		t.Fatalf("header %s", header)
	}
}

// saleorResign replaces the protected header of the app-sdk vector
// (keeping its signature, which then no longer matches).
func saleorResign(header string) func(d *delivery) {
	return func(d *delivery) {
		_, sig, _ := strings.Cut(saleorSDKSig, "..")
		d.h.Set("Saleor-Signature", base64.RawURLEncoding.EncodeToString([]byte(header))+".."+sig)
	}
}

func TestSaleorVerify(t *testing.T) {
	keys := newKeyServer(map[string]string{saleorSDKJWKS: saleorSDKDoc})
	p := mustNew(t, saleorSource(saleorSDKAPIURL, keys))
	protected, sig, _ := strings.Cut(saleorSDKSig, "..")
	rawSig, _ := base64.RawURLEncoding.DecodeString(sig)
	setSig := func(v string) func(d *delivery) { return func(d *delivery) { d.h.Set("Saleor-Signature", v) } }
	sigBytes := func(b []byte) string { return protected + ".." + base64.RawURLEncoding.EncodeToString(b) }
	flipped := func(i int) string { b := []byte(string(rawSig)); b[i] ^= 1; return sigBytes(b) }
	const (
		iss  = `"iss":"` + saleorSDKAPIURL + `",`
		kid  = `"kid":"` + saleorSDKKid + `",`
		tail = iss + kid + `"typ":"JWT"}`
	)
	setURL := func(v string) func(d *delivery) { return func(d *delivery) { d.h.Set("Saleor-Api-Url", v) } }
	runMutations(t, p, saleorDelivery(saleorSDKBody, saleorSDKSig, saleorSDKAPIURL, "order_created"), nil, []mutation{
		{name: "vector", want: nil},
		{name: "Saleor-Event changed (not signed)", edit: func(d *delivery) { d.h.Set("Saleor-Event", "order_cancelled") }, want: nil},
		{name: "Saleor-Domain changed (not signed)", edit: func(d *delivery) { d.h.Set("Saleor-Domain", "other.example") }, want: nil},
		{name: "Saleor-Signature missing", edit: func(d *delivery) { d.h.Del("Saleor-Signature") }, want: provider.ErrMissingSignature},
		{name: "Saleor-Signature empty", edit: setSig(""), want: provider.ErrMissingSignature},
		{name: "only the deprecated X-Saleor-Signature", edit: func(d *delivery) {
			d.h.Set("X-Saleor-Signature", d.h.Get("Saleor-Signature"))
			d.h.Del("Saleor-Signature")
		}, want: provider.ErrMissingSignature},
		{name: "Saleor-Signature twice", edit: func(d *delivery) { d.h.Add("Saleor-Signature", saleorSDKSig) }, want: provider.ErrMalformedSignature},
		{name: "deprecated hex HMAC", edit: setSig(lsSig("secret", saleorSDKBody)), want: provider.ErrMalformedSignature},
		{name: "two segments", edit: setSig(protected + "." + sig), want: provider.ErrMalformedSignature},
		{name: "four segments", edit: setSig(saleorSDKSig + ".x"), want: provider.ErrMalformedSignature},
		{name: "attached payload", edit: setSig(protected + "." + base64.RawURLEncoding.EncodeToString([]byte(saleorSDKBody)) + "." + sig), want: provider.ErrMalformedSignature},
		{name: "header padded", edit: setSig(protected + "=.." + sig), want: provider.ErrMalformedSignature},
		{name: "header in the standard alphabet", edit: setSig(strings.Replace(protected, "J", "+", 1) + ".." + sig), want: provider.ErrMalformedSignature},
		{name: "header empty", edit: setSig(".." + sig), want: provider.ErrMalformedSignature},
		{name: "signature empty", edit: setSig(protected + ".."), want: provider.ErrMalformedSignature},
		{name: "signature padded", edit: setSig(saleorSDKSig + "=="), want: provider.ErrMalformedSignature},
		{name: "signature in the standard alphabet", edit: setSig(protected + ".." + strings.ReplaceAll(strings.ReplaceAll(sig, "-", "+"), "_", "/")), want: provider.ErrMalformedSignature},
		{name: "signature with a line break (base64 decoders skip it)", edit: setSig(protected + ".." + sig[:20] + "\r\n" + sig[20:]), want: provider.ErrMalformedSignature},
		{name: "header with a space", edit: setSig(" " + saleorSDKSig), want: provider.ErrMalformedSignature},
		{name: "too long", edit: setSig(protected + ".." + sig + strings.Repeat("A", 8<<10)), want: provider.ErrMalformedSignature},
		{name: "alg HS256", edit: saleorResign(`{"alg":"HS256","b64":false,"crit":["b64"],` + tail), want: provider.ErrMalformedSignature},
		{name: "alg none", edit: saleorResign(`{"alg":"none","b64":false,"crit":["b64"],` + tail), want: provider.ErrMalformedSignature},
		{name: "alg RS512", edit: saleorResign(`{"alg":"RS512","b64":false,"crit":["b64"],` + tail), want: provider.ErrMalformedSignature},
		{name: "alg lower case", edit: saleorResign(`{"alg":"rs256","b64":false,"crit":["b64"],` + tail), want: provider.ErrMalformedSignature},
		{name: "alg missing", edit: saleorResign(`{"b64":false,"crit":["b64"],` + tail), want: provider.ErrMalformedSignature},
		{name: "ALG beside alg", edit: saleorResign(`{"ALG":"none","alg":"RS256","b64":false,"crit":["b64"],` + tail), want: provider.ErrMalformedSignature},
		{name: "alg twice", edit: saleorResign(`{"alg":"RS256","alg":"RS256","b64":false,"crit":["b64"],` + tail), want: provider.ErrMalformedSignature},
		{name: "b64 true (attached encoding)", edit: saleorResign(`{"alg":"RS256","b64":true,"crit":["b64"],` + tail), want: provider.ErrMalformedSignature},
		{name: "b64 missing", edit: saleorResign(`{"alg":"RS256","crit":["b64"],` + tail), want: provider.ErrMalformedSignature},
		{name: "b64 a string", edit: saleorResign(`{"alg":"RS256","b64":"false","crit":["b64"],` + tail), want: provider.ErrMalformedSignature},
		{name: "crit missing", edit: saleorResign(`{"alg":"RS256","b64":false,` + tail), want: provider.ErrMalformedSignature},
		{name: "crit empty", edit: saleorResign(`{"alg":"RS256","b64":false,"crit":[],` + tail), want: provider.ErrMalformedSignature},
		{name: "crit not understood", edit: saleorResign(`{"alg":"RS256","b64":false,"crit":["b64","exp"],"exp":1,` + tail), want: provider.ErrMalformedSignature},
		{name: "crit b64 twice", edit: saleorResign(`{"alg":"RS256","b64":false,"crit":["b64","b64"],` + tail), want: provider.ErrMalformedSignature},
		{name: "crit a string", edit: saleorResign(`{"alg":"RS256","b64":false,"crit":"b64",` + tail), want: provider.ErrMalformedSignature},
		{name: "kid missing", edit: saleorResign(`{"alg":"RS256","b64":false,"crit":["b64"],` + iss + `"typ":"JWT"}`), want: provider.ErrMalformedSignature},
		{name: "kid empty", edit: saleorResign(`{"alg":"RS256","b64":false,"crit":["b64"],` + iss + `"kid":"","typ":"JWT"}`), want: provider.ErrMalformedSignature},
		{name: "kid a number", edit: saleorResign(`{"alg":"RS256","b64":false,"crit":["b64"],` + iss + `"kid":1,"typ":"JWT"}`), want: provider.ErrMalformedSignature},
		{name: "iss a number", edit: saleorResign(`{"alg":"RS256","b64":false,"crit":["b64"],"iss":1,` + kid + `"typ":"JWT"}`), want: provider.ErrMalformedSignature},
		{name: "header an array", edit: saleorResign(`["RS256"]`), want: provider.ErrMalformedSignature},
		{name: "header not JSON", edit: saleorResign(`{"alg":"RS256",`), want: provider.ErrMalformedSignature},
		{name: "header with trailing data", edit: saleorResign(`{"alg":"RS256","b64":false,"crit":["b64"],` + tail + `{}`), want: provider.ErrMalformedSignature},
		{name: "typ changed (signed)", edit: saleorResign(`{"alg":"RS256","b64":false,"crit":["b64"],` + iss + kid + `"typ":"JOSE"}`), want: provider.ErrBadSignature},
		{name: "iss removed (signed)", edit: saleorResign(`{"alg":"RS256","b64":false,"crit":["b64"],` + kid + `"typ":"JWT"}`), want: provider.ErrBadSignature},
		{name: "header re-spaced (signed as sent)", edit: saleorResign(`{"alg": "RS256","b64":false,"crit":["b64"],` + tail), want: provider.ErrBadSignature},
		{name: "kid unknown", edit: saleorResign(`{"alg":"RS256","b64":false,"crit":["b64"],` + iss + `"kid":"other","typ":"JWT"}`), want: provider.ErrBadSignature},
		{name: "Saleor-Api-Url missing", edit: func(d *delivery) { d.h.Del("Saleor-Api-Url") }, want: provider.ErrBadSignature},
		{name: "Saleor-Api-Url another shop", edit: setURL("https://other.eu.saleor.cloud/graphql/"), want: provider.ErrBadSignature},
		{name: "Saleor-Api-Url without its trailing slash", edit: setURL(strings.TrimSuffix(saleorSDKAPIURL, "/")), want: provider.ErrBadSignature},
		{name: "Saleor-Api-Url host upper case", edit: setURL(strings.Replace(saleorSDKAPIURL, "hackathon", "HACKATHON", 1)), want: provider.ErrBadSignature},
		{name: "Saleor-Api-Url twice", edit: func(d *delivery) { d.h.Add("Saleor-Api-Url", saleorSDKAPIURL) }, want: provider.ErrBadSignature},
		{name: "first body byte changed", edit: func(d *delivery) { d.body = flipByte(d.body, 0) }, want: provider.ErrBadSignature},
		{name: "typename changed", edit: func(d *delivery) { d.body = []byte(`{"__typename": "OrderUpdated"}`) }, want: provider.ErrBadSignature},
		{name: "last body byte changed", edit: func(d *delivery) { d.body = flipByte(d.body, len(d.body)-1) }, want: provider.ErrBadSignature},
		{name: "trailing newline added", edit: func(d *delivery) { d.body = append(d.body, '\n') }, want: provider.ErrBadSignature},
		{name: "body re-serialised without spaces", edit: func(d *delivery) { d.body = []byte(`{"__typename":"OrderCreated"}`) }, want: provider.ErrBadSignature},
		{name: "body empty", edit: func(d *delivery) { d.body = nil }, want: provider.ErrBadSignature},
		{name: "signature's first byte changed", edit: setSig(flipped(0)), want: provider.ErrBadSignature},
		{name: "signature's last byte changed", edit: setSig(flipped(len(rawSig) - 1)), want: provider.ErrBadSignature},
		{name: "signature one byte short", edit: setSig(sigBytes(rawSig[:len(rawSig)-1])), want: provider.ErrBadSignature},
		{name: "signature one byte long", edit: setSig(sigBytes(append([]byte(string(rawSig)), 0))), want: provider.ErrBadSignature},
		{name: "the saleor test key's signature", edit: setSig(saleorTestSig), want: provider.ErrBadSignature},
	})
	// The unknown kid asked for a refresh, once.
	refreshes := 0
	for _, r := range keys.requests {
		if r.Refresh {
			refreshes++
		}
	}
	if refreshes != 2 { // "kid unknown" and "the saleor test key's signature"
		t.Fatalf("%d refreshes, want one per unknown kid (2)", refreshes)
	}
}

// TestSaleorJWKS mutates the key document, each key form Saleor's JWKS
// could take, and checks what Verify answers for the app-sdk vector.
func TestSaleorJWKS(t *testing.T) {
	key := func(members string) string { return jwks(`{` + members + `}`) }
	const (
		n    = `"n": "` + saleorSDKN + `"`
		e    = `"e": "AQAB"`
		kid  = `"kid": "` + saleorSDKKid + `"`
		base = `"kty": "RSA", ` + n + `, ` + e + `, ` + kid
	)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	other := testRSAKeys()[0]
	cases := []struct {
		name, doc string
		want      error
	}{
		{"as served", saleorSDKDoc, nil},
		{"only kty, n, e and kid", key(base), nil},
		{"alg RS256", key(base + `, "alg": "RS256"`), nil},
		{"keys beside it of other kinds", jwks(`{"kty": "EC", "crv": "P-256", "kid": "ec"}`, `{"kty": "RSA", "use": "enc", "n": "`+saleorSDKN+`", "e": "AQAB", "kid": "enc"}`, `{`+base+`}`), nil},
		{"another key beside it", jwks(jwkOf(&other.PublicKey, "other"), `{`+base+`}`), nil},
		{"kty EC", key(`"kty": "EC", ` + n + `, ` + e + `, ` + kid), provider.ErrKeyUnavailable},
		{"kty lower case", key(`"kty": "rsa", ` + n + `, ` + e + `, ` + kid), provider.ErrKeyUnavailable},
		{"use enc", key(base + `, "use": "enc"`), provider.ErrKeyUnavailable},
		{"key_ops without verify", key(base + `, "key_ops": ["sign"]`), provider.ErrKeyUnavailable},
		{"key_ops not a list", key(base + `, "key_ops": "verify"`), provider.ErrKeyUnavailable},
		{"alg RS512", key(base + `, "alg": "RS512"`), provider.ErrKeyUnavailable},
		{"no kid", key(`"kty": "RSA", ` + n + `, ` + e), provider.ErrKeyUnavailable},
		{"n twice", key(base + `, ` + n), provider.ErrKeyUnavailable},
		{"N beside n", key(base + `, "N": ""`), provider.ErrKeyUnavailable},
		{"KTY beside kty", key(base + `, "KTY": "EC"`), provider.ErrKeyUnavailable},
		{"n padded", key(`"kty": "RSA", "n": "` + saleorSDKN + `=", ` + e + `, ` + kid), provider.ErrKeyUnavailable},
		{"n in the standard alphabet", key(`"kty": "RSA", "n": "` + strings.NewReplacer("-", "+", "_", "/").Replace(saleorSDKN) + `", ` + e + `, ` + kid), provider.ErrKeyUnavailable},
		{"n a number", key(`"kty": "RSA", "n": 1, ` + e + `, ` + kid), provider.ErrKeyUnavailable},
		{"1024-bit modulus", jwks(jwkOf(&small.PublicKey, saleorSDKKid)), provider.ErrKeyUnavailable},
		{"e even", key(`"kty": "RSA", ` + n + `, "e": "AQAC", ` + kid), provider.ErrKeyUnavailable},
		{"e one", key(`"kty": "RSA", ` + n + `, "e": "AQ", ` + kid), provider.ErrKeyUnavailable},
		{"e of five bytes", key(`"kty": "RSA", ` + n + `, "e": "AQAAAAE", ` + kid), provider.ErrKeyUnavailable},
		{"e three (another key)", key(`"kty": "RSA", ` + n + `, "e": "Aw", ` + kid), provider.ErrBadSignature},
		{"n changed (another key)", key(`"kty": "RSA", "n": "` + strings.Replace(saleorSDKN, "uDh", "uDi", 1) + `", ` + e + `, ` + kid), provider.ErrBadSignature},
		{"another kid", key(`"kty": "RSA", ` + n + `, ` + e + `, "kid": "other"`), provider.ErrBadSignature},
		{"another key under its kid", jwks(jwkOf(&other.PublicKey, saleorSDKKid)), provider.ErrBadSignature},
		{"two keys with its kid", jwks(`{`+base+`}`, jwkOf(&other.PublicKey, saleorSDKKid)), provider.ErrKeyUnavailable},
		{"no keys", `{"keys": []}`, provider.ErrKeyUnavailable},
		{"a key that is not an object", jwks(`{`+base+`}`, `""`), provider.ErrKeyUnavailable},
		{"a null key", jwks(`null`, `{`+base+`}`), provider.ErrKeyUnavailable},
		{"keys an object", `{"keys": {` + base + `}}`, provider.ErrKeyUnavailable},
		{"keys twice", `{"keys": [], "keys": [{` + base + `}]}`, provider.ErrKeyUnavailable},
		{"a bare key", `{` + base + `}`, provider.ErrKeyUnavailable},
		{"an array", `[{` + base + `}]`, provider.ErrKeyUnavailable},
		{"not JSON", `<html>502 Bad Gateway</html>`, provider.ErrKeyUnavailable},
		{"empty", ``, provider.ErrKeyUnavailable},
	}
	d := saleorDelivery(saleorSDKBody, saleorSDKSig, saleorSDKAPIURL, "order_created")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := mustNew(t, saleorSource(saleorSDKAPIURL, newKeyServer(map[string]string{saleorSDKJWKS: c.doc})))
			checkSentinel(t, p.Verify(d.body, d.h), c.want)
		})
	}
}

// TestSaleorKeyRotation: the shop publishes a new key. A delivery signed
// with it names a kid the cached JWKS lacks: one refresh fetches the new
// document, and from then on both keys verify without another fetch.
func TestSaleorKeyRotation(t *testing.T) {
	oldKey, newKey := testRSAKeys()[0], testRSAKeys()[1]
	keys := newKeyServer(map[string]string{saleorTestJWKS: jwks(jwkOf(&oldKey.PublicKey, "old"))})
	p := mustNew(t, saleorSource(saleorTestAPIURL, keys))
	deliver := func(k *rsa.PrivateKey, kid string) error {
		d := saleorDelivery(saleorDevBody, jwsSign(t, k, saleorHeader(kid), saleorDevBody), saleorTestAPIURL, "order_created")
		return p.Verify(d.body, d.h)
	}
	checkSentinel(t, deliver(oldKey, "old"), nil)
	keys.set(saleorTestJWKS, jwks(jwkOf(&oldKey.PublicKey, "old"), jwkOf(&newKey.PublicKey, "new")))
	checkSentinel(t, deliver(oldKey, "old"), nil) // cached: no fetch
	if _, fetched := keys.counts(); fetched != 1 {
		t.Fatalf("%d fetches before the new kid, want 1", fetched)
	}
	checkSentinel(t, deliver(newKey, "new"), nil)
	if _, fetched := keys.counts(); fetched != 2 {
		t.Fatalf("%d fetches after the new kid, want 2 (one refresh)", fetched)
	}
	checkSentinel(t, deliver(newKey, "new"), nil)
	checkSentinel(t, deliver(oldKey, "old"), nil)
	checkSentinel(t, deliver(newKey, "old"), provider.ErrBadSignature) // a kid names its own key only
	if _, fetched := keys.counts(); fetched != 2 {
		t.Fatalf("%d fetches once both keys are cached, want 2", fetched)
	}
	// The old key is withdrawn: once refreshed, its deliveries fail.
	keys.set(saleorTestJWKS, jwks(jwkOf(&newKey.PublicKey, "new")))
	checkSentinel(t, deliver(oldKey, "gone"), provider.ErrBadSignature)
	checkSentinel(t, deliver(oldKey, "old"), provider.ErrBadSignature)
}

func TestSaleorKeyUnavailable(t *testing.T) {
	d := saleorDelivery(saleorSDKBody, saleorSDKSig, saleorSDKAPIURL, "order_created")
	for _, c := range []struct {
		name string
		keys provider.KeyFetcher
	}{
		{"fetch fails", newKeyServer(map[string]string{})},
		{"no fetcher", nil},
		{"JWKS unreadable", newKeyServer(map[string]string{saleorSDKJWKS: `{"keys": null}`})},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkSentinel(t, mustNew(t, saleorSource(saleorSDKAPIURL, c.keys)).Verify(d.body, d.h), provider.ErrKeyUnavailable)
		})
	}
	// A delivery refused before any key is needed costs no fetch.
	keys := newKeyServer(map[string]string{})
	p := mustNew(t, saleorSource(saleorSDKAPIURL, keys))
	for _, h := range []http.Header{withoutHeader(d.h, "Saleor-Signature"), withoutHeader(d.h, "Saleor-Api-Url")} {
		if err := p.Verify(d.body, h); errors.Is(err, provider.ErrKeyUnavailable) || err == nil {
			t.Fatalf("err = %v", err)
		}
	}
	if n, _ := keys.counts(); n != 0 {
		t.Fatalf("%d key lookups for deliveries refused on their headers", n)
	}
}

func withoutHeader(h http.Header, name string) http.Header {
	c := h.Clone()
	c.Del(name)
	return c
}

// TestSaleorKeyHosts: the JWKS is fetched from the API URL's host, and a
// key_hosts list that leaves it out is a configuration error, so that no
// delivery is ever refused for it.
func TestSaleorKeyHosts(t *testing.T) {
	keys := newKeyServer(map[string]string{"https://shop.example:8443/.well-known/jwks.json": saleorSDKDoc})
	p := mustNew(t, provider.Config{Kind: "saleor", APIURL: "https://shop.example:8443/graphql/", Keys: keys})
	d := saleorDelivery(saleorSDKBody, saleorSDKSig, "https://shop.example:8443/graphql/", "order_created")
	checkSentinel(t, p.Verify(d.body, d.h), provider.ErrBadSignature) // the iss names another shop
	if r := keys.requests[0]; r.URL != "https://shop.example:8443/.well-known/jwks.json" || strings.Join(r.Hosts, ",") != "shop.example:8443" {
		t.Fatalf("request %+v", r)
	}
	// http API URL (a local Saleor): the JWKS is still fetched over https.
	keys = newKeyServer(map[string]string{"https://localhost:8000/.well-known/jwks.json": saleorSDKDoc})
	p = mustNew(t, provider.Config{Kind: "saleor", APIURL: "http://localhost:8000/graphql/", Keys: keys})
	_ = p.Verify(d.body, header("Saleor-Signature", saleorSDKSig, "Saleor-Api-Url", "http://localhost:8000/graphql/"))
	if r := keys.requests[0]; r.URL != "https://localhost:8000/.well-known/jwks.json" {
		t.Fatalf("request %+v", r)
	}
	// key_hosts naming another host (a CDN in front of the JWKS): allowed
	// only together with the API's host.
	_, err := provider.New(provider.Config{Kind: "saleor", APIURL: saleorSDKAPIURL, KeyHosts: []string{"cdn.example"}})
	if err == nil || !strings.HasPrefix(err.Error(), "key_hosts: must include the host of api_url") {
		t.Fatalf("New = %v", err)
	}
	mustNew(t, provider.Config{Kind: "saleor", APIURL: saleorSDKAPIURL, KeyHosts: []string{"cdn.example", "hackathon-shipping.eu.saleor.cloud"}})
}

func TestSaleorDevelopmentKeys(t *testing.T) {
	keys := newKeyServer(map[string]string{})
	dev := mustNew(t, provider.Config{Kind: "saleor", APIURL: saleorTestAPIURL, DevelopmentKeys: true, Keys: keys})
	h := http.Header{}
	if err := dev.Sign([]byte(saleorDevBody), h, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if h.Get("Saleor-Signature") != saleorDevSig {
		t.Fatalf("Sign wrote %s\nwant the independently computed %s", h.Get("Saleor-Signature"), saleorDevSig)
	}
	if h.Get("Saleor-Api-Url") != saleorTestAPIURL || h.Get("Saleor-Domain") != "example.com" {
		t.Fatalf("Sign set %v", h)
	}
	checkSentinel(t, dev.Verify([]byte(saleorDevBody), h), nil)
	checkSentinel(t, dev.Verify([]byte(saleorDevBody+" "), h), provider.ErrBadSignature)

	// The development key verifies whatever the kid, and nothing else does.
	devKey := devKeyForTest(t)
	other := testRSAKeys()[0]
	for _, c := range []struct {
		name, sig string
		want      error
	}{
		{"another kid", jwsSign(t, devKey, saleorHeader("any"), saleorDevBody), nil},
		{"iss of this source", jwsSign(t, devKey, `{"alg":"RS256","b64":false,"crit":["b64"],"iss":"`+saleorTestAPIURL+`","kid":"k"}`, saleorDevBody), nil},
		{"iss of another shop", jwsSign(t, devKey, `{"alg":"RS256","b64":false,"crit":["b64"],"iss":"https://other.example/graphql/","kid":"k"}`, saleorDevBody), provider.ErrBadSignature},
		{"another key", jwsSign(t, other, saleorHeader(saleorDevKid), saleorDevBody), provider.ErrBadSignature},
		{"a real shop's signature", saleorTestSig, provider.ErrBadSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := saleorDelivery(saleorDevBody, c.sig, saleorTestAPIURL, "order_created")
			checkSentinel(t, dev.Verify(d.body, d.h), c.want)
		})
	}
	if n, _ := keys.counts(); n != 0 {
		t.Fatalf("a source with development keys looked keys up %d times", n)
	}

	// Without development keys, Sign refuses and says why.
	err := mustNew(t, saleorSource(saleorTestAPIURL, keys)).Sign([]byte(saleorDevBody), http.Header{}, time.Time{})
	if err == nil || !strings.Contains(err.Error(), "development_keys: true") {
		t.Fatalf("Sign = %v, want an error naming development_keys", err)
	}
}

// devKeyForTest is the published development key, read from its PEM as a
// user of the package would.
func devKeyForTest(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := parsePKCS8(provider.DevelopmentKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func parsePKCS8(pemText string) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode([]byte(pemText))
	if b == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}

// saleorID is the documented ID recipe, computed independently.
func saleorID(event, body string) string {
	sum := sha256.Sum256([]byte(event + "\n" + body))
	return hex.EncodeToString(sum[:])[:32]
}

func TestSaleorExtract(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "saleor", APIURL: saleorTestAPIURL, DevelopmentKeys: true})
	ev := func(event string) http.Header { return header("Saleor-Event", event) }
	const (
		order   = `T3JkZXI6NTdiNTBhNDAtYzRmYi00YjQzLWIxODgtM2JhZmRlMTc3MGQ5`
		refund  = `{"__typename": "OrderRefunded", "issuedAt": "2024-01-15T14:40:02+02:00", "order": {"id": "` + order + `"}}`
		tx      = `{"__typename": "TransactionItemMetadataUpdated", "transaction": {"id": "VHJhbnNhY3Rpb25JdGVtOjE="}, "order": {"id": "` + order + `"}}`
		gift    = `{"giftCard": {"id": "R2lmdENhcmQ6MQ=="}}`
		draft   = `{"order": {"id": "` + order + `"}}`
		product = `{"product": {"id": "UHJvZHVjdDox"}}`
	)
	at := time.Date(2024, 1, 15, 14, 40, 2, 123456000, time.UTC)
	runExtractCases(t, p, []extractCase{
		{name: "saleor test vector", body: saleorTestBody, h: ev("order_fully_paid"), want: provider.Event{
			ID: saleorID("order_fully_paid", saleorTestBody), Type: "order_fully_paid", Source: saleorTestAPIURL, Subject: order, Time: at,
		}},
		{name: "app-sdk vector: no order queried", body: saleorSDKBody, h: ev("order_created"), want: provider.Event{
			ID: saleorID("order_created", saleorSDKBody), Type: "order_created", Source: saleorTestAPIURL,
		}},
		{name: "ids only, as Saleor's tests query", body: saleorDevBody, h: ev("order_cancelled"), want: provider.Event{
			ID: saleorID("order_cancelled", saleorDevBody), Type: "order_cancelled", Source: saleorTestAPIURL, Subject: order,
		}},
		{name: "issuedAt with an offset", body: refund, h: ev("order_refunded"), want: provider.Event{
			ID: saleorID("order_refunded", refund), Type: "order_refunded", Source: saleorTestAPIURL, Subject: order, Time: time.Date(2024, 1, 15, 12, 40, 2, 0, time.UTC),
		}},
		{name: "transaction event: the transaction", body: tx, h: ev("transaction_item_metadata_updated"), want: provider.Event{
			ID: saleorID("transaction_item_metadata_updated", tx), Type: "transaction_item_metadata_updated", Source: saleorTestAPIURL, Subject: "VHJhbnNhY3Rpb25JdGVtOjE=",
		}},
		{name: "two-word resource", body: gift, h: ev("gift_card_sent"), want: provider.Event{
			ID: saleorID("gift_card_sent", gift), Type: "gift_card_sent", Source: saleorTestAPIURL, Subject: "R2lmdENhcmQ6MQ==",
		}},
		{name: "draft order: the order", body: draft, h: ev("draft_order_created"), want: provider.Event{
			ID: saleorID("draft_order_created", draft), Type: "draft_order_created", Source: saleorTestAPIURL, Subject: order,
		}},
		{name: "other resource", body: product, h: ev("product_updated"), want: provider.Event{
			ID: saleorID("product_updated", product), Type: "product_updated", Source: saleorTestAPIURL, Subject: "UHJvZHVjdDox",
		}},
		{name: "legacy payload (a JSON array)", body: `[{"type": "Order", "id": "T3JkZXI6MQ=="}]`, h: ev("order_created"), want: provider.Event{
			ID: saleorID("order_created", `[{"type": "Order", "id": "T3JkZXI6MQ=="}]`), Type: "order_created", Source: saleorTestAPIURL,
		}},
		{name: "synchronous event's own typename", body: `{"__typename": "CalculateTaxes"}`, h: ev("checkout_calculate_taxes"), want: provider.Event{
			ID: saleorID("checkout_calculate_taxes", `{"__typename": "CalculateTaxes"}`), Type: "checkout_calculate_taxes", Source: saleorTestAPIURL,
		}},
		{name: "issuedAt without a zone", body: `{"issuedAt": "2024-01-15T14:40:02"}`, h: ev("order_created"), want: provider.Event{
			ID: saleorID("order_created", `{"issuedAt": "2024-01-15T14:40:02"}`), Type: "order_created", Source: saleorTestAPIURL,
		}},
		{name: "no Saleor-Event", body: saleorTestBody, err: provider.ErrUnusable},
		{name: "Saleor-Event upper case", body: saleorTestBody, h: ev("ORDER_FULLY_PAID"), err: provider.ErrUnusable},
		{name: "Saleor-Event with a dot", body: saleorTestBody, h: ev("order.fully_paid"), err: provider.ErrUnusable},
		{name: "Saleor-Event names another event than __typename", body: saleorTestBody, h: ev("order_created"), err: provider.ErrUnusable},
		{name: "__typename not a string", body: `{"__typename": 1}`, h: ev("order_created"), err: provider.ErrUnusable},
		{name: "__typename twice", body: `{"__typename": "OrderCreated", "__typename": "OrderCreated"}`, h: ev("order_created"), err: provider.ErrUnusable},
		{name: "order id twice", body: `{"order": {"id": "a", "id": "b"}}`, h: ev("order_created"), err: provider.ErrUnusable},
		{name: "Order beside order", body: `{"Order": {"id": "a"}, "order": {"id": "b"}}`, h: ev("order_created"), err: provider.ErrUnusable},
	})
}

// TestSaleorIDDedup: a retry (the stored payload, resent) keeps its ID;
// another payload, or the same one under another event, gets a new one.
func TestSaleorIDDedup(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "saleor", APIURL: saleorTestAPIURL, DevelopmentKeys: true})
	id := func(event, body string) string {
		e, err := p.Extract([]byte(body), header("Saleor-Event", event))
		if err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
	if a, b := id("order_created", saleorDevBody), id("order_created", saleorDevBody); a != b {
		t.Errorf("a retry got ID %q, then %q", a, b)
	}
	if id("order_created", saleorDevBody) == id("order_updated", saleorDevBody) {
		t.Errorf("two events with one payload got the same ID")
	}
	later := strings.Replace(saleorTestBody, "14:40:02", "14:40:03", 1)
	if id("order_fully_paid", saleorTestBody) == id("order_fully_paid", later) {
		t.Errorf("two payloads got the same ID")
	}
}

func TestSaleorNewErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  provider.Config
		want string
	}{
		{"no api_url", provider.Config{Kind: "saleor"}, "api_url: required"},
		{"api_url relative", provider.Config{Kind: "saleor", APIURL: "/graphql/"}, "api_url: not an absolute http(s) URL"},
		{"api_url ftp", provider.Config{Kind: "saleor", APIURL: "ftp://shop.example/graphql/"}, "api_url: not an absolute http(s) URL"},
		{"api_url with user info", provider.Config{Kind: "saleor", APIURL: "https://u:p@shop.example/graphql/"}, "api_url: not an absolute http(s) URL"},
		{"api_url without its trailing slash", provider.Config{Kind: "saleor", APIURL: "https://shop.example/graphql"}, "api_url: want it as Saleor-Api-Url carries it, with the trailing slash"},
		{"api_url with a query", provider.Config{Kind: "saleor", APIURL: "https://shop.example/graphql/?x=1"}, "api_url: has a query or fragment"},
		{"api_url with a fragment", provider.Config{Kind: "saleor", APIURL: "https://shop.example/graphql/#x"}, "api_url: has a query or fragment"},
		{"secrets", provider.Config{Kind: "saleor", APIURL: saleorTestAPIURL, Secrets: []string{"s3cr3t-value-do-not-leak"}}, "secrets: saleor verifies with its platform's public keys and takes no secrets"},
		{"tolerance is fine but type_prefix is not", provider.Config{Kind: "saleor", APIURL: saleorTestAPIURL, Tolerance: time.Minute, TypePrefix: "com.x."}, "type_prefix: only for standardwebhooks and hmac"},
		{"webhook_id", provider.Config{Kind: "saleor", APIURL: saleorTestAPIURL, WebhookID: "WH-1"}, "webhook_id: only for paypal"},
		{"api_url on another kind", provider.Config{Kind: "shopify", Secrets: []string{"x"}, APIURL: saleorTestAPIURL}, "api_url: only for saleor"},
		{"key_hosts not a host", provider.Config{Kind: "saleor", APIURL: saleorTestAPIURL, KeyHosts: []string{"https://example.com"}}, "key_hosts[0]:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := provider.New(c.cfg)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("New = %v, want an error starting %q", err, c.want)
			}
			checkNoLeak(t, err, "s3cr3t-value-do-not-leak")
		})
	}
}
