package provider_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// Adobe I/O Events' public vector: adobe/aio-lib-events, commit
// 495332c73aed294f346fd0bc7d1ed7aaea5eac60, test/mock.js (signatureOptions,
// testEvent, testClientId, testPubKeys), as test/index.test.js's
// "Verify event signature successfully" uses it: the body below, signed
// with the key whose public half is adobeVectorKey, in both signature
// headers, for the recipient client_id1. The SDK fetched the keys from
// CloudFront URLs then (publicKeyUrl1, publicKeyUrl2); they are served
// here at the same host and paths. Verified independently with
// `openssl dgst -sha256 -verify`.
const (
	adobeVectorBody     = `{"event_id":"eventId1","event":{"hello":"world"},"recipient_client_id":"client_id1"}`
	adobeVectorClientID = "client_id1"
	adobeVectorHost     = "d2wbnl47m3ubk3.cloudfront.net"
	adobeVectorSig      = "Hgq9NEIAtFItHQfHYi2x94zAaHG7088PUDLdpSTdsFjLPD+IJCrKpSf4bxNeh3vHmMqj6zUVYfFEYvgI0riJNx12b3wIMHhoa/MxQGzzCcN4GnB/LVaTm9/1LZSxKpyR34FhaaYxbN3u3dSE60zk5swjzMKUFRmFiiE6k0knjcM+e0E3f1g9kFXgy/dUIOlty4SlS3hbv1UHS/BYXakH7d0lb4mrNxHIGNuIyFRmMpbZ4KyXDJo5nCQqvW0dZKAikpavf58/S8xbYyhJTImNJaUMZYQ5m8KD6H1ME48Hr3Q+Vgte9cXrTCreK1tVqCCy/ZaQGC7Z/qPOC+D849hi9g=="
	// adobeVectorShortSig is mock.js's invalidSignature: 32 bytes.
	adobeVectorShortSig = "hXC8F1eTt8Xmz7ec/9MkHqfzubDCSfGsgb8dWD0F+hQ="
	// adobeVectorKey is mock.js's validTestPubKey, base64-decoded.
	adobeVectorKey = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArGwUIIdaBSUrZq4V24cL
R3I19gel9uBBmXE3lt4oVHF0lMsHnA72cJNf/IPFYDWElM/tE4bat8p78O2ZQpus
6nzi/ISfSWprWhvTuI5sKx6CVgbRIzUM6VTIcvo8o3PK49HbgacRiUABZ1uNo7Cz
Pfmu5xAY+l2Ie1Dt8yperotKAKJmuPYeFWKGe9tzbPYgFluCy8DjPp2gGsmjsorR
/CVRJq8fWl5aTLha+ZHSTuyNY+RQhC/fZ7CHf89EdSvonyu6W7/SJmSf9DGGjmX0
HJNREqdTE9QdbSBMfNn/pa9fCGwR3yEoAZCkfVG06Xx02vOI0Q1RAkf2tGhO4bsZ
cwIDAQAB
-----END PUBLIC KEY-----`
	// adobeVectorBadKey is mock.js's invalidTestPubKey, base64-decoded:
	// the same key with two bytes after it.
	adobeVectorBadKey = adobeVectorKey + "\xd7m"
)

// adobeCommerceBody is an Adobe Commerce event as I/O Events delivers it:
// AdobeDocs/commerce-extensibility, commit
// 0a42f3420b07b99941ffb7be7d8b268cdabdc734,
// src/pages/events/tutorial/debugging.md (its curl example's body), byte
// for byte.
const (
	adobeCommerceBody     = `{"specversion":"1.0","id":"23f76cef-9f14-44b1-bbd0-29995789c98e","source":"urn:uuid:fb58963f-d2e7-4ab4-83da-b6ff15b8ebc0","type":"com.adobe.commerce.observer.catalog_product_save_commit_after","datacontenttype":"application/json","time":"2025-07-17T15:48:42.436Z","eventid":"b0f2b088-5490-4d16-9ce9-0cb1fb3e5ed0","event_id":"b0f2b088-5490-4d16-9ce9-0cb1fb3e5ed0","recipient_client_id":"ca7b36f23be94dcb9d2ebb97f0276e3f","recipientclientid":"ca7b36f23be94dcb9d2ebb97f0276e3f","data":{"key":"31a86bbd-e51d-4b58-9f5a-34ec8df263c9","value":{"sku":"eventtest1","name":"eventtest r","created_at":"2025-06-20 15:32:20","updated_at":"2025-07-17 15:48:41","stock_data":{"qty":"65"},"price":"32444.000000"},"source":"eventprovider","_metadata":{"commerceEdition":"Adobe Commerce","commerceVersion":"1.0.0-beta","eventsClientVersion":"1.12.1","storeId":"0","websiteId":"0","storeGroupId":"0"}}}`
	adobeCommerceClientID = "ca7b36f23be94dcb9d2ebb97f0276e3f"
)

// adobeBatchBody is a batch delivery: AdobeDocs/adobe-io-events, commit
// 3c0b8f6d6ba74cb720a9e03491ebc44bad728647,
// src/pages/guides/using/indesign-apis/indesign-apis-events-data-stream-setup.md,
// "Example Event (batch)", its first two events as written there.
const (
	adobeBatchBody = `[
  {
      "data": {
        "key": "ec1b9eaf-a0b2-4bcf-9f6d-bd394e2586d7",
        "source": "indesign",
        "value": {
          "jobId": "8b524c70-6779-47f1-ac2a-ce93c23b3f5f",
          "eventId": "ec1b9eaf-a0b2-4bcf-9f6d-bd394e2586d7",
          "state": "QUEUED",
          "timestamp": 1720631447943
        }
      },
      "id": "e414ef62-92f7-48f9-841b-b22d38f6141e",
      "source": "urn:uuid:5c8f2d48-a2a7-4d0e-bb49-aabf9a72bd1e",
      "specversion": "1.0",
      "type": "QUEUED",
      "datacontenttype": "application/json",
      "time": "2024-07-10T17:10:48.985Z",
      "eventid": "420c1092-a7fd-4132-9ee8-de7a41c01bcd",
      "recipientclientid": "7af7ab96045640b5a6e4724810145eb9"
    },
  {
      "data": {
        "key": "f1dbc354-3878-4273-8a9e-c2a6b57543cc",
        "source": "indesign",
        "value": {
          "jobId": "8b524c70-6779-47f1-ac2a-ce93c23b3f5f",
          "eventId": "f1dbc354-3878-4273-8a9e-c2a6b57543cc",
          "state": "ASSETS_DOWNLOAD_STARTED",
          "timestamp": 1720631448826
        }
      },
      "id": "70b8efcb-38f2-4781-84ee-036013d3f5bc",
      "source": "urn:uuid:5c8f2d48-a2a7-4d0e-bb49-aabf9a72bd1e",
      "specversion": "1.0",
      "type": "ASSETS_DOWNLOAD_STARTED",
      "datacontenttype": "application/json",
      "time": "2024-07-10T17:10:49.165Z",
      "eventid": "d1c47805-a971-4685-8e63-863ba4ecd325",
      "recipientclientid": "7af7ab96045640b5a6e4724810145eb9"
    }
]`
	adobeBatchClientID = "7af7ab96045640b5a6e4724810145eb9"
)

// Where the test keys are served: Adobe's host and paths of its shape.
const (
	adobeHost  = "static.adobeioevents.com"
	adobePathA = "/prod/keys/pub-key-0b4d8c6e-8f83-4e34-9a7a-7a1cbd4e0c11.pem"
	adobePathB = "/prod/keys/pub-key-5e2c9a1f-3b7d-4c68-8d21-6f0e9b3a4d52.pem"
	adobePathC = "/prod/keys/pub-key-9f1a7e3c-2d4b-4a8e-b6c5-1e7d3f9a2b80.pem"
)

func publicPEM(t testing.TB, k crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// adobeServer serves the three test keys at their paths on Adobe's host.
func adobeServer(t testing.TB) *keyServer {
	keys := testRSAKeys()
	return newKeyServer(map[string]string{
		"https://" + adobeHost + adobePathA:    publicPEM(t, &keys[0].PublicKey),
		"https://" + adobeHost + adobePathB:    publicPEM(t, &keys[1].PublicKey),
		"https://" + adobeHost + adobePathC:    publicPEM(t, &keys[2].PublicKey),
		"https://" + adobeHost + "/index.html": "<html>not a key</html>",
	})
}

// adobeSig is Adobe's signature of body under k.
func adobeSig(t testing.TB, k *rsa.PrivateKey, body []byte) string {
	t.Helper()
	sum := sha256.Sum256(body)
	sig, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// adobeSigned is body signed as Adobe signs it: signature 1 with key 0
// at path A, signature 2 with key 1 at path B.
func adobeSigned(t testing.TB, body string) delivery {
	t.Helper()
	keys := testRSAKeys()
	b := []byte(body)
	return delivery{body: b, h: header(
		"X-Adobe-Digital-Signature-1", adobeSig(t, keys[0], b),
		"X-Adobe-Public-Key1-Path", adobePathA,
		"X-Adobe-Digital-Signature-2", adobeSig(t, keys[1], b),
		"X-Adobe-Public-Key2-Path", adobePathB,
		"X-Adobe-Event-Id", "b0f2b088-5490-4d16-9ce9-0cb1fb3e5ed0",
		"X-Adobe-Event-Code", "com.adobe.commerce.observer.catalog_product_save_commit_after",
		"X-Adobe-Provider", "eventprovider",
		"Content-Type", "application/json",
	)}
}

// resign signs d's body again with Adobe's two keys.
func resign(t testing.TB, d *delivery) {
	keys := testRSAKeys()
	d.h.Set("X-Adobe-Digital-Signature-1", adobeSig(t, keys[0], d.body))
	d.h.Set("X-Adobe-Digital-Signature-2", adobeSig(t, keys[1], d.body))
}

func newAdobe(t testing.TB, clientID string, keys provider.KeyFetcher) *provider.Provider {
	return mustNew(t, provider.Config{Kind: "adobe", ClientID: clientID, Keys: keys})
}

// TestAdobeVector: aio-lib-events' vector verifies, its keys fetched from
// the host and paths the test set; the SDK's failing cases fail.
func TestAdobeVector(t *testing.T) {
	docs := map[string]string{
		"https://" + adobeVectorHost + "/pub-key-1.pem": adobeVectorKey,
		"https://" + adobeVectorHost + "/pub-key-2.pem": adobeVectorKey,
		"https://" + adobeVectorHost + "/bad-key.pem":   adobeVectorBadKey,
	}
	valid := delivery{body: []byte(adobeVectorBody), h: header(
		"X-Adobe-Digital-Signature-1", adobeVectorSig, "X-Adobe-Public-Key1-Path", "/pub-key-1.pem",
		"X-Adobe-Digital-Signature-2", adobeVectorSig, "X-Adobe-Public-Key2-Path", "/pub-key-2.pem",
	)}
	cases := []struct {
		name     string
		clientID string
		edit     func(d *delivery)
		want     error
		fetched  []string // the paths fetched
	}{
		{"valid", adobeVectorClientID, nil, nil, []string{"/pub-key-1.pem"}},
		{"signature 2 alone", adobeVectorClientID, func(d *delivery) { d.h.Del("X-Adobe-Digital-Signature-1") }, nil, []string{"/pub-key-2.pem"}},
		{"invalid target recipient", "testInvalidClient", nil, provider.ErrBadSignature, []string{"/pub-key-1.pem"}},
		{"invalid signature", adobeVectorClientID, func(d *delivery) {
			d.h.Set("X-Adobe-Digital-Signature-1", adobeVectorShortSig)
			d.h.Set("X-Adobe-Digital-Signature-2", adobeVectorShortSig)
		}, provider.ErrMalformedSignature, nil},
		{"invalid public key", adobeVectorClientID, func(d *delivery) {
			d.h.Set("X-Adobe-Public-Key1-Path", "/bad-key.pem")
			d.h.Set("X-Adobe-Public-Key2-Path", "/bad-key.pem")
		}, provider.ErrBadSignature, []string{"/bad-key.pem", "/bad-key.pem"}},
		{"body changed", adobeVectorClientID, func(d *delivery) { d.body = []byte(strings.Replace(adobeVectorBody, "world", "World", 1)) },
			provider.ErrBadSignature, []string{"/pub-key-1.pem", "/pub-key-2.pem"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			keys := newKeyServer(docs)
			p := mustNew(t, provider.Config{Kind: "adobe", ClientID: c.clientID, KeyHosts: []string{adobeVectorHost}, Keys: keys})
			d := valid.clone()
			if c.edit != nil {
				c.edit(&d)
			}
			err := p.Verify(d.body, d.h)
			checkSentinel(t, err, c.want)
			checkNoLeak(t, err, adobeVectorSig, adobeVectorBody, c.clientID)
			var want []string
			for _, path := range c.fetched {
				want = append(want, "https://"+adobeVectorHost+path)
			}
			if got := keys.calls(); !slices.Equal(got, want) {
				t.Errorf("fetched %v, want %v", got, want)
			}
		})
	}
}

// TestAdobeMutations changes one thing of a genuine delivery at a time:
// each signed byte, each header, each key, each recipient field.
func TestAdobeMutations(t *testing.T) {
	keys := adobeServer(t)
	p := newAdobe(t, adobeCommerceClientID, keys)
	valid := adobeSigned(t, adobeCommerceBody)
	set := func(name, v string) func(d *delivery) { return func(d *delivery) { d.h.Set(name, v) } }
	del := func(names ...string) func(d *delivery) {
		return func(d *delivery) {
			for _, n := range names {
				d.h.Del(n)
			}
		}
	}
	both := func(edits ...func(d *delivery)) func(d *delivery) {
		return func(d *delivery) {
			for _, e := range edits {
				e(d)
			}
		}
	}
	body := func(b string) func(d *delivery) {
		return func(d *delivery) { d.body = []byte(b); resign(t, d) }
	}
	replace := func(old, new string) func(d *delivery) {
		return body(strings.Replace(adobeCommerceBody, old, new, 1))
	}
	sig1, sig2 := valid.h.Get("X-Adobe-Digital-Signature-1"), valid.h.Get("X-Adobe-Digital-Signature-2")
	other := adobeSig(t, testRSAKeys()[2], valid.body) // key C's signature of the body
	cases := []mutation{
		{"genuine", nil, nil},
		// Either signature is enough (rotation).
		{"signature 1 alone", del("X-Adobe-Digital-Signature-2", "X-Adobe-Public-Key2-Path"), nil},
		{"signature 2 alone", del("X-Adobe-Digital-Signature-1", "X-Adobe-Public-Key1-Path"), nil},
		{"signature 1 wrong, 2 right", set("X-Adobe-Digital-Signature-1", other), nil},
		{"signature 2 wrong, 1 right", set("X-Adobe-Digital-Signature-2", other), nil},
		{"signature 1 malformed, 2 right", set("X-Adobe-Digital-Signature-1", "not base64"), nil},
		{"key path 1 missing, 2 right", del("X-Adobe-Public-Key1-Path"), nil},
		{"key 1 unavailable, 2 right", set("X-Adobe-Public-Key1-Path", "/prod/keys/pub-key-gone.pem"), nil},
		{"key path 1 unclean, 2 right", set("X-Adobe-Public-Key1-Path", "/prod/../keys/a.pem"), nil},
		{"key C at path 1", both(set("X-Adobe-Public-Key1-Path", adobePathC), set("X-Adobe-Digital-Signature-1", other), del("X-Adobe-Digital-Signature-2")), nil},
		// Missing.
		{"no signatures", del("X-Adobe-Digital-Signature-1", "X-Adobe-Digital-Signature-2"), provider.ErrMissingSignature},
		{"no headers at all", del("X-Adobe-Digital-Signature-1", "X-Adobe-Digital-Signature-2", "X-Adobe-Public-Key1-Path", "X-Adobe-Public-Key2-Path"), provider.ErrMissingSignature},
		{"empty signatures", both(set("X-Adobe-Digital-Signature-1", ""), set("X-Adobe-Digital-Signature-2", "")), provider.ErrMissingSignature},
		{"no key paths", del("X-Adobe-Public-Key1-Path", "X-Adobe-Public-Key2-Path"), provider.ErrMissingSignature},
		{"signature 1 without its path", del("X-Adobe-Public-Key1-Path", "X-Adobe-Digital-Signature-2"), provider.ErrMissingSignature},
		// Malformed.
		{"signature not base64", both(set("X-Adobe-Digital-Signature-1", "%%%"), del("X-Adobe-Digital-Signature-2")), provider.ErrMalformedSignature},
		{"signature too short", both(set("X-Adobe-Digital-Signature-1", adobeVectorShortSig), set("X-Adobe-Digital-Signature-2", adobeVectorShortSig)), provider.ErrMalformedSignature},
		{"signature unpadded", both(set("X-Adobe-Digital-Signature-1", strings.TrimRight(sig1, "=")+"A"), del("X-Adobe-Digital-Signature-2")), provider.ErrMalformedSignature},
		{"signature URL-safe", both(set("X-Adobe-Digital-Signature-1", "-"+sig1[1:]), del("X-Adobe-Digital-Signature-2")), provider.ErrMalformedSignature},
		{"signature with a line break", both(set("X-Adobe-Digital-Signature-1", sig1[:64]+"\n"+sig1[64:]), del("X-Adobe-Digital-Signature-2")), provider.ErrMalformedSignature},
		{"signature too long", both(set("X-Adobe-Digital-Signature-1", sig1+sig1+sig1), del("X-Adobe-Digital-Signature-2")), provider.ErrMalformedSignature},
		{"signature sent twice", both(func(d *delivery) { d.h.Add("X-Adobe-Digital-Signature-1", sig1) }, del("X-Adobe-Digital-Signature-2")), provider.ErrMalformedSignature},
		{"key path sent twice", both(func(d *delivery) { d.h.Add("X-Adobe-Public-Key1-Path", adobePathA) }, del("X-Adobe-Digital-Signature-2")), provider.ErrMalformedSignature},
		{"malformed beats missing", both(set("X-Adobe-Digital-Signature-1", "%%%"), del("X-Adobe-Public-Key2-Path")), provider.ErrMalformedSignature},
		// Refused by a key, or pointing where no key of Adobe's is.
		{"signatures swapped", both(set("X-Adobe-Digital-Signature-1", sig2), set("X-Adobe-Digital-Signature-2", sig1)), provider.ErrBadSignature},
		{"key paths swapped", both(set("X-Adobe-Public-Key1-Path", adobePathB), set("X-Adobe-Public-Key2-Path", adobePathA)), provider.ErrBadSignature},
		{"another key's signatures", both(set("X-Adobe-Digital-Signature-1", other), set("X-Adobe-Digital-Signature-2", other)), provider.ErrBadSignature},
		{"signature 1 zeroed", both(set("X-Adobe-Digital-Signature-1", base64.StdEncoding.EncodeToString(make([]byte, 256))), del("X-Adobe-Digital-Signature-2")), provider.ErrBadSignature},
		{"refusal beats an unavailable key", both(set("X-Adobe-Digital-Signature-1", other), set("X-Adobe-Public-Key2-Path", "/prod/keys/pub-key-gone.pem")), provider.ErrBadSignature},
		{"refusal beats malformed", both(set("X-Adobe-Digital-Signature-1", "%%%"), set("X-Adobe-Digital-Signature-2", other)), provider.ErrBadSignature},
		{"a page, not a key", both(set("X-Adobe-Public-Key1-Path", "/index.html"), del("X-Adobe-Digital-Signature-2")), provider.ErrBadSignature},
		// Unavailable keys: the delivery may be genuine.
		{"key 1 unavailable alone", both(set("X-Adobe-Public-Key1-Path", "/prod/keys/pub-key-gone.pem"), del("X-Adobe-Digital-Signature-2")), provider.ErrKeyUnavailable},
		{"both keys unavailable", both(set("X-Adobe-Public-Key1-Path", "/prod/keys/gone-1.pem"), set("X-Adobe-Public-Key2-Path", "/prod/keys/gone-2.pem")), provider.ErrKeyUnavailable},
		{"unavailable beats malformed", both(set("X-Adobe-Public-Key1-Path", "/prod/keys/gone-1.pem"), set("X-Adobe-Digital-Signature-2", "%%%")), provider.ErrKeyUnavailable},
		// Recipients: signed, but for another registration.
		{"no recipient", body(`{"eventid":"e1","type":"t"}`), provider.ErrBadSignature},
		{"another client", replace(`"recipientclientid":"ca7b36f23be94dcb9d2ebb97f0276e3f"`, `"recipientclientid":"0f13cce22f4645328e01b90262b3ee51"`), provider.ErrBadSignature},
		{"the deprecated field another client", replace(`"recipient_client_id":"ca7b36f23be94dcb9d2ebb97f0276e3f"`, `"recipient_client_id":"0f13cce22f4645328e01b90262b3ee51"`), provider.ErrBadSignature},
		{"only the new field", replace(`"recipient_client_id":"ca7b36f23be94dcb9d2ebb97f0276e3f",`, ``), nil},
		{"only the deprecated field", replace(`,"recipientclientid":"ca7b36f23be94dcb9d2ebb97f0276e3f"`, ``), nil},
		{"client id in another case", replace(`"recipientclientid":"ca7b36f23be94dcb9d2ebb97f0276e3f"`, `"recipientclientid":"CA7B36F23BE94DCB9D2EBB97F0276E3F"`), provider.ErrBadSignature},
		{"client id escaped", replace(`"recipientclientid":"ca7b36f23be94dcb9d2ebb97f0276e3f"`, `"recipientclientid":"\u0063a7b36f23be94dcb9d2ebb97f0276e3f"`), nil},
		{"recipient a number", body(`{"eventid":"e1","type":"t","recipientclientid":1}`), provider.ErrBadSignature},
		{"recipient null", replace(`"recipientclientid":"ca7b36f23be94dcb9d2ebb97f0276e3f"`, `"recipientclientid":null`), provider.ErrBadSignature},
		{"recipient repeated", replace(`"recipientclientid":"ca7b36f23be94dcb9d2ebb97f0276e3f"`, `"recipientclientid":"ca7b36f23be94dcb9d2ebb97f0276e3f","recipientclientid":"x"`), provider.ErrBadSignature},
		{"recipient key in another case", replace(`"recipientclientid"`, `"recipientClientId"`), provider.ErrBadSignature},
		{"recipient nested only", body(`{"eventid":"e1","data":{"recipientclientid":"ca7b36f23be94dcb9d2ebb97f0276e3f"}}`), provider.ErrBadSignature},
		{"body not JSON", body(`recipientclientid=ca7b36f23be94dcb9d2ebb97f0276e3f`), provider.ErrBadSignature},
		{"empty body", body(``), provider.ErrBadSignature},
		{"batch addressed", body(`[{"eventid":"a","recipientclientid":"ca7b36f23be94dcb9d2ebb97f0276e3f"},{"eventid":"b","recipient_client_id":"ca7b36f23be94dcb9d2ebb97f0276e3f"}]`), nil},
		{"batch with one event for another client", body(`[{"eventid":"a","recipientclientid":"ca7b36f23be94dcb9d2ebb97f0276e3f"},{"eventid":"b","recipientclientid":"x"}]`), provider.ErrBadSignature},
		{"empty batch", body(`[]`), provider.ErrBadSignature},
		{"batch of a string", body(`["ca7b36f23be94dcb9d2ebb97f0276e3f"]`), provider.ErrBadSignature},
		{"batch with trailing data", body(`[{"recipientclientid":"ca7b36f23be94dcb9d2ebb97f0276e3f"}] x`), provider.ErrBadSignature},
	}
	for _, path := range []string{
		"prod/keys/a.pem", "/", "/prod/keys/", "//evil.example/key.pem", "/prod//keys/a.pem",
		"/prod/../keys/a.pem", "/prod/./keys/a.pem", "/..", "/prod/keys/a.pem?x=1", "/prod/keys/a.pem#x",
		"/@evil.example/a.pem", "/prod\\keys\\a.pem", "/prod/keys/%2e%2e/a.pem", "/prod/keys/a\x00.pem",
		"/prod/keys/a\t.pem", "/prod/keys/a .pem", "/prod/keys/é.pem", "/" + strings.Repeat("a", 256),
		":443/prod/keys/a.pem", "/prod/keys/a.pem\r\nHost: evil.example",
	} {
		cases = append(cases, mutation{"key path " + strconv.Quote(path),
			both(set("X-Adobe-Public-Key1-Path", path), set("X-Adobe-Public-Key2-Path", path)), provider.ErrBadSignature})
	}
	for i := range valid.body {
		cases = append(cases, mutation{fmt.Sprintf("body byte %d flipped", i), func(d *delivery) { d.body = flipByte(d.body, i) }, provider.ErrBadSignature})
	}
	runMutations(t, p, valid, []string{sig1, sig2, other}, cases)

	// A path that is not clean is never fetched.
	fetched := keys.calls()
	for _, u := range fetched {
		if !strings.HasPrefix(u, "https://"+adobeHost+"/prod/keys/") && u != "https://"+adobeHost+"/index.html" {
			t.Errorf("fetched %s", u)
		}
	}
	// Each document parsed once, however often it was asked for.
	if keys.parses > 4 {
		t.Errorf("%d documents parsed for %d fetches, want each at most once", keys.parses, len(fetched))
	}
}

// TestAdobeKeyRotation: deliveries signed as Adobe rotates its keys (A and
// B, then B and C) verify, each fetching only the key it needs, once.
func TestAdobeKeyRotation(t *testing.T) {
	keys := adobeServer(t)
	p := newAdobe(t, adobeCommerceClientID, keys)
	k := testRSAKeys()
	body := []byte(adobeCommerceBody)
	steps := []struct {
		name       string
		h          http.Header
		newFetches []string
	}{
		{"A and B", header(
			"X-Adobe-Digital-Signature-1", adobeSig(t, k[0], body), "X-Adobe-Public-Key1-Path", adobePathA,
			"X-Adobe-Digital-Signature-2", adobeSig(t, k[1], body), "X-Adobe-Public-Key2-Path", adobePathB,
		), []string{adobePathA}},
		{"A and B again", header(
			"X-Adobe-Digital-Signature-1", adobeSig(t, k[0], body), "X-Adobe-Public-Key1-Path", adobePathA,
			"X-Adobe-Digital-Signature-2", adobeSig(t, k[1], body), "X-Adobe-Public-Key2-Path", adobePathB,
		), []string{adobePathA}},
		{"B and C", header(
			"X-Adobe-Digital-Signature-1", adobeSig(t, k[1], body), "X-Adobe-Public-Key1-Path", adobePathB,
			"X-Adobe-Digital-Signature-2", adobeSig(t, k[2], body), "X-Adobe-Public-Key2-Path", adobePathC,
		), []string{adobePathB}},
		{"C alone, A's path gone", header(
			"X-Adobe-Digital-Signature-1", adobeSig(t, k[0], body), "X-Adobe-Public-Key1-Path", "/prod/keys/pub-key-retired.pem",
			"X-Adobe-Digital-Signature-2", adobeSig(t, k[2], body), "X-Adobe-Public-Key2-Path", adobePathC,
		), []string{"/prod/keys/pub-key-retired.pem", adobePathC}},
	}
	for _, s := range steps {
		before := len(keys.calls())
		checkSentinel(t, p.Verify(body, s.h), nil)
		var want []string
		for _, path := range s.newFetches {
			want = append(want, "https://"+adobeHost+path)
		}
		if got := keys.calls()[before:]; !slices.Equal(got, want) {
			t.Errorf("%s: fetched %v, want %v", s.name, got, want)
		}
	}
	if keys.parses != 3 {
		t.Errorf("parsed %d documents, want 3 (A, B, C once each)", keys.parses)
	}
}

// TestAdobeKeyHosts: the key's URL is "https://" + the first key host +
// the path, so that a test server can stand in for Adobe's; the fetcher
// is told every host.
func TestAdobeKeyHosts(t *testing.T) {
	k := testRSAKeys()
	var got []provider.KeyRequest
	fetcher := fetcherFunc(func(r provider.KeyRequest) (any, error) {
		got = append(got, r)
		return r.Parse([]byte(publicPEM(t, &k[0].PublicKey)))
	})
	p := mustNew(t, provider.Config{Kind: "adobe", ClientID: adobeCommerceClientID, KeyHosts: []string{"127.0.0.1:8443", "keys.test"}, Keys: fetcher})
	d := adobeSigned(t, adobeCommerceBody)
	checkSentinel(t, p.Verify(d.body, d.h), nil)
	if len(got) != 1 || got[0].URL != "https://127.0.0.1:8443"+adobePathA || got[0].Kind != "adobe" ||
		!slices.Equal(got[0].Hosts, []string{"127.0.0.1:8443", "keys.test"}) || got[0].Refresh {
		t.Fatalf("key requests %+v, want one for https://127.0.0.1:8443%s on both hosts", got, adobePathA)
	}
	// By default the key is Adobe's host's.
	got = nil
	p = newAdobe(t, adobeCommerceClientID, fetcher)
	checkSentinel(t, p.Verify(d.body, d.h), nil)
	if len(got) != 1 || got[0].URL != "https://static.adobeioevents.com"+adobePathA || !slices.Equal(got[0].Hosts, []string{"static.adobeioevents.com"}) {
		t.Fatalf("key requests %+v, want one for Adobe's host", got)
	}
}

// TestAdobeFetchFailure: a key that cannot be had is ErrKeyUnavailable,
// the fetcher's error passed through; a provider built without a fetcher
// (as a config check builds one) answers the same.
func TestAdobeFetchFailure(t *testing.T) {
	timeout := fmt.Errorf("GET https://static.adobeioevents.com/...: i/o timeout: %w", provider.ErrKeyUnavailable)
	p := newAdobe(t, adobeCommerceClientID, fetcherFunc(func(provider.KeyRequest) (any, error) { return nil, timeout }))
	d := adobeSigned(t, adobeCommerceBody)
	err := p.Verify(d.body, d.h)
	checkSentinel(t, err, provider.ErrKeyUnavailable)
	if !errors.Is(err, timeout) {
		t.Errorf("err = %v, want the fetcher's", err)
	}
	checkSentinel(t, newAdobe(t, adobeCommerceClientID, nil).Verify(d.body, d.h), provider.ErrKeyUnavailable)
}

// TestAdobeKeyDocuments: what the document at a key path must be.
func TestAdobeKeyDocuments(t *testing.T) {
	k := testRSAKeys()[0]
	good := publicPEM(t, &k.PublicKey)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)}))
	withHeaders := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: der}))
	cases := []struct {
		name string
		doc  string
		want error
	}{
		{"PEM public key", good, nil},
		{"with white space around", "\n  " + good + "\n\n", nil},
		{"CRLF line ends", strings.ReplaceAll(good, "\n", "\r\n"), nil},
		{"Adobe's vector key", adobeVectorKey, provider.ErrBadSignature}, // another key: it refuses the signature
		{"empty", "", provider.ErrBadSignature},
		{"HTML", "<html><body>Access Denied</body></html>", provider.ErrBadSignature},
		{"text before the block", "key:\n" + good, provider.ErrBadSignature},
		{"text after the block", good + "trailer", provider.ErrBadSignature},
		{"two blocks", good + good, provider.ErrBadSignature},
		{"PKCS #1 block", pkcs1, provider.ErrBadSignature},
		{"block with headers", withHeaders, provider.ErrBadSignature},
		{"certificate type", strings.ReplaceAll(good, "PUBLIC KEY", "CERTIFICATE"), provider.ErrBadSignature},
		{"DER, not PEM", string(der), provider.ErrBadSignature},
		{"truncated", good[:len(good)/2], provider.ErrBadSignature},
		{"EC key", publicPEM(t, &ec.PublicKey), provider.ErrBadSignature},
		{"1024-bit RSA", publicPEM(t, &small.PublicKey), provider.ErrBadSignature},
	}
	d := delivery{body: []byte(adobeCommerceBody)}
	d.h = header("X-Adobe-Digital-Signature-1", adobeSig(t, k, d.body), "X-Adobe-Public-Key1-Path", adobePathA)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			keys := newKeyServer(map[string]string{"https://" + adobeHost + adobePathA: c.doc})
			err := newAdobe(t, adobeCommerceClientID, keys).Verify(d.body, d.h)
			checkSentinel(t, err, c.want)
			if err != nil && len(c.doc) >= 8 && strings.Contains(err.Error(), c.doc) {
				t.Errorf("error %q quotes the document", err)
			}
		})
	}
}

// TestAdobeDevelopmentKeys: a source with development keys verifies what
// Sign signs, never fetching; Sign refuses to sign for any other source.
func TestAdobeDevelopmentKeys(t *testing.T) {
	never := fetcherFunc(func(r provider.KeyRequest) (any, error) {
		t.Errorf("fetched %s with development keys", r.URL)
		return nil, provider.ErrKeyUnavailable
	})
	dev := mustNew(t, provider.Config{Kind: "adobe", ClientID: adobeCommerceClientID, DevelopmentKeys: true, Keys: never})
	h := http.Header{}
	body := []byte(adobeCommerceBody)
	if err := dev.Sign(body, h, time.Unix(signedAt, 0)); err != nil {
		t.Fatal(err)
	}
	checkSentinel(t, dev.Verify(body, h), nil)
	for _, name := range []string{"X-Adobe-Public-Key1-Path", "X-Adobe-Public-Key2-Path"} {
		if h.Get(name) != "/hookbridge/development-key.pem" {
			t.Errorf("%s = %q", name, h.Get(name))
		}
	}
	checkSentinel(t, dev.Verify(flipByte(body, 3), h), provider.ErrBadSignature)
	// Adobe's genuine signatures are not the development key's.
	d := adobeSigned(t, adobeCommerceBody)
	checkSentinel(t, dev.Verify(d.body, d.h), provider.ErrBadSignature)

	// A source that fetches Adobe's keys cannot be signed for, and says why.
	prod := newAdobe(t, adobeCommerceClientID, adobeServer(t))
	err := prod.Sign(body, http.Header{}, time.Unix(signedAt, 0))
	if err == nil || !strings.Contains(err.Error(), "development_keys: true") {
		t.Fatalf("Sign for a production source = %v, want an error naming development_keys", err)
	}
	// What the development key signs does not verify there.
	checkSentinel(t, prod.Verify(body, h), provider.ErrKeyUnavailable) // Adobe serves no development key
}

// TestAdobeSignBody: SignBody addresses a body to the client id as I/O
// Events does, leaving one already addressed byte for byte.
func TestAdobeSignBody(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "adobe", ClientID: "c1", DevelopmentKeys: true})
	cases := []struct {
		name, body, want string
	}{
		{"addressed", `{"eventid":"e","recipientclientid":"c1"}`, `{"eventid":"e","recipientclientid":"c1"}`},
		{"not addressed", `{"eventid":"e","n":1.50}`, `{"eventid":"e","n":1.50,"recipient_client_id":"c1","recipientclientid":"c1"}`},
		{"another client", `{"recipientclientid":"c2"}`, `{"recipient_client_id":"c1","recipientclientid":"c1"}`},
		{"batch", `[{"a":1},{"recipient_client_id":"c1"}]`, `[{"a":1,"recipient_client_id":"c1","recipientclientid":"c1"},{"recipient_client_id":"c1","recipientclientid":"c1"}]`},
	}
	for _, c := range cases {
		got, err := p.SignBody([]byte(c.body))
		if err != nil || string(got) != c.want {
			t.Errorf("%s: SignBody = %s, %v; want %s", c.name, got, err, c.want)
		}
	}
	for _, body := range []string{``, `x`, `1`, `"s"`, `[1]`, `{} {}`, `{"RecipientClientId":"x"}`, `[]`} {
		if got, err := p.SignBody([]byte(body)); err == nil {
			t.Errorf("SignBody(%q) = %s, want an error", body, got)
		}
	}
}

// TestAdobeExtract reads real deliveries and the ways a body can fail.
func TestAdobeExtract(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "adobe", ClientID: adobeCommerceClientID, DevelopmentKeys: true})
	commerce := provider.Event{
		ID:     "b0f2b088-5490-4d16-9ce9-0cb1fb3e5ed0",
		Type:   "commerce.observer.catalog_product_save_commit_after",
		Source: "urn:uuid:fb58963f-d2e7-4ab4-83da-b6ff15b8ebc0",
		Time:   time.Date(2025, 7, 17, 15, 48, 42, 436e6, time.UTC),
	}
	ce := func(fields string) string {
		return `{"specversion":"1.0","source":"urn:uuid:s","type":"com.adobe.commerce.observer.sales_order_save_after",` + fields + `}`
	}
	order := provider.Event{ID: "e1", Type: "commerce.observer.sales_order_save_after", Source: "urn:uuid:s"}
	withSubject := func(e provider.Event, s string) provider.Event { e.Subject = s; return e }
	runExtractCases(t, p, []extractCase{
		{name: "Adobe Commerce event", body: adobeCommerceBody, want: commerce},
		{name: "with its headers", body: adobeCommerceBody, h: adobeSigned(t, adobeCommerceBody).h, want: commerce},
		{name: "only eventid", body: ce(`"eventid":"e1"`), want: order},
		{name: "only event_id", body: ce(`"event_id":"e1"`), want: order},
		{name: "entity id as subject", body: ce(`"eventid":"e1","data":{"value":{"entity_id":"13","order_id":"8"}}`), want: withSubject(order, "13")},
		{name: "numeric entity id", body: ce(`"eventid":"e1","data":{"value":{"entity_id":13}}`), want: withSubject(order, "13")},
		{name: "CloudEvents subject first", body: ce(`"eventid":"e1","subject":"orders/8","data":{"value":{"entity_id":"13"}}`), want: withSubject(order, "orders/8")},
		{name: "type outside com.adobe.", body: `{"eventid":"e1","type":"QUEUED"}`, want: provider.Event{ID: "e1", Type: "QUEUED"}},
		{name: "time not RFC 3339", body: ce(`"eventid":"e1","time":"2025-07-17 15:48:42"`), want: order},
		{name: "header names the body's id and type", body: ce(`"eventid":"e1"`), h: header("X-Adobe-Event-Id", "e1", "X-Adobe-Event-Code", "com.adobe.commerce.observer.sales_order_save_after"), want: order},
		{name: "ids differ", body: ce(`"eventid":"e1","event_id":"e2"`), err: provider.ErrUnusable},
		{name: "no id", body: ce(`"id":"ce-id"`), err: provider.ErrUnusable},
		{name: "id a number", body: ce(`"eventid":1`), err: provider.ErrUnusable},
		{name: "no type", body: `{"eventid":"e1"}`, err: provider.ErrUnusable},
		{name: "type com.adobe. alone", body: `{"eventid":"e1","type":"com.adobe."}`, err: provider.ErrUnusable},
		{name: "aio-lib-events' vector body has no type", body: adobeVectorBody, h: header("X-Adobe-Event-Code", "test_event"), err: provider.ErrUnusable},
		{name: "header id differs", body: ce(`"eventid":"e1"`), h: header("X-Adobe-Event-Id", "e2"), err: provider.ErrUnusable},
		{name: "header event code differs", body: ce(`"eventid":"e1"`), h: header("X-Adobe-Event-Code", "com.adobe.commerce.observer.sales_order_place_after"), err: provider.ErrUnusable},
		{name: "eventid repeated", body: ce(`"eventid":"e1","eventid":"e2"`), err: provider.ErrUnusable},
		{name: "type in another case too", body: ce(`"eventid":"e1","Type":"x"`), err: provider.ErrUnusable},
		{name: "not JSON", body: `eventid=e1`, err: provider.ErrUnusable},
		{name: "empty batch", body: `[]`, err: provider.ErrUnusable},
		{name: "batch of a number", body: `[1]`, err: provider.ErrUnusable},
		{name: "batch with an unusable event", body: `[` + ce(`"eventid":"e1"`) + `,{"eventid":"e2"}]`, err: provider.ErrUnusable},
	})
}

// TestAdobeBatch: a batch delivery is one event per element, each with
// its element as data; its headers are not read.
func TestAdobeBatch(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "adobe", ClientID: adobeBatchClientID, DevelopmentKeys: true})
	h := header("X-Adobe-Event-Id", "not-any-event-of-the-batch")
	body := []byte(adobeBatchBody)
	if err := p.Sign(body, h, time.Unix(signedAt, 0)); err != nil {
		t.Fatal(err)
	}
	checkSentinel(t, p.Verify(body, h), nil)
	events, err := p.ExtractAll(body, h)
	if err != nil {
		t.Fatal(err)
	}
	want := []provider.Event{
		{ID: "420c1092-a7fd-4132-9ee8-de7a41c01bcd", Type: "QUEUED", Source: "urn:uuid:5c8f2d48-a2a7-4d0e-bb49-aabf9a72bd1e", Time: time.Date(2024, 7, 10, 17, 10, 48, 985e6, time.UTC)},
		{ID: "d1c47805-a971-4685-8e63-863ba4ecd325", Type: "ASSETS_DOWNLOAD_STARTED", Source: "urn:uuid:5c8f2d48-a2a7-4d0e-bb49-aabf9a72bd1e", Time: time.Date(2024, 7, 10, 17, 10, 49, 165e6, time.UTC)},
	}
	if len(events) != len(want) {
		t.Fatalf("ExtractAll = %d events, want %d", len(events), len(want))
	}
	for i, e := range events {
		if !strings.HasPrefix(string(e.Data), "{") || !strings.HasSuffix(string(e.Data), "}") || !strings.Contains(string(e.Data), want[i].ID) || e.DataContentType != "application/json" {
			t.Errorf("event %d data %q (%s), want its element", i, e.Data, e.DataContentType)
		}
		e.Data, e.DataContentType = nil, ""
		if !eventEqual(e, want[i]) {
			t.Errorf("event %d = %+v, want %+v", i, e, want[i])
		}
	}
	first, err := p.Extract(body, h)
	if err != nil || first.ID != want[0].ID {
		t.Errorf("Extract = %+v, %v; want the first event", first, err)
	}
	if p.CEType(events[0].Type) != "com.adobe.QUEUED" {
		t.Errorf("CEType = %q", p.CEType(events[0].Type))
	}
}

// TestAdobeChallenge: I/O Events' GET ?challenge= is answered with the
// value, for a token only.
func TestAdobeChallenge(t *testing.T) {
	p := newAdobe(t, "c1", nil)
	const uuid = "8ec8d794-e0ab-42df-9017-e3dada8e84f7" // the docs' example
	got, ok := p.Challenge(url.Values{"challenge": {uuid}})
	if !ok || string(got) != uuid {
		t.Fatalf("Challenge = %q, %v; want the value echoed", got, ok)
	}
	if got, ok := p.Challenge(url.Values{"challenge": {"A_b-9"}}); !ok || string(got) != "A_b-9" {
		t.Errorf("Challenge(A_b-9) = %q, %v", got, ok)
	}
	for name, q := range map[string]url.Values{
		"no challenge": {},
		"empty":        {"challenge": {""}},
		"sent twice":   {"challenge": {uuid, uuid}},
		"markup":       {"challenge": {"<script>alert(1)</script>"}},
		"space":        {"challenge": {"a b"}},
		"newline":      {"challenge": {"a\nb"}},
		"too long":     {"challenge": {strings.Repeat("a", 129)}},
		"braintree's":  {"bt_challenge": {uuid}},
	} {
		if got, ok := p.Challenge(q); ok {
			t.Errorf("%s: Challenge = %q, want no answer", name, got)
		}
	}
	if got, ok := p.Challenge(url.Values{"challenge": {strings.Repeat("a", 128)}}); !ok || len(got) != 128 {
		t.Errorf("128 characters: Challenge = %q, %v", got, ok)
	}
}

// TestAdobeConfig: what New refuses of an adobe source.
func TestAdobeConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  provider.Config
		want string
	}{
		{"no client_id", provider.Config{Kind: "adobe"}, "client_id: required"},
		{"secrets", provider.Config{Kind: "adobe", ClientID: "c", Secrets: []string{"client-secret-value"}}, "secrets: adobe verifies with its platform's public keys and takes no secrets"},
		{"key host with a path", provider.Config{Kind: "adobe", ClientID: "c", KeyHosts: []string{"static.adobeioevents.com/prod"}}, "key_hosts[0]:"},
		{"key host a URL", provider.Config{Kind: "adobe", ClientID: "c", KeyHosts: []string{"https://static.adobeioevents.com"}}, "key_hosts[0]:"},
		{"webhook_id", provider.Config{Kind: "adobe", ClientID: "c", WebhookID: "w"}, "webhook_id: only for paypal"},
		{"api_url", provider.Config{Kind: "adobe", ClientID: "c", APIURL: "https://shop.example/graphql/"}, "api_url: only for saleor"},
		{"type_prefix", provider.Config{Kind: "adobe", ClientID: "c", TypePrefix: "com.example."}, "type_prefix: only for standardwebhooks and hmac"},
		{"client_id on shopify", provider.Config{Kind: "shopify", Secrets: []string{"s"}, ClientID: "c"}, "client_id: only for adobe"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := provider.New(c.cfg)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("New = %v, want an error starting %q", err, c.want)
			}
			checkNoLeak(t, err, "client-secret-value")
		})
	}
	p := mustNew(t, provider.Config{Kind: "adobe", ClientID: "c"})
	if p.Kind() != "adobe" || p.CEType("commerce.observer.sales_order_save_after") != "com.adobe.commerce.observer.sales_order_save_after" || !p.SignsBody() {
		t.Errorf("adobe provider: kind %q, CEType %q", p.Kind(), p.CEType("commerce.observer.sales_order_save_after"))
	}
}
