package provider_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// Razorpay's public vectors (PLATFORMS.md section 6, vector 6), bodies
// copied byte for byte:
//   - razorpay/razorpay-go resources/verify_payment_test.go,
//     TestVerifyWebhookSignature (the one-line 778-byte body);
//   - razorpay/razorpay-python tests/test_client_utility.py over the whole
//     file tests/mocks/fake_payment_authorized_webhook.json, its final
//     newline included (971 bytes).
const (
	razorpayGoSecret = "123456"
	razorpayGoSig    = "ea962f3a2a8090aa14ef10fc178306edcb46ee7ccadae8afe2275cda26f3d2a6"
	razorpayGoBody   = `{"entity":"event","account_id":"acc_HVFD0PFnHPAzKj","event":"payment.authorized","contains":["payment"],"payload":{"payment":{"entity":{"id":"pay_JUEM4c0pSLpFEW","entity":"payment","amount":12300,"currency":"INR","status":"authorized","order_id":"order_JUELuT6cFaHkvd","invoice_id":null,"international":false,"method":"netbanking","amount_refunded":0,"refund_status":null,"captured":false,"description":"#JUELZ1z1EC0pwi","card_id":null,"bank":"SBIN","wallet":null,"vpa":null,"email":"prathmesh.bijjargi@razorpay.com","contact":"+917411714931","notes":[],"fee":null,"tax":null,"error_code":null,"error_description":null,"error_source":null,"error_step":null,"error_reason":null,"acquirer_data":{"bank_transaction_id":"6416615"},"created_at":1652339804}}},"created_at":1652339806}`

	razorpayPySecret = "key_secret"
	razorpayPySig    = "d60e67fd884556c045e9be7dad57903e33efc7172c17c6e3ef77db42d2b366e9"
	razorpayPyBody   = `{
  "event": "payment.authorized",
  "entity": "event",
  "contains": [
    "payment"
  ],
  "payload": {
    "payment": {
      "entity": {
        "id": "pay_6koWN7bvxujzxM",
        "entity": "payment",
        "amount": 1000000,
        "currency": "INR",
        "status": "captured",
        "order_id": "order_100000000order",
        "international": false,
        "method": "card",
        "amount_refunded": 0,
        "refund_status": null,
        "captured": true,
        "description": "random description",
        "card_id": "card_6koWNAT6LASUqy",
        "bank": null,
        "wallet": null,
        "vpa": null,
        "email": "a@b.com",
        "contact": "+919999999999",
        "notes": {
          "merchant_order_id": "random order id"
        },
        "fee": 23000,
        "service_tax": 3000,
        "error_code": null,
        "error_description": null,
        "created_at": 1479978483
      }
    }
  },
  "created_at": 1400826760
}
`
)

func TestRazorpayVectors(t *testing.T) {
	for _, v := range []struct{ name, secret, body, sig string }{
		{"razorpay-go", razorpayGoSecret, razorpayGoBody, razorpayGoSig},
		{"razorpay-python", razorpayPySecret, razorpayPyBody, razorpayPySig},
	} {
		t.Run(v.name, func(t *testing.T) {
			if got := hmacHex(v.secret, v.body); got != v.sig {
				t.Fatalf("vector self-check: %s", got)
			}
			p := mustNew(t, provider.Config{Kind: "razorpay", Secrets: []string{v.secret}})
			checkSentinel(t, p.Verify([]byte(v.body), header("X-Razorpay-Signature", v.sig)), nil)
			h := http.Header{}
			if err := p.Sign([]byte(v.body), h, time.Time{}); err != nil || h.Get("X-Razorpay-Signature") != v.sig {
				t.Fatalf("Sign = %q, %v, want %q", h.Get("X-Razorpay-Signature"), err, v.sig)
			}
		})
	}
}

func razorpayDelivery() delivery {
	return delivery{body: []byte(razorpayGoBody), h: header("X-Razorpay-Signature", razorpayGoSig, "X-Razorpay-Event-Id", "JUEM5GfzXiUMgK")}
}

