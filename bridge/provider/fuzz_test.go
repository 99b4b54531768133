package provider_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// The fuzz targets feed untrusted bytes (bodies, header values, and for
// the locators the configuration) to every parser in the package. Each
// checks that nothing panics, that every error wraps exactly one sentinel
// of the right kind, and, where an independent oracle is cheap, that the
// answer is the right one. Seeds come from the public vectors; more are in
// testdata/fuzz/<FuzzName>/.

// verifySentinels are what Verify may answer besides nil.
var verifySentinels = []error{
	provider.ErrMissingSignature,
	provider.ErrMalformedSignature,
	provider.ErrBadSignature,
	provider.ErrStale,
	provider.ErrPing,
	provider.ErrKeyUnavailable,
}

// checkVerifyErr fails unless err is nil or wraps exactly one sentinel,
// and that one is a Verify sentinel.
func checkVerifyErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if countSentinels(err) != 1 {
		t.Fatalf("Verify error %q wraps %d sentinels, want 1", err, countSentinels(err))
	}
	for _, s := range verifySentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("Verify error %q wraps no Verify sentinel", err)
}

func FuzzStripeSignatureHeader(f *testing.F) {
	f.Add("t=1614265330,v1=" + stripeV1)
	f.Add("t=1614265330,v0=00,v1=" + stripeSig("whsec_other", stripeT, stripeBody) + ",v1=" + stripeV1)
	f.Add("t=1614265330, v1=" + strings.ToUpper(stripeV1))
	f.Add("t=1614265030,v1=" + stripeSig(stripeSecret, stripeT-300, stripeBody))
	f.Add("t=1614264000,v1=" + stripeSig(stripeSecret, stripeT-1330, stripeBody))
	f.Add("t=,v1=")
	f.Add("t=99999999999999999999,v1=" + stripeV1)
	f.Add("v1=" + stripeV1)
	f.Add(",,,=")
	p := mustNew(f, provider.Config{Kind: "stripe", Secrets: []string{stripeSecret}, Now: at(stripeT)})
	f.Fuzz(func(t *testing.T, v string) {
		err := p.Verify([]byte(stripeBody), header("Stripe-Signature", v))
		checkVerifyErr(t, err)
		if err != nil {
			return
		}
		// Oracle: accepted only if the header names one t and a v1 that is
		// the MAC of "<that t>.<body>".
		checkKeyedOracle(t, v, ",", "t", "v1", func(ts string) string { return hmacHex(stripeSecret, ts, ".", stripeBody) })
	})
}

// FuzzPaddleSignatureHeader: accepted only if the header names one ts
// and an h1 that is the MAC of "<that ts>:<body>".
func FuzzPaddleSignatureHeader(f *testing.F) {
	f.Add("ts=1710929255;h1=" + paddleH1)
	f.Add("ts=1710929255;h1=" + paddleSig("pdl_ntfset_other", paddleTS, paddleBody) + ";h1=" + paddleH1 + ";x=y")
	f.Add("ts=1710929255; h1=" + strings.ToUpper(paddleH1))
	f.Add("ts=1710929000;h1=" + paddleSig(paddleSecret, paddleTS-255, paddleBody))
	f.Add("ts=x;h1=y")
	f.Add("ts=99999999999999999999;h1=" + paddleH1)
	f.Add(";;;=")
	p := mustNew(f, provider.Config{Kind: "paddle", Secrets: []string{paddleSecret}, Now: at(paddleTS)})
	f.Fuzz(func(t *testing.T, v string) {
		err := p.Verify([]byte(paddleBody), header("Paddle-Signature", v))
		checkVerifyErr(t, err)
		if err == nil {
			checkKeyedOracle(t, v, ";", "ts", "h1", func(ts string) string { return hmacHex(paddleSecret, ts, ":", paddleBody) })
		}
	})
}

// checkKeyedOracle fails unless v, an accepted "<k>=<v><sep>..." header,
// has exactly one tKey item and a sigKey item equal (in any case) to
// mac(that timestamp).
func checkKeyedOracle(t *testing.T, v, sep, tKey, sigKey string, mac func(ts string) string) {
	t.Helper()
	var ts, sigs []string
	for item := range strings.SplitSeq(v, sep) {
		key, value, _ := strings.Cut(strings.TrimSpace(item), "=")
		switch key {
		case tKey:
			ts = append(ts, value)
		case sigKey:
			sigs = append(sigs, value)
		}
	}
	if len(ts) != 1 {
		t.Fatalf("accepted %q with %d %s= items", v, len(ts), tKey)
	}
	for _, s := range sigs {
		if strings.EqualFold(s, mac(ts[0])) {
			return
		}
	}
	t.Fatalf("accepted %q, which has no %s for its %s", v, sigKey, tKey)
}

// FuzzRecurlySignatureHeader: accepted only if the header is
// "<ms>,<sig>[,<sig>...]" with a sig that is the MAC of "<ms>.<body>".
func FuzzRecurlySignatureHeader(f *testing.F) {
	f.Add(recurlyTS + "," + recurlySig)
	f.Add(recurlyTS + "," + hmacHex(recurlyOther, recurlyTS, ".", recurlyBody) + "," + recurlySig)
	f.Add(recurlyTS + ",zz," + strings.ToUpper(recurlySig))
	f.Add("1663103900000," + hmacHex(recurlySecret, "1663103900000.", recurlyBody))
	f.Add(recurlyTS)
	f.Add("99999999999999999999," + recurlySig)
	f.Add(",,,")
	p := mustNew(f, provider.Config{Kind: "recurly", Secrets: []string{recurlySecret}, Now: recurlyAt})
	f.Fuzz(func(t *testing.T, v string) {
		err := p.Verify([]byte(recurlyBody), header("recurly-signature", v))
		checkVerifyErr(t, err)
		if err != nil {
			return
		}
		items := strings.Split(v, ",")
		want := hmacHex(recurlySecret, items[0], ".", recurlyBody)
		for _, s := range items[1:] {
			if strings.EqualFold(s, want) {
				return
			}
		}
		t.Fatalf("accepted %q, which has no signature for its timestamp", v)
	})
}

