package provider

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// PayPal signs "<transmission id>|<transmission time>|<webhook id>|<crc>"
// with RSA PKCS #1 v1.5 over SHA-256 (PAYPAL-AUTH-ALGO SHA256withRSA; no
// other is accepted), where the ids and the time are the headers'
// values exactly as sent, the webhook id is the subscription's
// (Config.WebhookID), and crc is the CRC-32 (IEEE) of the raw body in
// unsigned decimal. PAYPAL-TRANSMISSION-SIG is the signature in base64.
// PayPal's own SDKs build the same string (PayPal-Java-SDK Event.java,
// PayPal-Python-SDK notifications.py); the public vectors in
// paypal_test.go verify under it.
//
// The public key is in the X.509 certificate at PAYPAL-CERT-URL, which
// is fetched (keySource) only from https on the key hosts and only from
// PayPal's certificate path, /v1/notifications/certs/<id> without a
// query: the API hosts serve much else, some of it shaped by the request
// (an API error may quote what it was sent), and a PEM block smuggled
// into such a document must not become a key. What comes back must be
// nothing but PEM certificates
// (parsePayPalCert); the first one's key must be RSA of 2048 bits or
// more, and its name PayPal's message-verification name, as PayPal's
// Java SDK requires (SSLUtil.validateCertificateChain). The certificate
// must be valid at the clock's now when a delivery is verified: an
// expired one does not verify.
//
// The chain is not verified. The document is authenticated by the TLS
// connection to a PayPal host that fetched it, and pinning the CAs
// above PayPal's certificate has broken the SDKs that did whenever
// PayPal moved to another chain (PayPal-NET-SDK issue 411, a revoked
// intermediate; PayPal's move to DigiCert Global Root G2 in October
// 2024). Nothing hookbridge could pin would be more trustworthy than
// the TLS certificate of the host the document came from.
//
// PAYPAL-TRANSMISSION-TIME is signed and is checked against the
// tolerance (Config.Tolerance, DefaultTolerance when zero), after the
// signature. PayPal's API reference defines it as "the date and time of
// the HTTP transmission" (and the transmission id as the transmission's
// id): every attempt of PayPal's retries (up to 25 over 3 days) is a
// new transmission, signed afresh, while the event keeps its body "id"
// (captured deliveries show a transmission time nearly an hour after
// the event's create_time). The window matters more than elsewhere:
// the body is signed only through its CRC-32, which is not a
// cryptographic digest, so whoever obtains one genuine delivery can
// write another body with the same CRC-32, and the signature then
// verifies it too. The tolerance bounds how long that is possible.
//
// Keys are cached by the KeyFetcher per URL. Nothing PayPal documents
// promises that the certificate at a URL never changes, so when the
// cached one has expired or does not verify a signature, it is fetched
// once more (KeyRequest.Refresh, which the fetcher rate-limits) before
// the delivery is refused.
const (
	ppTransmissionID   = "PAYPAL-TRANSMISSION-ID"
	ppTransmissionTime = "PAYPAL-TRANSMISSION-TIME"
	ppTransmissionSig  = "PAYPAL-TRANSMISSION-SIG"
	ppCertURL          = "PAYPAL-CERT-URL"
	ppAuthAlgo         = "PAYPAL-AUTH-ALGO"

	ppAlgorithm = "SHA256withRSA"
	// ppCertPath is where PayPal serves its certificates, on every API
	// host: https://api.paypal.com/v1/notifications/certs/CERT-360caa42-...
	ppCertPath = "/v1/notifications/certs/"
	// ppDevCertID is the certificate id Sign cites for the development
	// key, which is never fetched.
	ppDevCertID = "CERT-hookbridge-development"
	// ppMaxSig bounds the decoded signature: an RSA key of 8192 bits.
	ppMaxSig = 1024
	// ppMinBits is the smallest RSA key accepted; PayPal's are 2048.
	ppMinBits = 2048
)

type paypal struct {
	webhookID string
	keys      keySource
	window    window
}

var _ scheme = paypal{}

// ppCert is what a certificate document is parsed into, once per
// fetched copy: the key and when the certificate is valid.
type ppCert struct {
	key                 *rsa.PublicKey
	notBefore, notAfter time.Time
}

