package provider_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// FuzzSaleorSignature fuzzes Saleor-Signature against the app-sdk vector.
// The oracle: the signing input is the header as sent and the signature
// decodes one way only (base64url, no padding, no stray bits), so the
// vector's own value is the one value accepted; every other answer is a
// Verify sentinel, and the JWKS is fetched once at most (then cached)
// plus a refresh per unknown kid.
func FuzzSaleorSignature(f *testing.F) {
	f.Add(saleorSDKSig)
	f.Add(saleorTestSig)
	f.Add(saleorDevSig)
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","b64":false,"crit":["b64"],"kid":"`+saleorSDKKid+`"}`)) + "..AAAA")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","b64":false,"crit":["b64"],"kid":"x","kid":"y"}`)) + "..AAAA")
	f.Add("a.b.c")
	f.Add("..")
	keys := newKeyServer(map[string]string{saleorSDKJWKS: saleorSDKDoc})
	p := mustNew(f, saleorSource(saleorSDKAPIURL, keys))
	f.Fuzz(func(t *testing.T, sig string) {
		h := header("Saleor-Signature", sig, "Saleor-Api-Url", saleorSDKAPIURL)
		err := p.Verify([]byte(saleorSDKBody), h)
		checkVerifyErr(t, err)
		if (err == nil) != (sig == saleorSDKSig) {
			t.Fatalf("Saleor-Signature %q: Verify = %v", sig, err)
		}
		checkNoLeak(t, err, sig)
	})
}

// FuzzSaleorProtectedHeader fuzzes the protected header's JSON, signed
// with the development key, so that only the header decides. The oracle
// is encoding/json's reading of it: accepted exactly when it is one JSON
// object of at most 64 members, no two keys equal but for case, whose alg is "RS256", b64 false, crit
// ["b64"], kid a non-empty string, and iss, if any, the source's API URL.
func FuzzSaleorProtectedHeader(f *testing.F) {
	f.Add(`{"alg":"RS256","b64":false,"crit":["b64"],"kid":"k","typ":"JWT"}`)
	f.Add(`{"alg":"RS256","b64":false,"crit":["b64"],"iss":"https://shop.example/graphql/","kid":"k"}`)
	f.Add(`{"alg":"RS256","b64":false,"crit":["b64"],"iss":"https://other.example/graphql/","kid":"k"}`)
	f.Add(`{"alg":"RS256","b64":true,"crit":["b64"],"kid":"k"}`)
	f.Add(`{"alg":"RS256","b64":false,"crit":["b64","b64"],"kid":"k"}`)
	f.Add(`{"alg":"RS256","alg":"none","b64":false,"crit":["b64"],"kid":"k"}`)
	f.Add(`{"alg":"RS\u0032\u00356","b64":false,"crit":["b\u00364"],"kid":"\ud800"}`)
	f.Add(`{"ALG":"RS256","alg":"RS256","b64":false,"crit":["b64"],"kid":"k"} `)
	const apiURL = "https://shop.example/graphql/"
	p := mustNew(f, provider.Config{Kind: "saleor", APIURL: apiURL, DevelopmentKeys: true})
	key := devKeyForTest(f)
	f.Fuzz(func(t *testing.T, hdr string) {
		sig := jwsSign(t, key, hdr, saleorDevBody)
		err := p.Verify([]byte(saleorDevBody), header("Saleor-Signature", sig, "Saleor-Api-Url", apiURL))
		checkVerifyErr(t, err)
		if want := saleorHeaderOracle([]byte(hdr), apiURL); (err == nil) != want {
			t.Fatalf("header %q: Verify = %v, the oracle says accepted = %v", hdr, err, want)
		}
		if errors.Is(err, provider.ErrBadSignature) && saleorHeaderOracle([]byte(hdr), "") {
			return // the iss of another shop
		}
		if errors.Is(err, provider.ErrBadSignature) || errors.Is(err, provider.ErrMissingSignature) {
			t.Fatalf("header %q signed by the trusted key: %v", hdr, err)
		}
	})
}

// saleorHeaderOracle is FuzzSaleorProtectedHeader's reading of a header
// with encoding/json; iss "" accepts any iss.
func saleorHeaderOracle(hdr []byte, iss string) bool {
	// The whole value is bounded: the header, "..", and the 342
	// characters of a 2048-bit signature.
	if len(hdr) == 0 || len(base64.RawURLEncoding.EncodeToString(hdr))+2+342 > 8<<10 {
		return false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(hdr, &m) != nil || m == nil || repeatsKey(hdr) {
		return false
	}
	var alg, kid, gotIss string
	var crit []string
	if json.Unmarshal(m["alg"], &alg) != nil || alg != "RS256" || !bytes.Equal(m["b64"], []byte("false")) {
		return false
	}
	if json.Unmarshal(m["crit"], &crit) != nil || len(crit) != 1 || crit[0] != "b64" || !bytes.HasPrefix(m["crit"], []byte("[")) {
		return false
	}
	if json.Unmarshal(m["kid"], &kid) != nil || kid == "" || !bytes.HasPrefix(m["kid"], []byte(`"`)) {
		return false
	}
	if raw, ok := m["iss"]; ok {
		if json.Unmarshal(raw, &gotIss) != nil || !bytes.HasPrefix(raw, []byte(`"`)) || iss != "" && gotIss != iss {
			return false
		}
	}
	return true
}