// FuzzStandardWebhooksSignatureHeader fuzzes the three signed headers
// under both spellings; spelling%4 says where id, ts and sig go:
//
//	0  webhook-id, webhook-timestamp, webhook-signature
//	1  svix-id, svix-timestamp, svix-signature
//	2  the svix-* set, beside a genuine webhook-* set of the vector
//	3  svix-id, webhook-timestamp, webhook-signature (a mix)
//
// The oracle picks the set as Svix's library does (svix-* when all three
// are non-empty, else webhook-*), independently of the provider's code.
func FuzzStandardWebhooksSignatureHeader(f *testing.F) {
	f.Add(uint8(0), swMsgID, "1614265330", swSig)
	f.Add(uint8(0), swMsgID, "1614265330", swBad1+" "+swSig)
	f.Add(uint8(0), swMsgID, "1614265330", "v1a,AAAA "+swBad2)
	f.Add(uint8(0), swMsgID, "1614265330", "v1,"+strings.TrimSuffix(swSig[3:], "="))
	f.Add(uint8(0), "", "", "")
	f.Add(uint8(0), "msg_1", "99999999999999999999", "v1, v1,,")
	f.Add(uint8(1), swMsgID, "1614265330", swSig)
	f.Add(uint8(1), swMsgID, "", swSig)
	f.Add(uint8(2), swMsgID, "1614265330", swBad1)
	f.Add(uint8(2), "msg_other", "1614265330", swSig)
	f.Add(uint8(2), swMsgID, "1614265330", "")
	f.Add(uint8(3), swMsgID, "1614265330", swSig)
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(swSecret, "whsec_"))
	if err != nil {
		f.Fatal(err)
	}
	p := mustNew(f, provider.Config{Kind: "standardwebhooks", Secrets: []string{swSecret}, Now: at(swTS)})
	f.Fuzz(func(t *testing.T, spelling uint8, id, ts, sig string) {
		h := http.Header{}
		switch spelling % 4 {
		case 0:
			fill(h, []string{"webhook-id", "webhook-timestamp", "webhook-signature"}, id, ts, sig)
		case 1:
			fill(h, []string{"svix-id", "svix-timestamp", "svix-signature"}, id, ts, sig)
		case 2:
			fill(h, []string{"svix-id", "svix-timestamp", "svix-signature"}, id, ts, sig)
			fill(h, []string{"webhook-id", "webhook-timestamp", "webhook-signature"}, swMsgID, "1614265330", swSig)
		case 3:
			fill(h, []string{"svix-id", "webhook-timestamp", "webhook-signature"}, id, ts, sig)
		}
		err := p.Verify([]byte(swBody), h)
		checkVerifyErr(t, err)

		// Oracle: Svix's choice of set, then the list holds the exact
		// expected v1 entry for that set's id and timestamp.
		vid, vts, vsig := h.Get("svix-id"), h.Get("svix-timestamp"), h.Get("svix-signature")
		if vid == "" || vts == "" || vsig == "" {
			vid, vts, vsig = h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
		}
		m := hmac.New(sha256.New, key)
		m.Write([]byte(vid + "." + vts + "." + swBody))
		want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
		holds := false
		for _, entry := range strings.Fields(vsig) {
			holds = holds || entry == want
		}
		if err == nil && !holds {
			t.Fatalf("accepted %v without the right v1 entry for the set Svix would read", h)
		}
		if err != nil && holds && vid != "" && vts == "1614265330" {
			t.Fatalf("refused a genuine %v: %v", h, err)
		}
	})
}

// fuzzHeaders are, per kind, the headers FuzzVerify and FuzzExtract fill
// with fuzzed values (a value "" leaves the header out).
var fuzzHeaders = map[string]struct{ verify, extract []string }{
	"shopify":          {[]string{"X-Shopify-Hmac-Sha256", "Shopify-Hmac-Sha256"}, []string{"X-Shopify-Event-Id", "X-Shopify-Webhook-Id", "X-Shopify-Topic", "X-Shopify-Triggered-At"}},
	"woocommerce":      {[]string{"X-WC-Webhook-Signature", "X-WC-Webhook-Topic"}, []string{"X-WC-Webhook-Topic", "X-WC-Webhook-ID", "X-WC-Webhook-Source"}},
	"stripe":           {[]string{"Stripe-Signature"}, nil},
	"standardwebhooks": {[]string{"webhook-id", "webhook-timestamp", "webhook-signature"}, []string{"webhook-id", "svix-id", "svix-timestamp", "svix-signature"}},
	"github":           {[]string{"X-Hub-Signature-256"}, []string{"X-GitHub-Delivery", "X-GitHub-Event", "Content-Type"}},
	"hmac":             {[]string{"X-Signature"}, []string{"X-Event-Name"}},
	"paddle":           {[]string{"Paddle-Signature"}, nil},
	"recurly":          {[]string{"recurly-signature"}, nil},
	"razorpay":         {[]string{"X-Razorpay-Signature"}, []string{"X-Razorpay-Event-Id"}},
	"square":           {[]string{"X-Square-Hmacsha256-Signature", "X-Square-Signature"}, nil},
	"adyen":            {nil, nil},
	"bigcommerce":      {[]string{"webhook-id", "webhook-timestamp", "webhook-signature"}, []string{"webhook-id", "svix-id", "svix-timestamp", "svix-signature"}},
	"shopware":         {[]string{"shopware-shop-signature", "shopware-shop-signature-previous"}, []string{"X-Shopware-Event-Id", "X-Shopware-Sequence"}},
	"chargebee":        {[]string{"Authorization"}, nil},
	"lemonsqueezy":     {[]string{"X-Signature"}, []string{"X-Event-Name"}},
	"mollie":           {[]string{"X-Mollie-Signature"}, nil},
	"ecwid":            {[]string{"X-Ecwid-Webhook-Signature"}, nil},
	"braintree":        {nil, nil}, // all in the body
	"paypal":           {[]string{"PAYPAL-TRANSMISSION-SIG", "PAYPAL-TRANSMISSION-ID", "PAYPAL-TRANSMISSION-TIME"}, nil},
	"saleor":           {[]string{"Saleor-Signature", "Saleor-Api-Url"}, []string{"Saleor-Event"}},
	"adobe":            {[]string{"X-Adobe-Digital-Signature-1", "X-Adobe-Public-Key1-Path", "X-Adobe-Digital-Signature-2"}, []string{"X-Adobe-Event-Id", "X-Adobe-Event-Code"}},
}

// fuzzProviders builds every kind once, with the old secret of its
// kindCase, verifying at signedAt.
func fuzzProviders(f *testing.F) ([]kindCase, []*provider.Provider) {
	cases := kindCases()
	ps := make([]*provider.Provider, len(cases))
	for i, kc := range cases {
		ps[i] = mustNew(f, kc.cfg(kc.old))
	}
	return cases, ps
}

// fill sets names[i] to values[i], skipping empty values.
func fill(h http.Header, names []string, values ...string) {
	for i, name := range names {
		if i < len(values) && values[i] != "" {
			h.Set(name, values[i])
		}
	}
}

