package provider

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Saleor signs a webhook that has no secretKey with the shop's RSA key:
// Saleor-Signature is a JWS in compact serialisation with a detached
// payload, "<protected header>..<signature>" (saleor/core/jwt_manager.py
// jws_encode, PyJWT's api_jws.encode with is_payload_detached). Its
// protected header is {"alg":"RS256","b64":false,"crit":["b64"],"kid":...,
// "typ":"JWT"} (Saleor Cloud adds "iss", the shop's API URL), and b64
// false (RFC 7797) makes the signing input the header as sent, ".", and
// the raw body, not its base64url. RS256 is RSASSA-PKCS1-v1_5 with
// SHA-256; kid is the RFC 7638 thumbprint of the key. The public keys are
// the shop's JWKS at https://<host of the API URL>/.well-known/jwks.json
// (saleor/app-sdk getJwksUrlFromSaleorApiUrl), looked up by kid.
//
// Nothing signed carries a time, so there is no replay window: Saleor
// resends the stored payload unchanged on every retry (up to five, 10 s
// to 160 s apart, and from the dashboard), and a replay is dropped as a
// duplicate of the id derived from it (see extract).
//
// The deprecated signature of a webhook with a secretKey (hex
// HMAC-SHA256 in the same header, and X-Saleor-Signature) is not
// accepted: such a delivery is ErrMalformedSignature.
const (
	saleorSignature = "Saleor-Signature"
	saleorAPIURL    = "Saleor-Api-Url"
	saleorDomain    = "Saleor-Domain"
	saleorEvent     = "Saleor-Event"
	// saleorJWKSPath is where a Saleor instance serves its JWKS, at the
	// root of its API URL's host (saleor/urls.py).
	saleorJWKSPath = "/.well-known/jwks.json"
	// saleorMaxSignature bounds the header: an 8192-bit signature is
	// 1366 characters, and Saleor's protected header about 250.
	saleorMaxSignature = 8 << 10
)

type saleor struct {
	apiURL string // Config.APIURL, as Saleor-Api-Url must carry it
	domain string // its host, as Saleor-Domain carries it
	jwks   string // the shop's JWKS URL
	keys   keySource
}

var _ scheme = saleor{}

func newSaleor(cfg Config, keys keySource) (saleor, error) {
	u, err := url.Parse(cfg.APIURL)
	if err != nil { // newKeySource checked it
		return saleor{}, errors.New("api_url: not an absolute http(s) URL")
	}
	switch {
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(cfg.APIURL, "#"):
		return saleor{}, errors.New("api_url: has a query or fragment, which Saleor's API URL never has")
	case !strings.HasSuffix(u.Path, "/"):
		return saleor{}, errors.New("api_url: want it as Saleor-Api-Url carries it, with the trailing slash (https://shop.example/graphql/)")
	}
	s := saleor{apiURL: cfg.APIURL, domain: u.Host, jwks: "https://" + u.Host + saleorJWKSPath, keys: keys}
	if !keys.dev && !AllowedKeyURL(s.jwks, keys.hosts) {
		return saleor{}, errors.New("key_hosts: must include the host of api_url, where Saleor serves the shop's JWKS")
	}
	return s, nil
}

// saleorJWS is a Saleor-Signature taken apart.
type saleorJWS struct {
	protected string // the protected header as sent: signed as it is
	kid       string
	iss       *string // nil when the header has no iss
	sig       []byte
}

// saleorB64 is the base64url of JWS (RFC 7515 section 2): no padding, and
// no bits set beyond the data, as PyJWT writes it.
var saleorB64 = base64.RawURLEncoding.Strict()

// errSaleorHeader is what every error of parseSaleorJWS wraps.
func errSaleorHeader(why string) error {
	return fmt.Errorf("%s: %s: %w", saleorSignature, why, ErrMalformedSignature)
}

