package bridge_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"hash/crc32"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/keys"
	"github.com/hookbridge/hookbridge/bridge/provider"
)

// keyHost stands in for a platform's key host (PayPal's api.paypal.com):
// an HTTPS server whose certificate a test CA signed, serving documents by
// path and counting the requests for each.
type keyHost struct {
	*httptest.Server
	mu   sync.Mutex
	docs map[string][]byte // absent: 500
	hits map[string]int
}

func newKeyHost(t *testing.T, ca *x509.Certificate, caKey crypto.Signer) *keyHost {
	t.Helper()
	k := &keyHost{docs: map[string][]byte{}, hits: map[string]int{}}
	k.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.mu.Lock()
		defer k.mu.Unlock()
		k.hits[r.URL.Path]++
		doc, ok := k.docs[r.URL.Path]
		if !ok {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		w.Write(doc)
	}))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := certificate(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}, key.Public(), ca, caKey)
	k.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.Raw}, PrivateKey: key}}}
	k.StartTLS()
	t.Cleanup(k.Close)
	return k
}

func (k *keyHost) serve(path string, doc []byte) { k.mu.Lock(); k.docs[path] = doc; k.mu.Unlock() }
func (k *keyHost) count(path string) int         { k.mu.Lock(); defer k.mu.Unlock(); return k.hits[path] }
func (k *keyHost) host() string                  { return strings.TrimPrefix(k.URL, "https://") }

// testCA makes a certificate authority of the test's own: the roots to
// give a keys.Fetcher (as the system's are given in production), and
// key hosts whose certificates it signed.
func testCA(t *testing.T) (*x509.CertPool, func() *keyHost) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := certificate(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "hookbridge test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign,
	}, caKey.Public(), nil, caKey)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return roots, func() *keyHost { return newKeyHost(t, ca, caKey) }
}

// certificate is tmpl for pub, signed by parent's key (self-signed when
// parent is nil), valid around testNow and now.
func certificate(t *testing.T, tmpl *x509.Certificate, pub crypto.PublicKey, parent *x509.Certificate, parentKey crypto.Signer) *x509.Certificate {
	t.Helper()
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl.SerialNumber = serial
	early, late := testNow, time.Now()
	if late.Before(early) {
		early, late = late, early
	}
	tmpl.NotBefore, tmpl.NotAfter = early.Add(-time.Hour), late.Add(time.Hour)
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// payPalSigner is a key pair of PayPal's kind and its certificate.
type payPalSigner struct {
	key  *rsa.PrivateKey
	cert []byte // PEM
}

func newPayPalSigner(t *testing.T) payPalSigner {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	c := certificate(t, &x509.Certificate{Subject: pkix.Name{CommonName: "messageverificationcerts.sandbox.paypal.com"}}, key.Public(), nil, key)
	return payPalSigner{key: key, cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})}
}

// sign is what PayPal sends with body: its transmission headers, signed
// over id|time|webhook id|crc32(body), naming certURL.
func (s payPalSigner) sign(t *testing.T, body []byte, id, webhookID, certURL string) http.Header {
	t.Helper()
	stamp := testNow.Format(time.RFC3339)
	digest := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%s|%d", id, stamp, webhookID, crc32.ChecksumIEEE(body)))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("PAYPAL-TRANSMISSION-ID", id)
	h.Set("PAYPAL-TRANSMISSION-TIME", stamp)
	h.Set("PAYPAL-TRANSMISSION-SIG", base64.StdEncoding.EncodeToString(sig))
	h.Set("PAYPAL-CERT-URL", certURL)
	h.Set("PAYPAL-AUTH-ALGO", "SHA256withRSA")
	return h
}