func FuzzVerify(f *testing.F) {
	cases, ps := fuzzProviders(f)
	index := map[string]uint8{}
	for i, kc := range cases {
		index[kc.kind] = uint8(i)
	}
	f.Add(index["shopify"], []byte(shopifyBody), shopifyHMAC, "", "")
	f.Add(index["shopify"], []byte(shopifyBody), "", shopifyHMAC, "")
	f.Add(index["woocommerce"], []byte("webhook_id=17"), "", "", "")
	f.Add(index["woocommerce"], []byte("webhook_id=17\n"), "", "order.created", "")
	f.Add(index["stripe"], []byte(stripeBody), "t=1614265330,v1="+stripeV1, "", "")
	f.Add(index["standardwebhooks"], []byte(swBody), swMsgID, "1614265330", swSig)
	f.Add(index["github"], []byte(githubBody), githubSig, "", "")
	f.Add(index["github"], []byte(githubFormBody), "sha256="+githubFormSig, "", "")
	f.Add(index["hmac"], []byte(`{"id":"ev_1"}`), "v1=AAAA", "", "")
	f.Add(index["paddle"], []byte(paddleBody), "ts=1710929255;h1="+paddleH1, "", "")
	f.Add(index["recurly"], []byte(recurlyBody), recurlyTS+","+recurlySig, "", "")
	f.Add(index["razorpay"], []byte(razorpayGoBody), razorpayGoSig, "", "")
	f.Add(index["square"], []byte(squareBody), squareSig, "", "")
	f.Add(index["square"], []byte(squareBody), "", "1z2n3DEJJiUPKcPzQo1ftvbxGdw=", "")
	f.Add(index["adyen"], []byte(adyenBody), "", "", "")
	f.Add(index["adyen"], adyenBatch(adyenItem, adyenEscaped), "", "", "")
	f.Add(index["bigcommerce"], []byte(swBody), swMsgID, "1614265330", bcSig)
	f.Add(index["shopware"], []byte(swareBody), swareSig, swarePrevSig, "")
	f.Add(index["shopware"], []byte(swareBody), "zz", "", "")
	f.Add(index["chargebee"], []byte(cbBody), cbAuth, "", "")
	f.Add(index["chargebee"], []byte(cbBody), "basic Og==", "", "")
	f.Add(index["lemonsqueezy"], []byte(lsMinimal), lsMinimalSig, "", "")
	f.Add(index["mollie"], []byte(mollieVector), "sha256="+mollieVectorSig+", "+mollieVectorSig, "", "")
	f.Add(index["ecwid"], []byte(ecwidBody), ecwidSig, "", "")
	f.Add(index["ecwid"], []byte(`{"eventId":"abc123","eventCreated":"1614265330"}`), ecwidSig, "", "")
	f.Add(index["ecwid"], []byte(`{"eventId":"a","eventCreated":99999999999999999999}`), "", "", "")
	f.Add(index["braintree"], btBody(btSig, btPayload), "", "", "")
	f.Add(index["paypal"], []byte(ppNode.body), ppNode.sig, ppNode.id, ppNode.stamp)
	f.Add(index["saleor"], []byte(saleorDevBody), saleorDevSig, "https://shop.example/graphql/", "")
	f.Add(index["saleor"], []byte(saleorSDKBody), saleorSDKSig, saleorSDKAPIURL, "")
	f.Fuzz(func(t *testing.T, kind uint8, body []byte, v1, v2, v3 string) {
		i := int(kind) % len(cases)
		kc, p := cases[i], ps[i]
		h := http.Header{}
		fill(h, fuzzHeaders[kc.kind].verify, v1, v2, v3)
		checkVerifyErr(t, p.Verify(body, h))

		// Whatever the request looked like, signing it makes it verify. The
		// kinds that sign fields of the body sign only a body that has
		// them: adyen (inside the body) whatever SignBody accepts, ecwid a
		// body with eventCreated and eventId, whose own time may be stale.
		signed := h.Clone()
		body, err := p.SignBody(body)
		if err != nil {
			if kc.signsFields {
				return
			}
			t.Fatalf("%s: SignBody: %v", kc.kind, err)
		}
		err = p.Sign(body, signed, time.Unix(signedAt, 0))
		if kc.signsFields && err != nil {
			if verr := p.Verify(body, signed); verr == nil || errors.Is(verr, provider.ErrBadSignature) {
				t.Fatalf("%s: Sign refused the body (%v), yet Verify says %v", kc.kind, err, verr)
			}
			return
		}
		if err != nil {
			t.Fatalf("%s: Sign: %v", kc.kind, err)
		}
		if err := p.Verify(body, signed); err != nil && !(kc.signsFields && errors.Is(err, provider.ErrStale)) {
			t.Fatalf("%s: Verify(Sign(body)) = %v", kc.kind, err)
		}
	})
}

func FuzzExtract(f *testing.F) {
	cases, ps := fuzzProviders(f)
	index := map[string]uint8{}
	for i, kc := range cases {
		index[kc.kind] = uint8(i)
	}
	f.Add(index["shopify"], []byte(`{"id":820982911946154508}`), "", "b54557e4", "orders/create", "2023-03-29T18:00:27.877041743Z")
	f.Add(index["woocommerce"], []byte(wcBody), "order.updated", "17", "https://shop.example.com/", "")
	f.Add(index["stripe"], []byte(`{"id":"evt_1","type":"charge.succeeded","account":"acct_1","created":1686089970,"data":{"object":{"id":"ch_1"}}}`), "", "", "", "")
	f.Add(index["standardwebhooks"], []byte(`{"type":"user.created","timestamp":"2022-11-03T20:26:10.344522Z"}`), swMsgID, "", "", "")
	f.Add(index["standardwebhooks"], []byte(`{"type":"user.created"}`), "msg_webhook", swMsgID, "1614265330", swSig)
	f.Add(index["standardwebhooks"], []byte(`{"scope":"store/order/created"}`), "", swMsgID, "1614265330", "")
	f.Add(index["github"], []byte(`{"action":"opened","pull_request":{"number":2},"repository":{"html_url":"https://github.com/o/r"}}`), "guid", "pull_request", "", "")
	f.Add(index["github"], []byte(githubFormBody), "guid", "issues", "application/x-www-form-urlencoded", "")
	f.Add(index["github"], []byte("payload=%7B%22action%22:%22a+b%22%7D&payload=%7B%7D"), "guid", "issues", "application/x-www-form-urlencoded; charset=utf-8", "")
	f.Add(index["github"], []byte("payload=%5B%5D&x=%zz"), "guid", "issues", "APPLICATION/X-WWW-FORM-URLENCODED", "")
	f.Add(index["hmac"], []byte(`{"id":1e3}`), "order_created", "", "", "")
	f.Add(index["paddle"], []byte(paddleBody), "", "", "", "")
	f.Add(index["recurly"], []byte(recurlyBody), "", "", "", "")
	f.Add(index["recurly"], []byte(`{"id":"a","ID":"b","object_type":"account","event_type":"created"}`), "", "", "", "")
	f.Add(index["razorpay"], []byte(razorpayGoBody), "JUEM5GfzXiUMgK", "", "", "")
	f.Add(index["razorpay"], []byte(`{"event":"order.paid","payload":{"payment":{"entity":{"id":"pay_1"}},"order":{"entity":{"id":1}}}}`), "E1", "", "", "")
	f.Add(index["razorpay"], []byte(`{"event":"\ufffd.x","payload":{"\ufffd":{"entity":{"id":"a"}}}}`), "E1", "", "", "")
	f.Add(index["square"], []byte(squareBody), "", "", "", "")
	f.Add(index["adyen"], adyenBatch(adyenItem, adyenEscaped), "", "", "", "")
	f.Add(index["bigcommerce"], []byte(`{"created_at":1561479335,"producer":"stores/abc","scope":"store/order/created","data":{"id":250}}`), swMsgID, "", "", "")
	f.Add(index["shopware"], []byte(`{"data":{"payload":[{"primaryKey":"k"}],"event":"product.written"},"source":{"shopId":"s","eventId":"e","sequence":42}}`), "e", "42", "", "")
	f.Add(index["shopware"], []byte(`{"data":{"payload":{"order":{"id":"o"}},"event":"checkout.order.placed"},"source":{"eventId":"e"}}`), "", "0042", "", "")
	f.Add(index["chargebee"], []byte(cbBody), "", "", "", "")
	f.Add(index["lemonsqueezy"], []byte(lsOrder), "order_created", "", "", "")
	f.Add(index["lemonsqueezy"], []byte(`{"meta":{"event_name":"a"},"data":{"type":"orders","id":1}}`), "b", "", "", "")
	f.Add(index["mollie"], []byte(mollieEvent), "", "", "", "")
	f.Add(index["ecwid"], []byte(ecwidBody), "", "", "", "")
	f.Add(index["ecwid"], []byte(`{"eventId":12,"eventType":"x","storeId":"1003","entityId":-1}`), "", "", "", "")
	f.Add(index["braintree"], btBody(btSig, btPayload), "", "", "", "")
	f.Add(index["paypal"], []byte(ppNode.body), "", "", "", "")
	f.Add(index["paypal"], []byte(`{"id":"WH-1","event_type":"CHECKOUT.ORDER.APPROVED","create_time":"2023-01-28T09:55:22.380Z","resource":{"id":8}}`), "", "", "", "")
	f.Add(index["saleor"], []byte(saleorTestBody), "order_fully_paid", "", "", "")
	f.Add(index["saleor"], []byte(`{"giftCard":{"id":"R2lmdENhcmQ6MQ=="},"order":{"id":1}}`), "gift_card_sent", "", "", "")
	f.Fuzz(func(t *testing.T, kind uint8, body []byte, v1, v2, v3, v4 string) {
		i := int(kind) % len(cases)
		kc, p := cases[i], ps[i]
		h := http.Header{}
		fill(h, fuzzHeaders[kc.kind].extract, v1, v2, v3, v4)
		e, err := p.Extract(body, h)
		checkExtractAll(t, p, body, h, e, err)
		if kc.kind == "github" {
			checkGitHubData(t, p, body, h, e, err)
		}
		if err != nil {
			if !errors.Is(err, provider.ErrUnusable) || countSentinels(err) != 1 {
				t.Fatalf("%s: Extract error %q, want ErrUnusable only", kc.kind, err)
			}
			return
		}
		if e.ID == "" || e.Type == "" {
			t.Fatalf("%s: Extract = %+v with no error, want ID and Type", kc.kind, e)
		}
		if kc.kind == "standardwebhooks" {
			// The id is the one of the set Svix's rule reads.
			want := h.Get("webhook-id")
			if h.Get("svix-id") != "" && h.Get("svix-timestamp") != "" && h.Get("svix-signature") != "" {
				want = h.Get("svix-id")
			}
			if e.ID != want {
				t.Fatalf("Extract ID %q, want %q from %v", e.ID, want, h)
			}
		}
	})
}