// parseSaleorJWS reads a Saleor-Signature value. It refuses, as
// ErrMalformedSignature, anything but a compact JWS (base64url characters
// and dots only) with a detached payload whose protected header is a JSON
// object (see jsonMembers) with alg RS256, b64 false, crit exactly
// ["b64"] (the only extension understood) and a kid; iss, when present,
// must be a string.
func parseSaleorJWS(v string) (saleorJWS, error) {
	if len(v) > saleorMaxSignature {
		return saleorJWS{}, errSaleorHeader("too long")
	}
	if len(v) == sha256.Size*2 && strings.Trim(v, "0123456789abcdefABCDEF") == "" {
		return saleorJWS{}, errSaleorHeader("a hex HMAC, the deprecated signature of a webhook with a secretKey; hookbridge verifies only Saleor's JWS: clear the webhook's secretKey")
	}
	// Only the base64url alphabet and the dots: Go's decoder would skip
	// a "\r" or "\n", so one value would have several spellings.
	if strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") != "" {
		return saleorJWS{}, errSaleorHeader("a character outside base64url and \".\"")
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return saleorJWS{}, errSaleorHeader("not a compact JWS (header..signature)")
	}
	if parts[1] != "" {
		return saleorJWS{}, errSaleorHeader("the JWS carries its payload; Saleor detaches it")
	}
	doc, err := saleorB64.DecodeString(parts[0])
	if err != nil || len(doc) == 0 {
		return saleorJWS{}, errSaleorHeader("protected header is not base64url")
	}
	sig, err := saleorB64.DecodeString(parts[2])
	if err != nil || len(sig) == 0 {
		return saleorJWS{}, errSaleorHeader("signature is not base64url")
	}
	m, ok := jsonMembers(doc)
	if !ok {
		return saleorJWS{}, errSaleorHeader("protected header is not a JSON object, each member once")
	}
	j := saleorJWS{protected: parts[0], sig: sig}
	switch {
	case !jsonIsString(m["alg"], "RS256"):
		return saleorJWS{}, errSaleorHeader("alg is not RS256")
	case string(m["b64"]) != "false":
		return saleorJWS{}, errSaleorHeader(`not "b64": false (RFC 7797), as Saleor signs the raw body`)
	case !saleorCrit(m["crit"]):
		return saleorJWS{}, errSaleorHeader(`crit is not exactly ["b64"]`)
	}
	if j.kid = jsonString(m["kid"]); j.kid == "" {
		return saleorJWS{}, errSaleorHeader("no kid")
	}
	if raw, ok := m["iss"]; ok {
		iss := jsonString(raw)
		if len(raw) < 2 || raw[0] != '"' {
			return saleorJWS{}, errSaleorHeader("iss is not a string")
		}
		j.iss = &iss
	}
	return j, nil
}

// saleorCrit reports whether raw is the JSON array ["b64"]: RFC 7515
// requires a verifier to refuse an extension it does not understand, and
// b64 is the one this verifier does.
func saleorCrit(raw []byte) bool {
	elems, ok := arrayElements(raw)
	return ok && len(elems) == 1 && jsonIsString(elems[0], "b64")
}

// saleorMaxMembers bounds the members of a JWS header or a JWK (Saleor
// writes six or seven), and so the cost of comparing their keys.
const saleorMaxMembers = 64

// jsonMembers is the JSON object doc, key to raw value; false when doc is
// not one object, has more than saleorMaxMembers members, or has two keys
// equal but for case, or equal: encoding/json's struct decoding matches
// keys ignoring case, and readers differ on which of two they keep.
func jsonMembers(doc []byte) (map[string][]byte, bool) {
	obj, ok := readObject(doc)
	if !ok || len(obj) > saleorMaxMembers {
		return nil, false
	}
	m := make(map[string][]byte, len(obj))
	for i, mem := range obj {
		for _, earlier := range obj[:i] {
			if equalFold(mem.key, string(earlier.key)) {
				return nil, false
			}
		}
		m[string(mem.key)] = mem.val
	}
	return m, true
}

// jsonIsString reports whether the raw JSON value v is the string s.
func jsonIsString(v []byte, s string) bool {
	return len(v) >= 2 && v[0] == '"' && jsonString(v) == s
}