func newPayPal(cfg Config, keys keySource, w window) (paypal, error) {
	id := cfg.WebhookID
	if strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
		// PayPal's webhook ids are letters and digits (its API reference:
		// ^[a-zA-Z0-9]+$), and its webhook simulator signs with
		// "WEBHOOK_ID"; anything else, a "|" above all, is a typo.
		return paypal{}, errors.New("webhook_id: want letters and digits (or WEBHOOK_ID, which PayPal's webhook simulator signs with)")
	}
	return paypal{webhookID: id, keys: keys, window: w}, nil
}

// ppHeaders are a delivery's signature headers, read.
type ppHeaders struct {
	id, stamp, certURL string
	at                 time.Time
	sig                []byte
}

// readPayPalHeaders reads the five headers. Errors name the header and
// wrap ErrMissingSignature (absent or empty) or ErrMalformedSignature;
// none quotes a value.
func readPayPalHeaders(h http.Header) (ppHeaders, error) {
	v := ppHeaders{id: h.Get(ppTransmissionID), stamp: h.Get(ppTransmissionTime), certURL: h.Get(ppCertURL)}
	sig, algo := h.Get(ppTransmissionSig), h.Get(ppAuthAlgo)
	for _, f := range []struct{ name, value string }{
		{ppTransmissionSig, sig}, {ppTransmissionID, v.id}, {ppTransmissionTime, v.stamp}, {ppCertURL, v.certURL}, {ppAuthAlgo, algo},
	} {
		if f.value == "" {
			return ppHeaders{}, fmt.Errorf("%s: %w", f.name, ErrMissingSignature)
		}
	}
	if !strings.EqualFold(algo, ppAlgorithm) {
		return ppHeaders{}, fmt.Errorf("%s: not the one algorithm accepted, RSA with SHA-256: %w", ppAuthAlgo, ErrMalformedSignature)
	}
	if strings.Contains(v.id, "|") {
		// The signed string is split by "|": an id holding one could be
		// read as part of the time.
		return ppHeaders{}, fmt.Errorf("%s: contains |: %w", ppTransmissionID, ErrMalformedSignature)
	}
	var err error
	if v.at, err = time.Parse(time.RFC3339, v.stamp); err != nil {
		return ppHeaders{}, fmt.Errorf("%s: not an RFC 3339 time: %w", ppTransmissionTime, ErrMalformedSignature)
	}
	// Canonical base64 only (no line breaks, which the decoder would
	// skip, and zero padding bits): one string per signature.
	v.sig, err = base64.StdEncoding.Strict().DecodeString(sig)
	if err != nil || strings.ContainsAny(sig, "\r\n") || len(v.sig) == 0 || len(v.sig) > ppMaxSig {
		return ppHeaders{}, fmt.Errorf("%s: not a base64 RSA signature: %w", ppTransmissionSig, ErrMalformedSignature)
	}
	return v, nil
}

// digest is the SHA-256 of the string PayPal signs.
func (p paypal) digest(v ppHeaders, body []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(v.id) + len(v.stamp) + len(p.webhookID) + 13)
	b.WriteString(v.id)
	b.WriteByte('|')
	b.WriteString(v.stamp)
	b.WriteByte('|')
	b.WriteString(p.webhookID)
	b.WriteByte('|')
	b.WriteString(strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	sum := sha256.Sum256(b.Bytes())
	return sum[:]
}

// verify checks the headers, then the certificate URL, then the
// signature under the certificate's key (fetching it again once when
// the cached copy has expired or does not verify), then the time (see
// Provider.Verify). A failed key lookup is the fetcher's
// ErrKeyUnavailable; a certificate URL off PayPal's hosts or path, a
// document that is not PayPal's certificate, a certificate that is not
// valid now and a signature that does not verify are ErrBadSignature.
func (p paypal) verify(body []byte, h http.Header) error {
	v, err := readPayPalHeaders(h)
	if err != nil {
		return err
	}
	digest := p.digest(v, body)
	cert, err := p.cert(v.certURL, false)
	if err != nil {
		return err
	}
	now := p.window.now()
	if err := cert.check(now, digest, v.sig); err != nil {
		if p.keys.dev {
			return err
		}
		// The cached copy may predate a renewal under the same URL.
		if cert, err = p.cert(v.certURL, true); err != nil {
			return err
		}
		if err := cert.check(now, digest, v.sig); err != nil {
			return err
		}
	}
	return p.window.check(v.at)
}