// checkExtractAll holds ExtractAll to Extract (event e, error err): the
// same error, or events that all have an ID and a type, the first being e.
func checkExtractAll(t *testing.T, p *provider.Provider, body []byte, h http.Header, e provider.Event, err error) {
	all, errAll := p.ExtractAll(body, h)
	if (err == nil) != (errAll == nil) || err != nil && err.Error() != errAll.Error() {
		t.Fatalf("%s: ExtractAll error %v, Extract error %v", p.Kind(), errAll, err)
	}
	if err != nil {
		return
	}
	if len(all) == 0 || !eventEqual(all[0], e) {
		t.Fatalf("%s: ExtractAll = %+v, want %+v first", p.Kind(), all, e)
	}
	for _, a := range all {
		if a.ID == "" || a.Type == "" {
			t.Fatalf("%s: ExtractAll event %+v has no ID or type", p.Kind(), a)
		}
	}
}

// checkGitHubData holds GitHub's Extract (event e, error err) to go-github's
// reading of a form delivery (mime.ParseMediaType, url.ParseQuery, the
// payload field): a JSON delivery has no data of its own; a form delivery
// is refused unless it has one payload field holding a JSON object, and
// otherwise gives what a JSON delivery of that payload gives, with the
// payload as its data.
func checkGitHubData(t *testing.T, p *provider.Provider, body []byte, h http.Header, e provider.Event, err error) {
	t.Helper()
	mediaType, _, perr := mime.ParseMediaType(h.Get("Content-Type"))
	if perr != nil {
		return // no opinion on a Content-Type go-github would refuse
	}
	if mediaType != "application/x-www-form-urlencoded" {
		if e.Data != nil || e.DataContentType != "" {
			t.Fatalf("%s delivery has Data %q (%s), want the body", mediaType, e.Data, e.DataContentType)
		}
		return
	}
	form, perr := url.ParseQuery(string(body))
	var obj map[string]any
	if perr != nil || len(form["payload"]) != 1 || json.Unmarshal([]byte(form["payload"][0]), &obj) != nil || obj == nil {
		if err == nil {
			t.Fatalf("accepted form body %q: parse error %v, %d payload fields", body, perr, len(form["payload"]))
		}
		return
	}
	payload := form["payload"][0]
	jh := h.Clone()
	jh.Set("Content-Type", "application/json")
	je, jerr := p.Extract([]byte(payload), jh)
	if (err == nil) != (jerr == nil) {
		t.Fatalf("form delivery: %v; the same payload as JSON: %v", err, jerr)
	}
	if err != nil {
		return
	}
	if string(e.Data) != payload || e.DataContentType != "application/json" {
		t.Fatalf("Data %q (%s), want the payload field %q as application/json", e.Data, e.DataContentType, payload)
	}
	if e.ID != je.ID || e.Type != je.Type || e.Source != je.Source || e.Subject != je.Subject || !e.Time.Equal(je.Time) {
		t.Fatalf("form delivery gives %+v, the same payload as JSON %+v", e, je)
	}
}

// FuzzLocator fuzzes the hmac kind's locator syntax (through New) and the
// JSON field lookup (through Extract), checking the lookup against
// encoding/json decoding the whole body with UseNumber, where it does not
// refuse the field.
func FuzzLocator(f *testing.F) {
	f.Add("json:id", []byte(`{"id":"ev_1"}`), "")
	f.Add("json:data.object.id", []byte(`{"data":{"object":{"id":12345678901234567890}}}`), "")
	f.Add("json:a.b", []byte(`{"a":{"b":1e-7},"a":{"b":"last"}}`), "")
	f.Add("json:a", []byte(`{"a":null}`), "")
	f.Add("json:a", []byte(`{"a":"x"} trailing`), "")
	f.Add("json:é", []byte(`{"\u00e9":"\ud83d\ude00"}`), "")
	f.Add("header:X-Razorpay-Event-Id", []byte(razorpayBody), "JUEM5LhOKBsnre")
	f.Add("json:", []byte(`{"":"x"}`), "")
	f.Add("header:Bad Name", []byte(`{}`), "v")
	f.Add("body:id", []byte(`{}`), "")
	f.Fuzz(func(t *testing.T, loc string, body []byte, hv string) {
		p, err := provider.New(provider.Config{Kind: "hmac", Secrets: []string{"s"}, HMAC: provider.HMACConfig{
			Header: "X-Signature", ID: loc, Type: loc,
		}})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "hmac.id: ") || countSentinels(err) != 0 {
				t.Fatalf("New error %q, want one about hmac.id", err)
			}
			return
		}
		h := http.Header{}
		name, isHeader := strings.CutPrefix(loc, "header:")
		if isHeader {
			h.Set(name, hv)
		}
		e, err := p.Extract(body, h)
		if err != nil && (!errors.Is(err, provider.ErrUnusable) || countSentinels(err) != 1) {
			t.Fatalf("Extract error %q, want ErrUnusable only", err)
		}
		if err == nil && (e.ID == "" || e.ID != e.Type) {
			t.Fatalf("Extract = %+v, want equal non-empty ID and Type", e)
		}

		want := hv
		if path, isJSON := strings.CutPrefix(loc, "json:"); isJSON {
			if err != nil && strings.HasPrefix(err.Error(), `unusable payload: field "`+path+`": `) {
				return // JSON readers could read it differently: FuzzJSONFields holds that to encoding/json
			}
			want = jsonOracle(body, strings.Split(path, "."))
		} else if !isHeader {
			t.Fatalf("New accepted locator %q", loc)
		}
		if want == "" {
			if err == nil {
				t.Fatalf("Extract found %q at %s, want nothing", e.ID, loc)
			}
		} else if err != nil || e.ID != want {
			t.Fatalf("Extract at %s = %q, %v; want %q", loc, e.ID, err, want)
		}
	})
}

// jsonOracle decodes the whole body with encoding/json and walks path: the
// string there, the number as written, or "".
func jsonOracle(body []byte, path []string) string {
	if !json.Valid(body) {
		return ""
	}
	d := json.NewDecoder(strings.NewReader(string(body)))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return ""
	}
	for _, key := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		if v, ok = obj[key]; !ok {
			return ""
		}
	}
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return string(x)
	}
	return ""
}