// verify checks the header, then Saleor-Api-Url, then the key, then the
// signature, then iss (see Provider.Verify). Errors: no Saleor-Signature
// is ErrMissingSignature; one that parseSaleorJWS refuses, or one sent
// twice, ErrMalformedSignature; a Saleor-Api-Url that is not the
// configured api_url byte for byte (or is absent, or sent twice), a kid
// the shop's JWKS does not hold after one refresh, a signature that does
// not verify, or an iss that is not api_url, ErrBadSignature. A JWKS that
// cannot be had is ErrKeyUnavailable, from the fetcher or parseSaleorJWKS.
func (s saleor) verify(body []byte, h http.Header) error {
	vs := h.Values(saleorSignature)
	switch {
	case len(vs) == 0 || vs[0] == "":
		return fmt.Errorf("%s: %w", saleorSignature, ErrMissingSignature)
	case len(vs) > 1:
		return errSaleorHeader("sent more than once")
	}
	jws, err := parseSaleorJWS(vs[0])
	if err != nil {
		return err
	}
	if u := h.Values(saleorAPIURL); len(u) != 1 || u[0] != s.apiURL {
		return fmt.Errorf("%s: not this source's api_url: %w", saleorAPIURL, ErrBadSignature)
	}
	pub, err := s.key(jws.kid)
	if err != nil {
		return err
	}
	d := sha256.New()
	d.Write([]byte(jws.protected))
	d.Write([]byte{'.'})
	d.Write(body)
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, d.Sum(nil), jws.sig) != nil {
		return fmt.Errorf("%s: %w", saleorSignature, ErrBadSignature)
	}
	if jws.iss != nil && *jws.iss != s.apiURL {
		return fmt.Errorf("%s: signed for another Saleor API (iss): %w", saleorSignature, ErrBadSignature)
	}
	return nil
}