// TestKeysFetchedThroughTheBridge: a PayPal source verifies deliveries
// with certificates fetched over HTTPS from its key hosts by the bridge's
// real fetcher, trusting a test CA given the way the system's roots are:
// the first delivery fetches, the next ones use the cache, a rotated
// certificate at a new URL is fetched once, a URL off the hosts is 401
// and never fetched, a key host that fails is 503 with Retry-After (the
// platform retries), and a delivery that does not verify with a good key
// is 401.
func TestKeysFetchedThroughTheBridge(t *testing.T) {
	roots, newHost := testCA(t)
	paypalHost, elsewhere := newHost(), newHost()

	const webhookID = "8PT597110X687430LKGECATA"
	h := newHarnessWith(t, []testSource{{"live", provider.Config{
		Kind: "paypal", WebhookID: webhookID, KeyHosts: []string{paypalHost.host()},
		Keys: keys.New(keys.Config{RootCAs: roots}),
	}}})

	old, rotated := newPayPalSigner(t), newPayPalSigner(t)
	const oldCert, newCert, downCert = "/v1/notifications/certs/CERT-old", "/v1/notifications/certs/CERT-new", "/v1/notifications/certs/CERT-down"
	paypalHost.serve(oldCert, old.cert)
	paypalHost.serve(newCert, rotated.cert)
	elsewhere.serve(oldCert, old.cert)

	send := func(s payPalSigner, id, certURL string, tamper bool) answer {
		t.Helper()
		body := fmt.Appendf(nil, `{"id":"WH-%s","event_type":"PAYMENT.CAPTURE.COMPLETED","create_time":"2026-11-27T11:59:00Z","resource":{"id":"CAP-1"}}`, id)
		hdr := s.sign(t, body, "tx-"+id, webhookID, certURL)
		if tamper {
			body = append(body, ' ')
		}
		return h.post(http.MethodPost, "live", body, hdr)
	}
	for i, c := range []struct {
		name       string
		signer     payPalSigner
		certURL    string
		tamper     bool
		want       int
		retryAfter bool
	}{
		{"first delivery: fetched", old, paypalHost.URL + oldCert, false, 200, false},
		{"second delivery: cached", old, paypalHost.URL + oldCert, false, 200, false},
		{"rotated certificate at a new URL", rotated, paypalHost.URL + newCert, false, 200, false},
		{"the old one still cached", old, paypalHost.URL + oldCert, false, 200, false},
		{"a host off the list", old, elsewhere.URL + oldCert, false, 401, false},
		{"plain http on the key host", old, strings.Replace(paypalHost.URL, "https:", "http:", 1) + oldCert, false, 401, false},
		{"the key host fails", old, paypalHost.URL + downCert, false, 503, true},
		{"a body the good key did not sign", old, paypalHost.URL + oldCert, true, 401, false},
		{"signed by another key than the certificate's", rotated, paypalHost.URL + oldCert, false, 401, false},
	} {
		a := send(c.signer, fmt.Sprint(i), c.certURL, c.tamper)
		if a.code != c.want || (a.header.Get("Retry-After") != "") != c.retryAfter {
			t.Errorf("%s: %d (Retry-After %q) %s; want %d", c.name, a.code, a.header.Get("Retry-After"), a.raw, c.want)
		}
	}
	if n := paypalHost.count(oldCert); n > 2 {
		// One fetch, and at most one more when the signature by another
		// key made the provider ask whether the certificate had changed
		// (the fetcher allows that once a minute).
		t.Errorf("the old certificate was fetched %d times for five deliveries, want the cache to serve them", n)
	}
	if n := paypalHost.count(newCert); n != 1 {
		t.Errorf("the rotated certificate was fetched %d times, want 1", n)
	}
	if n := elsewhere.count(oldCert); n != 0 {
		t.Errorf("the host off the list was asked %d times", n)
	}
	if n := h.stored(); n != 4 {
		t.Errorf("%d deliveries stored, want the 4 answered 200", n)
	}
	if !strings.Contains(h.logs.String(), `"outcome":"keys_unavailable"`) {
		t.Errorf("no delivery logged as keys_unavailable:\n%s", h.logs.String())
	}
}