// FuzzAdyen holds Adyen's body parsing to encoding/json, decoding into
// structs as Adyen's Go library does: when Verify accepts a body, every
// item encoding/json reads carries the HMAC of its escaped fields, and
// ExtractAll gives one event per item, in order.
func FuzzAdyen(f *testing.F) {
	p := mustNew(f, provider.Config{Kind: "adyen", Secrets: []string{adyenKey}})
	key, _ := hex.DecodeString(adyenKey)
	f.Add([]byte(adyenBody))
	f.Add(adyenBatch(adyenItem, adyenEscaped))
	f.Add(adyenBatch(adyenEscaped, `{"NotificationRequestItem":{}}`))
	f.Add([]byte(`{"notificationItems":[1,{"NotificationRequestItem":[]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		err := p.Verify(body, http.Header{})
		checkVerifyErr(t, err)
		all, errAll := p.ExtractAll(body, http.Header{})
		if errAll != nil && (!errors.Is(errAll, provider.ErrUnusable) || countSentinels(errAll) != 1) {
			t.Fatalf("ExtractAll error %q, want ErrUnusable only", errAll)
		}
		if err != nil {
			return
		}
		var doc struct {
			NotificationItems []struct {
				NotificationRequestItem struct {
					AdditionalData map[string]any
					Amount         struct {
						Value    json.Number
						Currency string
					}
					PspReference, OriginalReference, MerchantAccountCode, MerchantReference string
					EventCode, Success                                                      string
				}
			}
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("Verify accepted a body encoding/json cannot read: %v", err)
		}
		esc := strings.NewReplacer(`\`, `\\`, `:`, `\:`)
		for i, it := range doc.NotificationItems {
			n := it.NotificationRequestItem
			fields := []string{n.PspReference, n.OriginalReference, n.MerchantAccountCode, n.MerchantReference,
				string(n.Amount.Value), n.Amount.Currency, n.EventCode, n.Success}
			for j := range fields {
				fields[j] = esc.Replace(fields[j])
			}
			m := hmac.New(sha256.New, key)
			m.Write([]byte(strings.Join(fields, ":")))
			if sig, _ := n.AdditionalData["hmacSignature"].(string); sig != base64.StdEncoding.EncodeToString(m.Sum(nil)) {
				t.Fatalf("item %d verified, but encoding/json reads fields %q signed %q", i, fields, sig)
			}
			if errAll == nil && (len(all) != len(doc.NotificationItems) || all[i].Subject != n.PspReference || all[i].Type != n.EventCode) {
				t.Fatalf("ExtractAll = %+v, encoding/json reads item %d as %+v", all, i, n)
			}
		}
	})
}

// FuzzChargebeeAuthorization fuzzes the Authorization header of a
// chargebee source. The oracle is net/http's own reading of Basic auth
// (Request.BasicAuth): accepted exactly when it reads the configured
// username and password; refused as malformed exactly when it reads none.
func FuzzChargebeeAuthorization(f *testing.F) {
	f.Add(cbAuth)
	f.Add("basic " + cbAuth[6:])
	f.Add(basic("cb_user:cb_pass:"))
	f.Add(basic("cb_user"))
	f.Add("Basic  " + cbAuth[6:])
	f.Add("Basic " + cbAuth[6:] + "\n")
	f.Add("Basic ====")
	f.Add("Bearer x")
	f.Add("")
	p := mustNew(f, provider.Config{Kind: "chargebee", Secrets: []string{"old_user:old_pass", cbCreds}})
	f.Fuzz(func(t *testing.T, v string) {
		h := http.Header{}
		if v != "" {
			h.Set("Authorization", v)
		}
		err := p.Verify(nil, h)
		checkVerifyErr(t, err)
		user, pass, ok := (&http.Request{Header: h}).BasicAuth()
		genuine := ok && (user+":"+pass == cbCreds || user+":"+pass == "old_user:old_pass")
		switch {
		case genuine != (err == nil):
			t.Fatalf("%q: Verify = %v; net/http reads %q:%q (%v)", v, err, user, pass, ok)
		case v != "" && !ok && !errors.Is(err, provider.ErrMalformedSignature):
			t.Fatalf("%q: Verify = %v, net/http reads no credentials: want ErrMalformedSignature", v, err)
		case ok && !genuine && !errors.Is(err, provider.ErrBadSignature):
			t.Fatalf("%q: Verify = %v, net/http reads other credentials: want ErrBadSignature", v, err)
		}
	})
}

// FuzzShopwareSignatureHeaders fuzzes both Shopware signature headers.
// Oracle: accepted exactly when either header is, in either case, the hex
// HMAC of the body under one of the configured secrets.
func FuzzShopwareSignatureHeaders(f *testing.F) {
	f.Add(swareSig, "")
	f.Add("", swareSig)
	f.Add(swarePrevSig, swareSig)
	f.Add(strings.ToUpper(swareSig), "zz")
	f.Add("sha256="+swareSig, "")
	f.Add("", "")
	p := mustNew(f, provider.Config{Kind: "shopware", Secrets: []string{swareOld + "x", swareSecret}})
	var macs []string
	for _, k := range []string{swareOld + "x", swareSecret} {
		m := hmac.New(sha256.New, []byte(k))
		m.Write([]byte(swareBody))
		macs = append(macs, hex.EncodeToString(m.Sum(nil)))
	}
	f.Fuzz(func(t *testing.T, sig, prev string) {
		h := http.Header{}
		fill(h, []string{"shopware-shop-signature", "shopware-shop-signature-previous"}, sig, prev)
		err := p.Verify([]byte(swareBody), h)
		checkVerifyErr(t, err)
		genuine := false
		for _, v := range []string{h.Get("shopware-shop-signature"), h.Get("shopware-shop-signature-previous")} {
			for _, m := range macs {
				genuine = genuine || strings.EqualFold(v, m)
			}
		}
		if genuine != (err == nil) {
			t.Fatalf("%q, %q: Verify = %v, genuine %v", sig, prev, err, genuine)
		}
		if h.Get("shopware-shop-signature") == "" && h.Get("shopware-shop-signature-previous") == "" && !errors.Is(err, provider.ErrMissingSignature) {
			t.Fatalf("no headers: Verify = %v", err)
		}
	})
}

// FuzzMollieSignatureHeader fuzzes two X-Mollie-Signature headers (an
// empty one is left out). The oracle, written from Mollie's rules: the
// delivery verifies exactly when some comma-separated item of either
// header, trimmed and with an optional "sha256=" cut off, is the hex MAC
// of the body.
func FuzzMollieSignatureHeader(f *testing.F) {
	f.Add("sha256="+mollieVectorSig, "")
	f.Add(mollieVectorSig, "")
	f.Add("sha256="+lsSig("other", mollieVector), "sha256="+mollieVectorSig)
	f.Add("sha256=00, sha256="+strings.ToUpper(mollieVectorSig), "")
	f.Add(" , ,", "sha256=")
	f.Add("sha256=sha256="+mollieVectorSig, "SHA256="+mollieVectorSig)
	p := mustNew(f, provider.Config{Kind: "mollie", Secrets: []string{mollieSecret}})
	f.Fuzz(func(t *testing.T, v1, v2 string) {
		h := http.Header{}
		for _, v := range []string{v1, v2} {
			if v != "" {
				h.Add("X-Mollie-Signature", v)
			}
		}
		err := p.Verify([]byte(mollieVector), h)
		checkVerifyErr(t, err)
		holds := false
		for _, v := range h.Values("X-Mollie-Signature") {
			for _, item := range strings.Split(v, ",") {
				item = strings.TrimPrefix(strings.TrimSpace(item), "sha256=")
				holds = holds || strings.EqualFold(item, mollieVectorSig)
			}
		}
		if holds != (err == nil) {
			t.Fatalf("headers %q: Verify = %v, want accepted = %v", h.Values("X-Mollie-Signature"), err, holds)
		}
	})
}

// FuzzEcwidSignedFields fuzzes the body Ecwid's signature is read from.
// The oracle is encoding/json's reading of eventCreated and eventId: a
// signature over that pair is either accepted, or refused as absent or
// malformed (readers could disagree, or eventCreated is not Unix seconds),
// never as a mismatch, which would mean the verifier read another pair
// than the one a consumer reads.
func FuzzEcwidSignedFields(f *testing.F) {
	f.Add([]byte(ecwidBody))
	f.Add([]byte(`{"eventId":"abc123","eventCreated":"1614265330"}`))
	f.Add([]byte(`{"eventId":"a","eventId":"b","eventCreated":1}`))
	f.Add([]byte(`{"EventId":"a","eventCreated":1}`))
	f.Add([]byte(`{"eventId":"\ud800","eventCreated":1}`))
	f.Add([]byte(`{"eventId":1e3,"eventCreated":01}`))
	f.Add([]byte("{\"eventId\":\"\xff\",\"eventCreated\":1}"))
	p := mustNew(f, provider.Config{Kind: "ecwid", Secrets: []string{ecwidSecret}, Tolerance: 1 << 62})
	f.Fuzz(func(t *testing.T, body []byte) {
		created, id := jsonOracle(body, []string{"eventCreated"}), jsonOracle(body, []string{"eventId"})
		err := p.Verify(body, header("X-Ecwid-Webhook-Signature", ecwidSign(ecwidSecret, created, id)))
		checkVerifyErr(t, err)
		if errors.Is(err, provider.ErrBadSignature) || errors.Is(err, provider.ErrStale) {
			t.Fatalf("eventCreated %q, eventId %q: %v", created, id, err)
		}
		if err == nil && (id == "" || strings.Trim(created, "0123456789") != "" || created == "") {
			t.Fatalf("accepted eventCreated %q, eventId %q", created, id)
		}
	})
}

// FuzzBraintreeForm fuzzes a braintree delivery's form. The oracle is
// url.ParseQuery and crypto/hmac: accepted exactly when the form has one
// bt_payload of base64 characters and one bt_signature, and one of its
// "key|hex" pairs for the configured public key is the HMAC-SHA1 of the
// payload (or of it and "\n") under SHA-1 of the private key.
func FuzzBraintreeForm(f *testing.F) {
	f.Add(btBody(btSig, btPayload))
	f.Add(btBody("x|y&"+btSigNoNewline, strings.TrimSuffix(btPayload, "\n")))
	f.Add(btBody(btSig, btPayload+"&bt_payload=x"))
	f.Add([]byte("bt_signature=a%7Cb&bt_payload=%zz"))
	p := mustNew(f, provider.Config{Kind: "braintree", Secrets: []string{btSecret}})
	f.Fuzz(func(t *testing.T, body []byte) {
		err := p.Verify(body, http.Header{})
		checkVerifyErr(t, err)
		if _, xerr := p.ExtractAll(body, http.Header{}); xerr != nil && (!errors.Is(xerr, provider.ErrUnusable) || countSentinels(xerr) != 1) {
			t.Fatalf("ExtractAll error %q, want ErrUnusable only", xerr)
		}
		if got, want := err == nil, btOracle(body); got != want {
			t.Fatalf("Verify = %v, the oracle says accepted = %v", err, want)
		}
	})
}

// btOracle is FuzzBraintreeForm's independent reading of a delivery.
func btOracle(body []byte) bool {
	form, err := url.ParseQuery(string(body))
	if err != nil || len(form["bt_signature"]) != 1 || len(form["bt_payload"]) != 1 {
		return false
	}
	payload := form.Get("bt_payload")
	if payload == "" || strings.Trim(payload, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n") != "" {
		return false
	}
	key := sha1.Sum([]byte("integration_private_key"))
	ok := false
	for _, pair := range strings.Split(form.Get("bt_signature"), "&") {
		public, digest, _ := strings.Cut(pair, "|")
		for _, signed := range []string{payload, payload + "\n"} {
			m := hmac.New(sha1.New, key[:])
			m.Write([]byte(signed))
			ok = ok || public == "integration_public_key" && strings.EqualFold(digest, hex.EncodeToString(m.Sum(nil)))
		}
	}
	return ok
}

// FuzzBraintreeNotification fuzzes the notification XML inside a signed
// delivery: it verifies whatever it holds, and Extract either reads an
// event whose data is the XML and whose kind encoding/xml reads alike,
// or answers ErrUnusable only.
func FuzzBraintreeNotification(f *testing.F) {
	f.Add([]byte(btXML))
	f.Add([]byte(`<notification><kind>a</kind><kind>b</kind></notification>`))
	f.Add([]byte(`<notification><kind> check </kind><subject><check><id>1</id></check></subject></notification>`))
	f.Add([]byte(`<notification><kind>x</kind><subject><a/><b><id>2</id></b></subject><timestamp>bad</timestamp></notification>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY e "y">]><notification><kind>&e;</kind></notification>`))
	p := mustNew(f, provider.Config{Kind: "braintree", Secrets: []string{btSecret}})
	f.Fuzz(func(t *testing.T, doc []byte) {
		body, err := p.SignBody([]byte("bt_payload=" + url.QueryEscape(base64.StdEncoding.EncodeToString(doc))))
		if len(doc) == 0 {
			return // no payload to sign
		}
		if err != nil {
			t.Fatalf("SignBody: %v", err)
		}
		if err := p.Verify(body, http.Header{}); err != nil {
			t.Fatalf("Verify(SignBody) = %v", err)
		}
		e, err := p.Extract(body, http.Header{})
		if err != nil {
			if !errors.Is(err, provider.ErrUnusable) || countSentinels(err) != 1 {
				t.Fatalf("Extract error %q, want ErrUnusable only", err)
			}
			return
		}
		var n struct {
			Kind string `xml:"kind"`
		}
		if xml.Unmarshal(doc, &n) != nil || strings.TrimSpace(n.Kind) != e.Type || e.Type == "" {
			t.Fatalf("Extract read kind %q; encoding/xml reads %q", e.Type, n.Kind)
		}
		if string(e.Data) != string(doc) || e.DataContentType != "application/xml" || len(e.ID) != 32 {
			t.Fatalf("Extract = %+v", e)
		}
	})
}

// FuzzBraintreeChallenge: a challenge is answered exactly when it is 20
// to 32 lower-case hex digits, as the SDKs require, and the answer is
// the HMAC-SHA1 of it under SHA-1 of the private key.
func FuzzBraintreeChallenge(f *testing.F) {
	f.Add(btChallenge)
	f.Add("")
	f.Add(strings.ToUpper(btChallenge))
	p := mustNew(f, provider.Config{Kind: "braintree", Secrets: []string{btSecret}})
	key := sha1.Sum([]byte("integration_private_key"))
	f.Fuzz(func(t *testing.T, c string) {
		got, ok := p.Challenge(url.Values{"bt_challenge": {c}})
		valid := len(c) >= 20 && len(c) <= 32 && strings.Trim(c, "0123456789abcdef") == ""
		if ok != valid {
			t.Fatalf("Challenge(%q) answered = %v", c, ok)
		}
		m := hmac.New(sha1.New, key[:])
		m.Write([]byte(c))
		if ok && string(got) != "integration_public_key|"+hex.EncodeToString(m.Sum(nil)) {
			t.Fatalf("Challenge(%q) = %q", c, got)
		}
	})
}

// FuzzPayPalHeaders fuzzes the five headers of PayPal's own delivery
// (PayPal-node-SDK's vector) under the certificate PayPal served for it.
// Oracle: PayPal's signature covers the transmission id and time as
// written, so a delivery is accepted only with the vector's id, time and
// signature (strict base64: one spelling), the algorithm named in any
// case and the certificate URL the vector cites; and a key is looked up
// only at an https URL on PayPal's default hosts and certificate path.
func FuzzPayPalHeaders(f *testing.F) {
	v := ppNode
	f.Add(v.id, v.stamp, v.sig, ppSandboxCertURL, "SHA256withRSA")
	f.Add(v.id, v.stamp, v.sig, ppSandboxCertURL, "sha256WITHrsa")
	f.Add(v.id+"|", v.stamp, v.sig, ppSandboxCertURL, "SHA256withRSA")
	f.Add(v.id, "2015-05-18T15:45:13.000Z", v.sig, ppSandboxCertURL, "SHA256withRSA")
	f.Add(v.id, v.stamp, strings.TrimRight(v.sig, "="), ppSandboxCertURL, "SHA256withRSA")
	f.Add(v.id, v.stamp, v.sig, ppSandboxCertURL+"?x", "SHA256withRSA")
	f.Add(v.id, v.stamp, v.sig, "https://api.paypal.com/v1/notifications/certs/CERT-1", "SHA1withRSA")
	f.Add("", "", "", "", "")
	srv := newKeyServer(map[string]string{ppSandboxCertURL: ppSandboxCert})
	p := ppVectorSource(f, v, srv)
	hosts := provider.DefaultKeyHosts("paypal")
	f.Fuzz(func(t *testing.T, id, stamp, sig, certURL, algo string) {
		h := http.Header{}
		fill(h, []string{"PAYPAL-TRANSMISSION-ID", "PAYPAL-TRANSMISSION-TIME", "PAYPAL-TRANSMISSION-SIG", "PAYPAL-CERT-URL", "PAYPAL-AUTH-ALGO"}, id, stamp, sig, certURL, algo)
		err := p.Verify([]byte(v.body), h)
		checkVerifyErr(t, err)
		if err == nil && (id != v.id || stamp != v.stamp || sig != v.sig || certURL != ppSandboxCertURL || !strings.EqualFold(algo, "SHA256withRSA")) {
			t.Fatalf("accepted %v", h)
		}
		for _, r := range srv.take() {
			u, perr := url.Parse(r.URL)
			if perr != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" || !slices.Contains(hosts, u.Host) ||
				!strings.HasPrefix(r.URL, "https://"+u.Host+"/v1/notifications/certs/") || strings.ContainsAny(r.URL, "?#%") {
				t.Fatalf("looked a key up at %q", r.URL)
			}
		}
	})
}

// FuzzPayPalCertDocument fuzzes the document read from a certificate URL
// (the Parse a paypal source hands its key fetcher). It is refused with
// ErrBadSignature alone, or accepted only when it starts with a PEM
// certificate block that crypto/x509 reads as a certificate with an RSA
// key of 2048 bits or more and PayPal's message-verification name.
func FuzzPayPalCertDocument(f *testing.F) {
	good := ppCertPEM(f, ppCertSpec{key: testRSAKeys()[0]})
	f.Add([]byte(ppSandboxCert))
	f.Add([]byte(ppLiveCert))
	f.Add([]byte(strings.ReplaceAll(ppSandboxCert, "\r\n", "\n")))
	f.Add([]byte(good))
	f.Add([]byte(good + ppSandboxCert))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" + good))
	f.Add([]byte(" \n" + good + "x"))
	f.Add([]byte{})
	var parse func([]byte) (any, error)
	capture := fetcherFunc(func(r provider.KeyRequest) (any, error) {
		parse = r.Parse
		return nil, provider.ErrKeyUnavailable
	})
	d := ppDelivery(testRSAKeys()[0], ppTestURL("CERT-1"))
	if err := ppTestSource(f, capture).Verify(d.body, d.h); !errors.Is(err, provider.ErrKeyUnavailable) || parse == nil {
		f.Fatalf("no key lookup to take Parse from: %v", err)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		v, err := parse(doc)
		if err != nil {
			if !errors.Is(err, provider.ErrBadSignature) || countSentinels(err) != 1 || v != nil {
				t.Fatalf("Parse = %v, %v; want ErrBadSignature alone", v, err)
			}
			return
		}
		rest := strings.TrimLeft(string(doc), " \t\r\n")
		block, _ := pem.Decode([]byte(rest))
		if !strings.HasPrefix(rest, "-----BEGIN CERTIFICATE-----") || block == nil || block.Type != "CERTIFICATE" {
			t.Fatalf("accepted a document that does not start with a PEM certificate: %q", doc)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("accepted a certificate crypto/x509 refuses: %v", err)
		}
		key, ok := c.PublicKey.(*rsa.PublicKey)
		named := false
		for _, n := range append([]string{c.Subject.CommonName}, c.DNSNames...) {
			n = strings.ToLower(n)
			named = named || strings.HasPrefix(n, "messageverificationcerts.") && strings.HasSuffix(n, ".paypal.com")
		}
		if !ok || key.N.BitLen() < 2048 || !named {
			t.Fatalf("accepted a certificate with key %T or name %q", c.PublicKey, c.Subject.CommonName)
		}
	})
}

// fetcherFunc is a KeyFetcher made of a function.
type fetcherFunc func(provider.KeyRequest) (any, error)

func (f fetcherFunc) Fetch(r provider.KeyRequest) (any, error) { return f(r) }

// adobePathOracle is FuzzAdobeSignatureHeaders' reading of a clean key
// path.
var adobePathOracle = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)+$`)

func adobeCleanPath(p string) bool {
	return len(p) <= 256 && adobePathOracle.MatchString(p) &&
		!slices.ContainsFunc(strings.Split(p, "/"), func(s string) bool { return s == "." || s == ".." })
}

// adobeAddressed is an oracle of the recipient check, by encoding/json
// into a map (which keeps the last of a repeated key, where the provider
// refuses it): every event of the body names the client id, and none
// another.
func adobeAddressed(body []byte, clientID string) bool {
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return false
	}
	events := []any{doc}
	if batch, ok := doc.([]any); ok {
		events = batch
	}
	if len(events) == 0 {
		return false
	}
	for _, ev := range events {
		m, ok := ev.(map[string]any)
		if !ok {
			return false
		}
		named := false
		for _, field := range []string{"recipientclientid", "recipient_client_id"} {
			if v, ok := m[field]; ok {
				if v != clientID {
					return false
				}
				named = true
			}
		}
		if !named {
			return false
		}
	}
	return true
}