// key is the shop's public key kid names. With development keys it is
// the development key's, whatever kid says. Otherwise it is looked up in
// the shop's JWKS; a kid that the cached JWKS lacks asks the fetcher for
// a fresh copy once (the shop may have rotated its key), and is
// ErrBadSignature if that one lacks it too.
func (s saleor) key(kid string) (*rsa.PublicKey, error) {
	if s.keys.dev {
		return &developmentKey().PublicKey, nil
	}
	for _, refresh := range []bool{false, true} {
		v, err := s.keys.fetch("api_url", s.jwks, parseSaleorJWKS, refresh)
		if err != nil {
			return nil, err
		}
		keys, ok := v.(saleorKeys)
		if !ok {
			return nil, fmt.Errorf("the key fetcher returned no JWKS: %w", ErrKeyUnavailable)
		}
		if k := keys[kid]; k != nil {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%s: kid is not in the shop's JWKS: %w", saleorSignature, ErrBadSignature)
}

// saleorKeys are a JWKS's RS256 signing keys by kid.
type saleorKeys map[string]*rsa.PublicKey

// Bounds of a key parseSaleorJWKS takes: Saleor makes 2048-bit keys, and
// jose (which saleor/app-sdk verifies with) refuses RS256 keys below
// 2048 bits; the upper bound caps what a verification costs.
const (
	saleorMinKeyBits = 2048
	saleorMaxKeyBits = 8192
)

// parseSaleorJWKS reads a Saleor JWKS ({"keys": [JWK, ...]}, as
// JWTManager.get_jwks writes it) into saleorKeys, the value a KeyFetcher
// caches. A key it cannot verify RS256 with is skipped: one whose kty is
// not RSA, whose use (when present) is not sig, whose key_ops (when
// present) lack verify, whose alg (when present) is not RS256, without a
// kid, that jsonMembers refuses, or whose n or e is not base64url of a modulus
// of 2048 to 8192 bits or an odd exponent from 3 to 2^31-1. A document
// that is not a JSON object with one keys array of objects (jose, which
// saleor/app-sdk verifies with, refuses any other), that holds no usable
// key, or two usable keys with one kid, is an error wrapping
// ErrKeyUnavailable: the shop's keys cannot be had, and the delivery may
// well be genuine.
func parseSaleorJWKS(doc []byte) (any, error) {
	m, ok := jsonMembers(doc)
	if !ok {
		return nil, fmt.Errorf("JWKS: not a JSON object, each member once: %w", ErrKeyUnavailable)
	}
	elems, ok := arrayElements(m["keys"])
	if !ok {
		return nil, fmt.Errorf("JWKS: no keys array: %w", ErrKeyUnavailable)
	}
	keys := saleorKeys{}
	for _, e := range elems {
		if e[0] != '{' {
			return nil, fmt.Errorf("JWKS: a key is not a JSON object: %w", ErrKeyUnavailable)
		}
		kid, pub := saleorJWK(e)
		if pub == nil {
			continue
		}
		if keys[kid] != nil {
			return nil, fmt.Errorf("JWKS: two keys with one kid: %w", ErrKeyUnavailable)
		}
		keys[kid] = pub
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("JWKS: no RS256 signing key: %w", ErrKeyUnavailable)
	}
	return keys, nil
}

// saleorJWK is one JWK's kid and RSA public key, or a nil key when
// parseSaleorJWKS skips it.
func saleorJWK(raw []byte) (string, *rsa.PublicKey) {
	m, ok := jsonMembers(raw)
	if !ok || !jsonIsString(m["kty"], "RSA") {
		return "", nil
	}
	if use, ok := m["use"]; ok && !jsonIsString(use, "sig") {
		return "", nil
	}
	if alg, ok := m["alg"]; ok && !jsonIsString(alg, "RS256") {
		return "", nil
	}
	if ops, ok := m["key_ops"]; ok {
		elems, _ := arrayElements(ops)
		verify := false
		for _, op := range elems {
			verify = verify || jsonIsString(op, "verify")
		}
		if !verify {
			return "", nil
		}
	}
	kid := jsonString(m["kid"])
	n, nerr := saleorB64.DecodeString(jsonString(m["n"]))
	e, eerr := saleorB64.DecodeString(jsonString(m["e"]))
	if kid == "" || nerr != nil || eerr != nil || len(e) == 0 || len(e) > 4 {
		return "", nil
	}
	modulus := new(big.Int).SetBytes(n)
	exp := new(big.Int).SetBytes(e)
	if bits := modulus.BitLen(); bits < saleorMinKeyBits || bits > saleorMaxKeyBits || modulus.Bit(0) == 0 {
		return "", nil
	}
	if exp.Bit(0) == 0 || exp.Cmp(big.NewInt(3)) < 0 || exp.Cmp(big.NewInt(1<<31-1)) > 0 {
		return "", nil
	}
	return kid, &rsa.PublicKey{N: modulus, E: int(exp.Int64())}
}

// saleorTypenames are the events whose subscription type is not the
// event's name in CamelCase (saleor/graphql/webhook/subscription_types.py
// WEBHOOK_TYPES_MAP; all synchronous events, which hookbridge does not
// answer, listed so that none is refused).
var saleorTypenames = map[string]string{
	"payment_capture":          "PaymentCaptureEvent",
	"payment_refund":           "PaymentRefundEvent",
	"payment_void":             "PaymentVoidEvent",
	"payment_confirm":          "PaymentConfirmEvent",
	"payment_process":          "PaymentProcessEvent",
	"checkout_calculate_taxes": "CalculateTaxes",
	"order_calculate_taxes":    "CalculateTaxes",
}

// saleorTypename is the __typename of event's subscription payload
// (order_fully_paid: OrderFullyPaid).
func saleorTypename(event string) string {
	if t, ok := saleorTypenames[event]; ok {
		return t
	}
	var b strings.Builder
	for w := range strings.SplitSeq(event, "_") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]))
			b.WriteString(w[1:])
		}
	}
	return b.String()
}

// saleorEventName reports whether s is spelt as Saleor's event names are
// in Saleor-Event: lower-case letters, digits and "_", from a letter.
func saleorEventName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == ""
}

// lowerCamel joins words as a GraphQL field name (gift, card: giftCard).
func lowerCamel(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 && w != "" {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		b.WriteString(w)
	}
	return b.String()
}

