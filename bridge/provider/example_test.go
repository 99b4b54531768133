package provider_test

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// A Shopify delivery (Shopify's own test vector) verified and read.
func Example() {
	p, err := provider.New(provider.Config{
		Kind:    "shopify",
		Secrets: []string{"test_secret_key"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	body := []byte(`{"foo": "bar"}`) // the raw bytes as received
	h := http.Header{}
	h.Set("X-Shopify-Hmac-Sha256", "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=")
	h.Set("X-Shopify-Topic", "products/create")
	h.Set("X-Shopify-Shop-Domain", "shop1.myshopify.io")
	h.Set("X-Shopify-Webhook-Id", "123456789")

	if err := p.Verify(body, h); err != nil {
		fmt.Println("rejected:", err)
		return
	}
	e, err := p.Extract(body, h)
	if err != nil {
		fmt.Println("unusable:", err)
		return
	}
	fmt.Println("id:", e.ID)
	fmt.Println("type:", p.CEType(e.Type))
	fmt.Println("source:", e.Source)

	// One byte changed and the delivery is refused.
	err = p.Verify([]byte(`{"foo": "baz"}`), h)
	fmt.Println(errors.Is(err, provider.ErrBadSignature), err)
	// Output:
	// id: 123456789
	// type: com.shopify.products.create
	// source: shop1.myshopify.io
	// true X-Shopify-Hmac-Sha256: signature mismatch
}

// New reports the configuration field at fault.
func ExampleNew() {
	_, err := provider.New(provider.Config{Kind: "hmac", Secrets: []string{"s3cret"}, HMAC: provider.HMACConfig{
		Header: "X-Signature",
		ID:     "json:id",
	}})
	fmt.Println(err)
	// Output:
	// hmac.type: required
}