// FuzzAdobeSignatureHeaders fuzzes the four signature headers of an adobe
// delivery and its body, against key A served at its path. The oracle:
// with no signature the answer is ErrMissingSignature; an accepted
// delivery has a pair whose path is clean and names key A and whose
// signature is the (unique, canonical) base64 of key A's signature of the
// body, and a body addressed to the client id; the genuine body with such
// a pair is accepted; and no unclean path is ever fetched.
func FuzzAdobeSignatureHeaders(f *testing.F) {
	k := testRSAKeys()[0]
	body := []byte(adobeCommerceBody)
	good := adobeSig(f, k, body)
	f.Add(body, good, adobePathA, "", "")
	f.Add(body, "", "", good, adobePathA)
	f.Add(body, good, adobePathB, good, adobePathA)
	f.Add(body, good, "/prod/../"+adobePathA[1:], good, "//"+adobeHost+adobePathA)
	f.Add(body, adobeVectorShortSig, adobePathA, good+"=", adobePathA+"?x")
	f.Add([]byte(adobeVectorBody), adobeVectorSig, "/prod/keys/gone.pem", good, adobePathA)
	keys := adobeServer(f)
	p := newAdobe(f, adobeCommerceClientID, keys)
	f.Fuzz(func(t *testing.T, body []byte, sig1, path1, sig2, path2 string) {
		before := len(keys.calls())
		h := http.Header{}
		fill(h, []string{"X-Adobe-Digital-Signature-1", "X-Adobe-Public-Key1-Path", "X-Adobe-Digital-Signature-2", "X-Adobe-Public-Key2-Path"}, sig1, path1, sig2, path2)
		err := p.Verify(body, h)
		checkVerifyErr(t, err)
		if sig1 == "" && sig2 == "" && !errors.Is(err, provider.ErrMissingSignature) {
			t.Fatalf("no signature: %v", err)
		}
		pairOK := false
		if sig1 != "" && path1 == adobePathA || sig2 != "" && path2 == adobePathA {
			want := adobeSig(t, k, body) // signing costs: only when a pair could match
			pairOK = sig1 == want && path1 == adobePathA || sig2 == want && path2 == adobePathA
		}
		if err == nil && (!pairOK || !adobeAddressed(body, adobeCommerceClientID)) {
			t.Fatalf("accepted %v", h)
		}
		if pairOK && string(body) == adobeCommerceBody && err != nil {
			t.Fatalf("refused the genuine body with a genuine pair: %v", err)
		}
		for _, u := range keys.calls()[before:] {
			path, ok := strings.CutPrefix(u, "https://"+adobeHost)
			if !ok || !adobeCleanPath(path) {
				t.Fatalf("fetched %q", u)
			}
		}
	})
}

