package provider_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// Shopware publishes no test vector. This one is self-computed from the
// published algorithm (PLATFORMS.md section 8, row 10): hex HMAC-SHA256 of
// the body of shopware/docs guides/plugins/apps/webhook.md's example (with
// an empty payload) under the key test_shop_secret. swPrevSig is the same
// body under old_shop_secret, also self-computed.
const (
	swareSecret  = "test_shop_secret"
	swareOld     = "old_shop_secret"
	swareBody    = `{"data":{"payload":[],"event":"product.written"},"source":{"url":"http://localhost:8000","appVersion":"0.0.1","shopId":"dgrH7nLU6tlE","eventId":"7b04ebe416db4ebc93de4d791325e1d9"},"timestamp":123123123}`
	swareSig     = "2f13fc74f6e84b29a03220ca38846c1b1900701460a023171f8d049c9b005639"
	swarePrevSig = "3f32700f6bd8e14dc880e96127182c1250b91c6f2a14ee68159ef81611dbf3ea"
)

func swareDelivery() delivery {
	return delivery{body: []byte(swareBody), h: header("shopware-shop-signature", swareSig)}
}

func TestShopwareVerify(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "shopware", Secrets: []string{swareSecret}})
	set := func(name, v string) func(d *delivery) { return func(d *delivery) { d.h.Set(name, v) } }
	runMutations(t, p, swareDelivery(), []string{swareSecret, swareOld, swarePrevSig}, []mutation{
		{name: "vector", want: nil},
		{name: "upper-case hex", edit: set("shopware-shop-signature", strings.ToUpper(swareSig)), want: nil},
		{name: "previous header beside, under an unknown secret", edit: set("shopware-shop-signature-previous", swarePrevSig), want: nil},
		{name: "only the previous header, under our secret", edit: func(d *delivery) {
			d.h.Del("shopware-shop-signature")
			d.h.Set("shopware-shop-signature-previous", swareSig)
		}, want: nil},
		{name: "current under an unknown secret, previous under ours", edit: func(d *delivery) {
			d.h.Set("shopware-shop-signature", swarePrevSig)
			d.h.Set("shopware-shop-signature-previous", swareSig)
		}, want: nil},
		{name: "signed under another secret", edit: set("shopware-shop-signature", swarePrevSig), want: provider.ErrBadSignature},
		{name: "both headers under unknown secrets", edit: func(d *delivery) {
			d.h.Set("shopware-shop-signature", swarePrevSig)
			d.h.Set("shopware-shop-signature-previous", swarePrevSig)
		}, want: provider.ErrBadSignature},
		{name: "body changed by one byte", edit: func(d *delivery) { d.body = flipByte(d.body, 10) }, want: provider.ErrBadSignature},
		{name: "body re-serialised", edit: func(d *delivery) {
			d.body = []byte(strings.ReplaceAll(swareBody, `"url":"http://localhost:8000"`, `"url":"http:\/\/localhost:8000"`))
		}, want: provider.ErrBadSignature},
		{name: "trailing newline", edit: func(d *delivery) { d.body = append(d.body, '\n') }, want: provider.ErrBadSignature},
		{name: "sha256= prefix", edit: set("shopware-shop-signature", "sha256="+swareSig), want: provider.ErrMalformedSignature},
		{name: "base64 instead of hex", edit: set("shopware-shop-signature", "LxP8dPboSymgMiDKOIRsGxkAFwFGCgIxfzjQSdObAFY="), want: provider.ErrMalformedSignature},
		{name: "one digit short", edit: set("shopware-shop-signature", swareSig[1:]), want: provider.ErrMalformedSignature},
		{name: "malformed previous, no match", edit: func(d *delivery) {
			d.h.Set("shopware-shop-signature", swarePrevSig)
			d.h.Set("shopware-shop-signature-previous", "zz")
		}, want: provider.ErrMalformedSignature},
		{name: "malformed current, previous matches", edit: func(d *delivery) {
			d.h.Set("shopware-shop-signature", "zz")
			d.h.Set("shopware-shop-signature-previous", swareSig)
		}, want: nil},
		{name: "header missing", edit: func(d *delivery) { d.h.Del("shopware-shop-signature") }, want: provider.ErrMissingSignature},
		{name: "header empty", edit: set("shopware-shop-signature", ""), want: provider.ErrMissingSignature},
	})
}

// TestShopwareRotation: with the old and the new shop secret configured,
// in either order, a delivery under either verifies.
func TestShopwareRotation(t *testing.T) {
	for _, secrets := range [][]string{{swareOld, swareSecret}, {swareSecret, swareOld}} {
		p := mustNew(t, provider.Config{Kind: "shopware", Secrets: secrets})
		for _, sig := range []string{swareSig, swarePrevSig} {
			checkSentinel(t, p.Verify([]byte(swareBody), header("shopware-shop-signature", sig)), nil)
		}
	}
}

