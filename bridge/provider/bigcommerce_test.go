package provider_test

import (
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// The bigcommerce kind is standardwebhooks keyed with the client secret's
// raw bytes. Vectors: PLATFORMS.md section 6, the self-computed BigCommerce
// row (client secret test_client_secret over the Standard Webhooks
// vector's id, timestamp and body: bcSig), and the Standard Webhooks vector
// itself (vector 1) with its secret taken as raw bytes, which must not
// verify the spec's signature.
func bigCommerce(t testing.TB, secrets ...string) *provider.Provider {
	return mustNew(t, provider.Config{Kind: "bigcommerce", Secrets: secrets, Now: at(swTS)})
}

func TestBigCommerceVerify(t *testing.T) {
	p := bigCommerce(t, bcClientSecret)
	set := func(name, v string) func(d *delivery) { return func(d *delivery) { d.h.Set(name, v) } }
	del := func(name string) func(d *delivery) { return func(d *delivery) { d.h.Del(name) } }
	runMutations(t, p, bcDelivery(), []string{bcClientSecret, bcSig[3:]}, []mutation{
		{name: "vector", want: nil},
		{name: "several signatures, one matches", edit: set("webhook-signature", swBad1+" "+bcSig), want: nil},
		{name: "under the svix-* names", edit: toSvix, want: nil},
		{name: "signed with whsec_ decoding of the key (the spec vector)", edit: set("webhook-signature", swSig), want: provider.ErrBadSignature},
		{name: "known bad signature", edit: set("webhook-signature", swBad1), want: provider.ErrBadSignature},
		{name: "id changed", edit: set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJel"), want: provider.ErrBadSignature},
		{name: "timestamp changed", edit: set("webhook-timestamp", "1614265331"), want: provider.ErrBadSignature},
		{name: "body changed by one byte", edit: func(d *delivery) { d.body = flipByte(d.body, 3) }, want: provider.ErrBadSignature},
		{name: "body re-serialised", edit: func(d *delivery) { d.body = []byte(`{"test":2432232314}`) }, want: provider.ErrBadSignature},
		{name: "no v1 entry", edit: set("webhook-signature", "v1a,"+bcSig[3:]), want: provider.ErrMalformedSignature},
		{name: "not base64", edit: set("webhook-signature", "v1,!!!"), want: provider.ErrMalformedSignature},
		{name: "timestamp not a number", edit: set("webhook-timestamp", "yesterday"), want: provider.ErrMalformedSignature},
		{name: "signature missing", edit: del("webhook-signature"), want: provider.ErrMissingSignature},
		{name: "id missing", edit: del("webhook-id"), want: provider.ErrMissingSignature},
		{name: "timestamp missing", edit: del("webhook-timestamp"), want: provider.ErrMissingSignature},
	})
}

// TestBigCommerceKeyForms: the client secret is always the raw key; its
// whsec_ form, or a Standard Webhooks secret, is a different key.
func TestBigCommerceKeyForms(t *testing.T) {
	d := bcDelivery()
	checkSentinel(t, bigCommerce(t, "old-client-secret", bcClientSecret).Verify(d.body, d.h), nil)
	checkSentinel(t, bigCommerce(t, bcClientSecret, "old-client-secret").Verify(d.body, d.h), nil)
	checkSentinel(t, bigCommerce(t, "whsec_dGVzdF9jbGllbnRfc2VjcmV0").Verify(d.body, d.h), provider.ErrBadSignature)
	sw := swDelivery()
	checkSentinel(t, bigCommerce(t, swSecret).Verify(sw.body, sw.h), provider.ErrBadSignature)
	// secret_encoding belongs to standardwebhooks: bigcommerce is raw, always.
	if _, err := provider.New(provider.Config{Kind: "bigcommerce", Secrets: []string{bcClientSecret}, SecretEncoding: provider.SecretRaw}); err == nil {
		t.Fatal("bigcommerce accepted secret_encoding")
	}
	// What Sign writes is the vector.
	h := header("webhook-id", swMsgID)
	if err := bigCommerce(t, bcClientSecret).Sign([]byte(swBody), h, time.Unix(swTS, 0)); err != nil {
		t.Fatal(err)
	}
	if got := h.Get("webhook-signature"); got != bcSig {
		t.Fatalf("Sign = %q, want %q", got, bcSig)
	}
}

func TestBigCommerceTolerance(t *testing.T) {
	for _, c := range []struct {
		name string
		now  int64
		want error
	}{
		{"at the tolerance", swTS + 300, nil},
		{"a second past it", swTS + 301, provider.ErrStale},
		{"a second too early", swTS - 301, provider.ErrStale},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := mustNew(t, provider.Config{Kind: "bigcommerce", Secrets: []string{bcClientSecret}, Now: at(c.now)})
			d := bcDelivery()
			checkSentinel(t, p.Verify(d.body, d.h), c.want)
		})
	}
}

func TestBigCommerceExtract(t *testing.T) {
	p := bigCommerce(t, bcClientSecret)
	// BigCommerce's documented order payload (bigcommerce/docs webhooks
	// overview), with a status update's scope.
	const order = `{"created_at":1561479335,"store_id":"1025646","producer":"stores/abc123","scope":"store/order/statusUpdated","hash":"dd70c0976e06b67aaf671e73f49dcb79230ebf9d","data":{"type":"order","id":250,"status":{"previous_status_id":0,"new_status_id":11}}}`
	for _, c := range []struct {
		name string
		body string
		want provider.Event
		err  error
	}{
		{"order", order, provider.Event{ID: swMsgID, Type: "store/order/statusUpdated", Source: "stores/abc123", Subject: "250", Time: time.Unix(1561479335, 0)}, nil},
		{"an order transaction: its order", `{"scope":"store/order/transaction/created","data":{"type":"transaction","order_id":"250","transaction_id":"176342342"},"created_at":1561482670}`, provider.Event{ID: swMsgID, Type: "store/order/transaction/created", Subject: "250", Time: time.Unix(1561482670, 0)}, nil},
		{"no created_at: the signed time", `{"scope":"store/product/deleted","data":{"type":"product","id":"77"}}`, provider.Event{ID: swMsgID, Type: "store/product/deleted", Subject: "77", Time: time.Unix(swTS, 0)}, nil},
		{"no scope", `{"type":"store/order/created"}`, provider.Event{}, provider.ErrUnusable},
		{"scope twice", `{"scope":"a","scope":"b"}`, provider.Event{}, provider.ErrUnusable},
		{"subject id in two cases", `{"scope":"a","data":{"id":1,"ID":2}}`, provider.Event{}, provider.ErrUnusable},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := p.Extract([]byte(c.body), bcDelivery().h)
			checkSentinel(t, err, c.err)
			if !eventEqual(got, c.want) {
				t.Fatalf("Extract = %+v, want %+v", got, c.want)
			}
		})
	}
	if got := p.CEType("store/order/statusUpdated"); got != "com.bigcommerce.store.order.statusUpdated" {
		t.Errorf("CEType = %q", got)
	}
	h := bcDelivery().h
	h.Del("webhook-id")
	_, err := p.Extract([]byte(order), h)
	checkSentinel(t, err, provider.ErrUnusable)
}