// TestAdobeKeysFetchedThroughTheBridge: an adobe source verifies Adobe
// I/O Events' two signatures with the PEM keys at their paths on its key
// host, fetched by the bridge's real fetcher over HTTPS (a test CA in
// place of the system's roots): a key is fetched once and cached, the
// second key is fetched only when the first refuses, a rotated key at a
// new path is fetched once, a key host that fails is 503 with
// Retry-After, and a body not addressed to the source or not signed by
// the keys is 401.
func TestAdobeKeysFetchedThroughTheBridge(t *testing.T) {
	roots, newHost := testCA(t)
	adobe := newHost()
	const clientID = "5f4a2b0c3d1e4f6a8b9c0d1e2f3a4b5c"
	h := newHarnessWith(t, []testSource{{"aio", provider.Config{
		Kind: "adobe", ClientID: clientID, KeyHosts: []string{adobe.host()},
		Keys: keys.New(keys.Config{RootCAs: roots}),
	}}})
	keyAt := map[string]*rsa.PrivateKey{}
	for _, path := range []string{"/prod/keys/pub-key-1.pem", "/prod/keys/pub-key-2.pem", "/prod/keys/pub-key-3.pem"} {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKIXPublicKey(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		keyAt[path] = k
		adobe.serve(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	const down = "/prod/keys/pub-key-gone.pem"
	keyAt[down] = keyAt["/prod/keys/pub-key-1.pem"]

	send := func(id, recipient, path1, path2 string, tamper bool) answer {
		t.Helper()
		body := fmt.Appendf(nil, `{"specversion":"1.0","id":"ce-%s","source":"urn:uuid:5c8f2d48-a2a7-4d0e-bb49-aabf9a72bd1e","type":"com.adobe.commerce.observer.sales_order_save_after","time":"2026-11-27T11:59:00Z","eventid":"%s","recipient_client_id":"%s","data":{"value":{"entity_id":"1"}}}`, id, id, recipient)
		hdr := http.Header{"Content-Type": {"application/json"}}
		for i, path := range []string{path1, path2} {
			digest := sha256.Sum256(body)
			sig, err := rsa.SignPKCS1v15(rand.Reader, keyAt[path], crypto.SHA256, digest[:])
			if err != nil {
				t.Fatal(err)
			}
			hdr.Set(fmt.Sprintf("X-Adobe-Digital-Signature-%d", i+1), base64.StdEncoding.EncodeToString(sig))
			hdr.Set(fmt.Sprintf("X-Adobe-Public-Key%d-Path", i+1), path)
		}
		if tamper {
			body = append(body, ' ')
		}
		return h.post(http.MethodPost, "aio", body, hdr)
	}
	for i, c := range []struct {
		name              string
		recipient, p1, p2 string
		tamper            bool
		want              int
	}{
		{"first delivery: key 1 fetched", clientID, "/prod/keys/pub-key-1.pem", "/prod/keys/pub-key-2.pem", false, 200},
		{"second delivery: cached", clientID, "/prod/keys/pub-key-1.pem", "/prod/keys/pub-key-2.pem", false, 200},
		{"rotated: key 3 at a new path", clientID, "/prod/keys/pub-key-3.pem", "/prod/keys/pub-key-1.pem", false, 200},
		{"the key host fails", clientID, down, down, false, 503},
		{"addressed to another client", "0000a2b0c3d1e4f6a8b9c0d1e2f3a4b5", "/prod/keys/pub-key-1.pem", "/prod/keys/pub-key-2.pem", false, 401},
		{"a body the keys did not sign", clientID, "/prod/keys/pub-key-1.pem", "/prod/keys/pub-key-2.pem", true, 401},
	} {
		a := send(fmt.Sprint("evt-", i), c.recipient, c.p1, c.p2, c.tamper)
		if a.code != c.want || (a.header.Get("Retry-After") != "") != (c.want == 503) {
			t.Errorf("%s: %d (Retry-After %q) %s; want %d", c.name, a.code, a.header.Get("Retry-After"), a.raw, c.want)
		}
	}
	// Key 2 is fetched only for the tampered body, which key 1 refused.
	for path, want := range map[string]int{"/prod/keys/pub-key-1.pem": 1, "/prod/keys/pub-key-2.pem": 1, "/prod/keys/pub-key-3.pem": 1} {
		if n := adobe.count(path); n != want {
			t.Errorf("%s fetched %d times, want %d", path, n, want)
		}
	}
	if n := h.stored(); n != 3 {
		t.Errorf("%d deliveries stored, want the 3 answered 200", n)
	}
}