// check verifies sig (over digest) with c's key, c being valid at now.
func (c *ppCert) check(now time.Time, digest, sig []byte) error {
	if now.Before(c.notBefore) || now.After(c.notAfter) {
		return fmt.Errorf("%s: certificate valid from %s to %s, not now: %w",
			ppCertURL, c.notBefore.UTC().Format(time.RFC3339), c.notAfter.UTC().Format(time.RFC3339), ErrBadSignature)
	}
	if rsa.VerifyPKCS1v15(c.key, crypto.SHA256, digest, sig) != nil {
		return fmt.Errorf("%s: %w", ppTransmissionSig, ErrBadSignature)
	}
	return nil
}

// cert is the certificate at raw: the development key's for a source
// with development keys, else the one the key fetcher has for raw.
func (p paypal) cert(raw string, refresh bool) (*ppCert, error) {
	if !ppCertURLShape(raw) {
		return nil, fmt.Errorf("%s: not PayPal's certificate path %s<id>: %w", ppCertURL, ppCertPath, ErrBadSignature)
	}
	if p.keys.dev {
		if !AllowedKeyURL(raw, p.keys.hosts) {
			return nil, fmt.Errorf("%s: not an https URL on the platform's key hosts: %w", ppCertURL, ErrBadSignature)
		}
		return ppDevCert(), nil
	}
	v, err := p.keys.fetch(ppCertURL, raw, parsePayPalCert, refresh)
	if err != nil {
		return nil, err
	}
	c, ok := v.(*ppCert)
	if !ok {
		return nil, fmt.Errorf("%s: the key fetcher returned a %T: %w", ppCertURL, v, ErrKeyUnavailable)
	}
	return c, nil
}

// ppCertURLShape reports whether raw names a certificate on PayPal's
// certificate path: /v1/notifications/certs/<id>, the id letters,
// digits, '-' and '_', with no query, fragment or escapes. Scheme and
// host are keySource's to check.
func ppCertURLShape(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.RawPath != "" || strings.ContainsAny(raw, "#?%") {
		return false
	}
	id, ok := strings.CutPrefix(u.Path, ppCertPath)
	return ok && id != "" && len(id) <= 128 &&
		strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == ""
}

// ppDevCert is the development key's stand-in certificate, valid at
// every time.
func ppDevCert() *ppCert {
	return &ppCert{
		key:       &developmentKey().PublicKey,
		notBefore: time.Time{},
		notAfter:  time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	}
}

// ppCertName reports whether name is one PayPal's signing certificates
// carry: messageverificationcerts.paypal.com, and
// messageverificationcerts.sandbox.paypal.com for the sandbox. PayPal's
// Java SDK accepts a CN that starts with "messageverificationcerts" and
// ends with ".paypal.com"; so does this, with the dot after the first
// label, in any case.
func ppCertName(name string) bool {
	name = strings.ToLower(name)
	return strings.HasPrefix(name, "messageverificationcerts.") && strings.HasSuffix(name, ".paypal.com")
}