func TestShopwareExtract(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "shopware", Secrets: []string{swareSecret}})
	const (
		eventID = "7b04ebe416db4ebc93de4d791325e1d9"
		written = `{"data":{"payload":[{"entity":"product","operation":"update","primaryKey":"0190ab12cd34ef56ab78cd90ef12ab34","updatedFields":["stock"]}],"event":"product.written"},"source":{"url":"https://shop.example.test","appVersion":"1.0.0","shopId":"dgrH7nLU6tlE","eventId":"` + eventID + `","sequence":42},"timestamp":1764676800}`
		placed  = `{"data":{"payload":{"order":{"id":"0190ab12cd34ef56ab78cd90ef12ab99","orderNumber":"10001"}},"event":"checkout.order.placed"},"source":{"shopId":"dgrH7nLU6tlE","eventId":"` + eventID + `"},"timestamp":1764676800}`
	)
	withSeq := func(seq string) provider.Event {
		return provider.Event{
			ID: eventID, Type: "product.written", Source: "dgrH7nLU6tlE", Subject: "0190ab12cd34ef56ab78cd90ef12ab34",
			Time: time.Unix(1764676800, 0), Extensions: map[string]string{"sequence": seq},
		}
	}
	for _, c := range []struct {
		name string
		body string
		h    http.Header
		want provider.Event
		err  error
	}{
		{"entity written, headers agree with the body", written, header("X-Shopware-Event-Id", eventID, "X-Shopware-Sequence", "42"), withSeq("00000000000000000042"), nil},
		{"no headers: the signed copies", written, header(), withSeq("00000000000000000042"), nil},
		{"sequence header, none in the body", placed, header("X-Shopware-Sequence", "7"), provider.Event{
			ID: eventID, Type: "checkout.order.placed", Source: "dgrH7nLU6tlE", Subject: "0190ab12cd34ef56ab78cd90ef12ab99",
			Time: time.Unix(1764676800, 0), Extensions: map[string]string{"sequence": "00000000000000000007"},
		}, nil},
		{"docs example: empty payload, no sequence", swareBody, header(), provider.Event{ID: eventID, Type: "product.written", Source: "dgrH7nLU6tlE", Time: time.Unix(123123123, 0)}, nil},
		{"sequence header not a number: ignored", placed, header("X-Shopware-Sequence", "-1"), provider.Event{
			ID: eventID, Type: "checkout.order.placed", Source: "dgrH7nLU6tlE", Subject: "0190ab12cd34ef56ab78cd90ef12ab99", Time: time.Unix(1764676800, 0),
		}, nil},
		{"two entities written: no subject", strings.Replace(written, `"updatedFields":["stock"]}]`, `"updatedFields":["stock"]},{"entity":"product","primaryKey":"x"}]`, 1), header(), provider.Event{
			ID: eventID, Type: "product.written", Source: "dgrH7nLU6tlE", Time: time.Unix(1764676800, 0), Extensions: map[string]string{"sequence": "00000000000000000042"},
		}, nil},
		{"a transaction's state change: the order it carries", strings.Replace(placed, `"checkout.order.placed"`, `"state_enter.order_transaction.state.paid"`, 1), header(), provider.Event{
			ID: eventID, Type: "state_enter.order_transaction.state.paid", Source: "dgrH7nLU6tlE", Subject: "0190ab12cd34ef56ab78cd90ef12ab99", Time: time.Unix(1764676800, 0),
		}, nil},
		{"event id header differs from the signed one", written, header("X-Shopware-Event-Id", "0000"), provider.Event{}, provider.ErrUnusable},
		{"sequence header differs from the signed one", written, header("X-Shopware-Sequence", "43"), provider.Event{}, provider.ErrUnusable},
		{"no event id anywhere", `{"data":{"event":"product.written"}}`, header(), provider.Event{}, provider.ErrUnusable},
		{"no event", `{"data":{},"source":{"eventId":"e"}}`, header(), provider.Event{}, provider.ErrUnusable},
		{"primaryKey in two cases", strings.Replace(written, `"primaryKey"`, `"PrimaryKey":"y","primaryKey"`, 1), header(), provider.Event{}, provider.ErrUnusable},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := p.Extract([]byte(c.body), c.h)
			checkSentinel(t, err, c.err)
			if !eventEqual(got, c.want) {
				t.Fatalf("Extract = %+v, want %+v", got, c.want)
			}
		})
	}
	// A field of the array's entry is named by its place in the body.
	_, err := p.Extract([]byte(strings.Replace(written, `"primaryKey"`, `"PrimaryKey":"y","primaryKey"`, 1)), header())
	if want := `unusable payload: field "data.payload[0].primaryKey": key "primaryKey" is also written in another case`; err == nil || err.Error() != want {
		t.Errorf("Extract error %v, want %q", err, want)
	}
}

// TestShopwareSequenceOrders: the padded sequence sorts as the numbers do,
// as the CloudEvents sequence extension compares it (as strings).
func TestShopwareSequenceOrders(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "shopware", Secrets: []string{swareSecret}})
	var prev string
	for _, n := range []string{"0", "9", "10", "99", "100", "18446744073709551615", "99999999999999999999"} {
		e, err := p.Extract([]byte(swareBody), header("X-Shopware-Sequence", n))
		if err != nil {
			t.Fatal(err)
		}
		seq := e.Extensions["sequence"]
		if len(seq) != 20 || strings.TrimLeft(seq, "0") != strings.TrimLeft(n, "0") || seq <= prev && prev != "" {
			t.Fatalf("sequence %s gives %q after %q", n, seq, prev)
		}
		prev = seq
	}
	e, err := p.Extract([]byte(swareBody), header("X-Shopware-Sequence", "100000000000000000000"))
	if err != nil || e.Extensions != nil {
		t.Fatalf("21 digits: %+v, %v; want no sequence", e, err)
	}
}