func TestRazorpayVerify(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "razorpay", Secrets: []string{razorpayGoSecret}})
	other := hmacHex("654321", razorpayGoBody)
	set := func(v string) func(d *delivery) { return func(d *delivery) { d.h.Set("X-Razorpay-Signature", v) } }
	runMutations(t, p, razorpayDelivery(), []string{"654321", other}, []mutation{
		{name: "public vector", want: nil},
		{name: "upper-case hex", edit: set(strings.ToUpper(razorpayGoSig))},
		{name: "lower-case header name", edit: func(d *delivery) { d.h = header("x-razorpay-signature", razorpayGoSig) }},
		{name: "no event id: verifies (Extract refuses it)", edit: func(d *delivery) { d.h.Del("X-Razorpay-Event-Id") }},
		{name: "header missing", edit: func(d *delivery) { d.h.Del("X-Razorpay-Signature") }, want: provider.ErrMissingSignature},
		{name: "header empty", edit: set(""), want: provider.ErrMissingSignature},
		{name: "sha256= prefix", edit: set("sha256=" + razorpayGoSig), want: provider.ErrMalformedSignature},
		{name: "too short", edit: set(razorpayGoSig[:62]), want: provider.ErrMalformedSignature},
		{name: "base64", edit: set("6pYvOiqAkKoa8BDvwXgws4PLRu58ytrorgJ1zaJvPSo="), want: provider.ErrMalformedSignature},
		{name: "two signatures", edit: set(razorpayGoSig + "," + other), want: provider.ErrMalformedSignature},
		{name: "wrong secret", edit: set(other), want: provider.ErrBadSignature},
		{name: "key hex-decoded", edit: set(hmacHex(string(mustHex(t, "123456")), razorpayGoBody)), want: provider.ErrBadSignature},
		{name: "body re-serialised with spaces", edit: func(d *delivery) { d.body = []byte(strings.Replace(razorpayGoBody, `":`, `": `, 1)) }, want: provider.ErrBadSignature},
		{name: "body with a trailing newline", edit: func(d *delivery) { d.body = append(d.body, '\n') }, want: provider.ErrBadSignature},
	})
	for i := range razorpayGoBody {
		d := razorpayDelivery()
		if err := p.Verify(flipByte(d.body, i), d.h); !isOnly(err, provider.ErrBadSignature) {
			t.Fatalf("body byte %d changed: err = %v, want ErrBadSignature", i, err)
		}
	}
}

func TestRazorpayExtract(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "razorpay", Secrets: []string{razorpayGoSecret}})
	withID := header("X-Razorpay-Event-Id", "JUEM5GfzXiUMgK")
	orderPaid := `{"entity":"event","account_id":"acc_1","event":"order.paid","contains":["payment","order"],"payload":{"payment":{"entity":{"id":"pay_1"}},"order":{"entity":{"id":"order_1"}}},"created_at":1652339806}`
	refund := `{"entity":"event","account_id":"acc_1","event":"refund.processed","contains":["refund","payment"],"payload":{"refund":{"entity":{"id":"rfnd_1"}},"payment":{"entity":{"id":"pay_1"}}},"created_at":1652339806}`
	dispute := `{"entity":"event","event":"payment.dispute.created","payload":{"dispute":{"entity":{"id":"disp_1"}},"order":{"entity":{"id":"order_2"}}}}`
	runExtractCases(t, p, []extractCase{
		{
			name: "razorpay-go vector", body: razorpayGoBody, h: withID,
			want: provider.Event{ID: "JUEM5GfzXiUMgK", Type: "payment.authorized", Source: "acc_HVFD0PFnHPAzKj", Subject: "pay_JUEM4c0pSLpFEW", Time: time.Unix(1652339806, 0)},
		},
		{
			name: "razorpay-python vector, no account_id", body: razorpayPyBody, h: withID,
			want: provider.Event{ID: "JUEM5GfzXiUMgK", Type: "payment.authorized", Subject: "pay_6koWN7bvxujzxM", Time: time.Unix(1400826760, 0)},
		},
		{
			name: "order.paid: the order, not its payment", body: orderPaid, h: withID,
			want: provider.Event{ID: "JUEM5GfzXiUMgK", Type: "order.paid", Source: "acc_1", Subject: "order_1", Time: time.Unix(1652339806, 0)},
		},
		{
			name: "refund.processed: the refund", body: refund, h: withID,
			want: provider.Event{ID: "JUEM5GfzXiUMgK", Type: "refund.processed", Source: "acc_1", Subject: "rfnd_1", Time: time.Unix(1652339806, 0)},
		},
		{
			name: "own entity absent: the first of payment, order, refund", body: dispute, h: withID,
			want: provider.Event{ID: "JUEM5GfzXiUMgK", Type: "payment.dispute.created", Subject: "order_2"},
		},
		{name: "no event id header", body: razorpayGoBody, h: http.Header{}, err: provider.ErrUnusable},
		{name: "no event", body: `{"payload":{}}`, h: withID, err: provider.ErrUnusable},
		{name: "event repeated", body: `{"event":"payment.captured","event":"payment.failed"}`, h: withID, err: provider.ErrUnusable},
		{name: "entity id repeated", body: `{"event":"payment.captured","payload":{"payment":{"entity":{"id":"pay_1","id":"pay_2"}}}}`, h: withID, err: provider.ErrUnusable},
		{name: "not JSON", body: `event=payment.captured`, h: withID, err: provider.ErrUnusable},
	})
}