// parsePayPalCert reads the document at a PAYPAL-CERT-URL: one or more
// PEM CERTIFICATE blocks and nothing else but white space (PayPal
// serves the signing certificate alone, with CRLF line ends; a chain
// after it is allowed and not read). The first is the signing
// certificate: an X.509 certificate with an RSA key of at least 2048
// bits, named messageverificationcerts.<...>paypal.com in its common
// name or a DNS name. Its validity is kept for verify, which checks it
// against the clock at each delivery (a cached certificate can expire
// while cached). Errors wrap ErrBadSignature: a document that is not
// PayPal's certificate at a URL a delivery named is a forgery's.
func parsePayPalCert(doc []byte) (any, error) {
	bad := func(why string) error {
		return fmt.Errorf("%s: the document %s: %w", ppCertURL, why, ErrBadSignature)
	}
	rest := bytes.TrimLeft(doc, " \t\r\n")
	if !bytes.HasPrefix(rest, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, bad("does not start with a PEM certificate")
	}
	var leaf *pem.Block
	for len(bytes.TrimSpace(rest)) > 0 {
		block, after := pem.Decode(rest)
		// pem.Decode skips whatever comes before a block it can read,
		// a broken block included: refuse what it skipped.
		if block == nil || block.Type != "CERTIFICATE" || len(block.Headers) > 0 ||
			!bytes.HasPrefix(bytes.TrimLeft(rest, " \t\r\n"), []byte("-----BEGIN CERTIFICATE-----")) ||
			bytes.Count(rest[:len(rest)-len(after)], []byte("-----BEGIN")) != 1 {
			return nil, bad("holds something other than PEM certificates")
		}
		if leaf == nil {
			leaf = block
		}
		rest = after
	}
	c, err := x509.ParseCertificate(leaf.Bytes)
	if err != nil {
		return nil, bad("is not an X.509 certificate")
	}
	key, ok := c.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, bad("has no RSA key")
	}
	if key.N.BitLen() < ppMinBits {
		return nil, bad(fmt.Sprintf("has an RSA key of %d bits, under %d", key.N.BitLen(), ppMinBits))
	}
	named := ppCertName(c.Subject.CommonName)
	for _, n := range c.DNSNames {
		named = named || ppCertName(n)
	}
	if !named {
		return nil, bad("is not PayPal's message verification certificate (messageverificationcerts.paypal.com)")
	}
	return &ppCert{key: key, notBefore: c.NotBefore, notAfter: c.NotAfter}, nil
}

// extract maps a delivery (a PayPal webhook event) to:
//
//	ID      body "id" ("WH-..."), the event's, the same on every retry
//	        (each retry is a new transmission with its own
//	        PAYPAL-TRANSMISSION-ID)
//	Type    body "event_type" ("PAYMENT.CAPTURE.COMPLETED")
//	Source  the webhook id (Config.WebhookID): the body names no
//	        account, and the webhook id is what PayPal signs into every
//	        delivery, so it says which subscription a delivery came by
//	Subject body resource.id (the capture, order, sale or refund id)
//	Time    body "create_time" (RFC 3339)
func (p paypal) extract(body []byte, _ http.Header) (Event, error) {
	obj := parseJSONObject(body)
	e := Event{ID: obj.str("id"), Type: obj.str("event_type"), Source: p.webhookID, Subject: obj.id("resource", "id")}
	if t, err := time.Parse(time.RFC3339, obj.str("create_time")); err == nil {
		e.Time = t
	}
	return e.complete(obj, `"id"`, `"event_type"`)
}

// errPayPalSign is why Sign cannot sign for a source that trusts
// PayPal's own keys.
var errPayPalSign = errors.New("paypal signs with PayPal's private key, which hookbridge does not have: only a source with development_keys: true can be signed for (with the published development key)")

// sign sets the five headers PayPal sends, signed with the development
// key at now: a new transmission id (each of PayPal's transmissions has
// its own), the time in whole seconds as PayPal writes it, and a
// certificate URL on the first key host, which a source with
// development keys never fetches.
func (p paypal) sign(body []byte, h http.Header, now time.Time) error {
	if !p.keys.dev {
		return errPayPalSign
	}
	v := ppHeaders{id: ppTransmissionUUID(), stamp: now.UTC().Format(time.RFC3339)}
	sig, err := rsa.SignPKCS1v15(nil, developmentKey(), crypto.SHA256, p.digest(v, body))
	if err != nil {
		return fmt.Errorf("paypal: signing with the development key: %w", err)
	}
	h.Set(ppTransmissionID, v.id)
	h.Set(ppTransmissionTime, v.stamp)
	h.Set(ppCertURL, "https://"+p.keys.hosts[0]+ppCertPath+ppDevCertID)
	h.Set(ppAuthAlgo, ppAlgorithm)
	h.Set(ppTransmissionSig, base64.StdEncoding.EncodeToString(sig))
	return nil
}

// ppTransmissionUUID is a random id written as PayPal writes transmission
// ids (a UUID).
func ppTransmissionUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