// extract maps a delivery to:
//
//	ID      the first 32 hex digits of sha256(Saleor-Event + "\n" + body),
//	        see below
//	Type    Saleor-Event ("order_fully_paid")
//	Source  the configured api_url, which Saleor-Api-Url had to be
//	Subject body <resource>.id, <resource> being the longest "_"-prefix of
//	        the event in lowerCamel that the body has ("gift_card_sent":
//	        giftCard; "order_fully_paid": order), else body order.id
//	        (draft_order_created, fulfillment events that query no
//	        fulfillment); "" when none is there
//	Time    body issuedAt (RFC 3339), else zero
//
// Saleor sends what the webhook's subscription query asks for, so the
// fields are read when the query has them.
//
// The type comes from Saleor-Event, which is not signed: the body carries
// the event's name only when the query asks for __typename. When it does,
// a __typename that is not the event's (OrderFullyPaid for
// order_fully_paid) is ErrUnusable: a genuine body sent under another
// event's name. A Saleor-Event that is absent or not spelt as Saleor's
// event names are is ErrUnusable.
//
// Why a derived ID: Saleor sends no delivery or event id, and every retry
// (automatic, or from the dashboard) sends the stored payload unchanged,
// so the digest of the event name and the raw body is the same on every
// retry and the broker drops the retries. Two events of one type whose
// payloads are byte for byte the same collapse into one: a query that
// asks for issuedAt keeps them apart.
func (s saleor) extract(body []byte, h http.Header) (Event, error) {
	typ := h.Get(saleorEvent)
	switch {
	case typ == "":
		return Event{}, fmt.Errorf("no %s: %w", saleorEvent, ErrUnusable)
	case !saleorEventName(typ):
		return Event{}, fmt.Errorf("%s is not a Saleor event name: %w", saleorEvent, ErrUnusable)
	}
	obj := parseJSONObject(body)
	if tn := obj.lookup([]string{"__typename"}); tn != nil && !jsonIsString(tn, saleorTypename(typ)) {
		return Event{}, fmt.Errorf("body __typename is not the type of %s: %w", saleorEvent, ErrUnusable)
	}
	e := Event{ID: deliveryDigest([]byte(typ+"\n"), body), Type: typ, Source: s.apiURL}
	words := strings.Split(typ, "_")
	for i := len(words); i > 0 && e.Subject == ""; i-- {
		e.Subject = obj.id(lowerCamel(words[:i]), "id")
	}
	if e.Subject == "" {
		e.Subject = obj.id("order", "id")
	}
	if t, err := time.Parse(time.RFC3339, obj.str("issuedAt")); err == nil {
		e.Time = t
	}
	if obj.err != nil {
		return Event{}, obj.err
	}
	return e, nil
}

// errSaleorSign is Sign's error for a source that does not trust the
// development key.
var errSaleorSign = errors.New("saleor: only a source with development_keys: true can sign: Saleor signs with the shop's private key, which hookbridge never holds")

// sign sets Saleor-Signature, made as Saleor makes it but with the
// development key (its RFC 7638 thumbprint as kid), and the headers that
// name the shop: Saleor-Api-Url (the configured api_url) and
// Saleor-Domain. Only a source with development keys can sign.
func (s saleor) sign(body []byte, h http.Header, _ time.Time) error {
	if !s.keys.dev {
		return errSaleorSign
	}
	protected := saleorB64.EncodeToString([]byte(`{"alg":"RS256","b64":false,"crit":["b64"],"kid":"` + developmentKeyID() + `","typ":"JWT"}`))
	d := sha256.New()
	d.Write([]byte(protected))
	d.Write([]byte{'.'})
	d.Write(body)
	sig, err := rsa.SignPKCS1v15(nil, developmentKey(), crypto.SHA256, d.Sum(nil))
	if err != nil {
		return fmt.Errorf("saleor: signing: %w", err)
	}
	h.Set(saleorSignature, protected+".."+saleorB64.EncodeToString(sig))
	h.Set(saleorAPIURL, s.apiURL)
	h.Set(saleorDomain, s.domain)
	return nil
}

// developmentKeyID is the development key's RFC 7638 thumbprint, the kid
// Saleor would give it (JWTManager.get_key_id).
var developmentKeyID = sync.OnceValue(func() string {
	return jwkThumbprint(&developmentKey().PublicKey)
})

// jwkThumbprint is the RFC 7638 thumbprint of an RSA public key:
// base64url(SHA-256 of {"e":...,"kty":"RSA","n":...}).
func jwkThumbprint(k *rsa.PublicKey) string {
	e := big.NewInt(int64(k.E)).Bytes()
	sum := sha256.Sum256([]byte(`{"e":"` + saleorB64.EncodeToString(e) + `","kty":"RSA","n":"` + saleorB64.EncodeToString(k.N.Bytes()) + `"}`))
	return saleorB64.EncodeToString(sum[:])
}