// FuzzAdobeBody fuzzes the body of a delivery signed with the development
// key: Verify answers for the recipients as encoding/json reads them, and
// ExtractAll reads an id and type for each event, a batch's each with its
// element as data.
func FuzzAdobeBody(f *testing.F) {
	f.Add([]byte(adobeCommerceBody))
	f.Add([]byte(adobeBatchBody))
	f.Add([]byte(adobeVectorBody))
	f.Add([]byte(`[{"eventid":"a","type":"t","recipientclientid":"ca7b36f23be94dcb9d2ebb97f0276e3f"},{"event_id":"b","type":"u","recipient_client_id":"ca7b36f23be94dcb9d2ebb97f0276e3f"}]`))
	f.Add([]byte(`{"eventid":"a","type":"t","recipientclientid":"ca7b36f23be94dcb9d2ebb97f0276e3f","RecipientClientID":"x"}`))
	f.Add([]byte(`{"eventid":"a","event_id":"b","type":"com.adobe.","recipientclientid":"\u0063a7b36f23be94dcb9d2ebb97f0276e3f"}`))
	p := mustNew(f, provider.Config{Kind: "adobe", ClientID: adobeCommerceClientID, DevelopmentKeys: true})
	f.Fuzz(func(t *testing.T, body []byte) {
		h := http.Header{}
		if err := p.Sign(body, h, time.Unix(signedAt, 0)); err != nil {
			t.Fatal(err)
		}
		err := p.Verify(body, h)
		checkVerifyErr(t, err)
		if err != nil && !errors.Is(err, provider.ErrBadSignature) {
			t.Fatalf("signed body: %v", err)
		}
		if err == nil && !adobeAddressed(body, adobeCommerceClientID) {
			t.Fatalf("accepted a body encoding/json reads as not addressed")
		}
		events, xerr := p.ExtractAll(body, http.Header{})
		if xerr != nil {
			if !errors.Is(xerr, provider.ErrUnusable) || countSentinels(xerr) != 1 {
				t.Fatalf("ExtractAll error %q, want ErrUnusable only", xerr)
			}
			return
		}
		batch := bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("["))
		for _, e := range events {
			if e.ID == "" || e.Type == "" {
				t.Fatalf("event %+v has no id or type", e)
			}
			data := body
			if batch {
				data = e.Data
				if e.DataContentType != "application/json" {
					t.Fatalf("batch event data type %q", e.DataContentType)
				}
			} else if e.Data != nil {
				t.Fatalf("single event with data of its own")
			}
			var ev map[string]any
			if json.Unmarshal(data, &ev) != nil {
				t.Fatalf("event data %q is not a JSON object", data)
			}
			if id, _ := ev["eventid"].(string); id != e.ID {
				if old, _ := ev["event_id"].(string); id != "" || old != e.ID {
					t.Fatalf("id %q, encoding/json reads eventid %v, event_id %v", e.ID, ev["eventid"], ev["event_id"])
				}
			}
			if typ, _ := ev["type"].(string); strings.TrimPrefix(typ, "com.adobe.") != e.Type {
				t.Fatalf("type %q, encoding/json reads %q", e.Type, typ)
			}
		}
	})
}