// repeatsKey reports whether the top-level JSON object doc has more than
// 64 members, or two keys equal but for case (compared as encoding/json
// decodes them and as its struct decoding matches them).
func repeatsKey(doc []byte) bool {
	d := json.NewDecoder(bytes.NewReader(doc))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	var seen []string
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		k, _ := tok.(string)
		for _, s := range seen {
			if strings.EqualFold(s, k) {
				return true
			}
		}
		seen = append(seen, k)
		var skip json.RawMessage
		if d.Decode(&skip) != nil {
			return false
		}
	}
	return len(seen) > 64
}

// FuzzSaleorJWKS fuzzes the JWKS document the key fetcher hands the
// parser, verifying the app-sdk vector with it. The answer is nil,
// ErrBadSignature (no key of that kid, or the wrong one) or
// ErrKeyUnavailable (a document without a usable key), never another;
// and when it is accepted, encoding/json finds the vector's kid with the
// vector's modulus in the document.
func FuzzSaleorJWKS(f *testing.F) {
	f.Add(saleorSDKDoc)
	f.Add(saleorTestDoc)
	f.Add(`{"keys": [{"kty": "RSA", "n": "` + saleorSDKN + `", "e": "AQAB", "kid": "` + saleorSDKKid + `", "n": "AQAB"}]}`)
	f.Add(`{"keys": [{"kty": "RSA", "n": "` + saleorSDKN + `", "e": "AQAB", "kid": "` + saleorSDKKid + `", "key_ops": ["sign", "verify"], "use": "sig"}, {"kty": "EC"}]}`)
	f.Add(`{"keys": [{"kty": "RSA", "n": "AAAA` + saleorSDKN + `", "e": "AAEAAQ", "kid": "` + saleorSDKKid + `"}]}`)
	d := saleorDelivery(saleorSDKBody, saleorSDKSig, saleorSDKAPIURL, "order_created")
	f.Fuzz(func(t *testing.T, doc string) {
		p := mustNew(t, saleorSource(saleorSDKAPIURL, newKeyServer(map[string]string{saleorSDKJWKS: doc})))
		err := p.Verify(d.body, d.h)
		if err != nil && !errors.Is(err, provider.ErrBadSignature) && !errors.Is(err, provider.ErrKeyUnavailable) || countSentinels(err) > 1 {
			t.Fatalf("Verify = %v", err)
		}
		if err == nil && !jwksHolds(doc) {
			t.Fatalf("accepted with %q", doc)
		}
	})
}

// jwksHolds reports whether encoding/json reads doc as a JWKS with an RSA
// key of the app-sdk vector's kid and modulus.
func jwksHolds(doc string) bool {
	var set struct {
		Keys []struct {
			Kty, Kid, N string
		} `json:"keys"`
	}
	if json.Unmarshal([]byte(doc), &set) != nil {
		return false
	}
	want, _ := base64.RawURLEncoding.DecodeString(saleorSDKN)
	for _, k := range set.Keys {
		n, err := base64.RawURLEncoding.DecodeString(k.N)
		if k.Kty == "RSA" && k.Kid == saleorSDKKid && err == nil && bytes.Equal(bytes.TrimLeft(n, "\x00"), want) {
			return true
		}
	}
	return false
}