// FuzzAdobeKey fuzzes the document served at a key path. The oracle reads
// it with encoding/pem and crypto/x509 as the provider documents: accepted
// exactly when it is one PEM PUBLIC KEY block without headers, white space
// around it aside, holding the key that signed; every refusal is
// ErrBadSignature.
func FuzzAdobeKey(f *testing.F) {
	k := testRSAKeys()[0]
	good := publicPEM(f, &k.PublicKey)
	f.Add(good)
	f.Add(" \r\n" + strings.ReplaceAll(good, "\n", "\r\n") + "\n")
	f.Add(adobeVectorKey)
	f.Add(adobeVectorBadKey)
	f.Add(good + good)
	f.Add(strings.ReplaceAll(good, "PUBLIC KEY", "RSA PUBLIC KEY"))
	f.Add("<html></html>")
	body := []byte(adobeCommerceBody)
	h := header("X-Adobe-Digital-Signature-1", adobeSig(f, k, body), "X-Adobe-Public-Key1-Path", adobePathA)
	f.Fuzz(func(t *testing.T, doc string) {
		keys := newKeyServer(map[string]string{"https://" + adobeHost + adobePathA: doc})
		err := newAdobe(t, adobeCommerceClientID, keys).Verify(body, h)
		if err != nil && (!errors.Is(err, provider.ErrBadSignature) || countSentinels(err) != 1) {
			t.Fatalf("Verify = %v, want nil or ErrBadSignature", err)
		}
		if err != nil && len(doc) >= 8 && strings.Contains(err.Error(), doc) {
			t.Fatalf("error %q quotes the document", err)
		}
		want := false
		trimmed := strings.TrimLeft(doc, " \t\r\n")
		if b, rest := pem.Decode([]byte(trimmed)); strings.HasPrefix(trimmed, "-----BEGIN ") && b != nil &&
			b.Type == "PUBLIC KEY" && len(b.Headers) == 0 && strings.TrimSpace(string(rest)) == "" {
			pub, perr := x509.ParsePKIXPublicKey(b.Bytes)
			want = perr == nil && k.PublicKey.Equal(pub)
		}
		if (err == nil) != want {
			t.Fatalf("Verify = %v, the oracle says accepted = %v", err, want)
		}
	})
}

// FuzzAdobeChallenge: a challenge is answered, with itself, exactly when
// it is 1 to 128 ASCII letters, digits, '-' and '_'.
func FuzzAdobeChallenge(f *testing.F) {
	f.Add("8ec8d794-e0ab-42df-9017-e3dada8e84f7")
	f.Add("")
	f.Add("<b>")
	p := mustNew(f, provider.Config{Kind: "adobe", ClientID: "c"})
	token := regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	f.Fuzz(func(t *testing.T, c string) {
		got, ok := p.Challenge(url.Values{"challenge": {c}})
		if ok != token.MatchString(c) {
			t.Fatalf("Challenge(%q) answered = %v", c, ok)
		}
		if ok && string(got) != c {
			t.Fatalf("Challenge(%q) = %q", c, got)
		}
	})
}
