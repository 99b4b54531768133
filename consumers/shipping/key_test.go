package shipping

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
)

// kvKeyRe is what nats.go accepts as a KV key.
var kvKeyRe = regexp.MustCompile(`^[-/_=\.a-zA-Z0-9]+$`)

func kvKeyValid(k string) bool {
	return kvKeyRe.MatchString(k) && !strings.HasPrefix(k, ".") && !strings.HasSuffix(k, ".") && !strings.Contains(k, "..")
}

func TestKey(t *testing.T) {
	long := strings.Repeat("x", 100)
	for _, c := range []struct{ platform, source, id, want string }{
		{"shopify", "acme.myshopify.com", "450789469", "shopify.acme=2Emyshopify=2Ecom.450789469"},
		{"woocommerce", "https://shop.example.test/", "727", "woocommerce.https=3A=2F=2Fshop=2Eexample=2Etest=2F.727"},
		{"stripe", "/stripe/billing", "cs_test_a1", "stripe.=2Fstripe=2Fbilling.cs_test_a1"},
		{"shopify", "a b=c", "ü", "shopify.a=20b=3Dc.=C3=BC"},
		{"shopify", long, "1", "shopify.=h" + sha256Hex(long)[:32] + ".1"},
		// Any platform of one token: one shipping has never heard of too.
		{"bigcommerce", "stores/abc123", "118", "bigcommerce.stores=2Fabc123.118"},
		{strings.Repeat("p", maxPlatform), long, long, strings.Repeat("p", maxPlatform) + ".=h" + sha256Hex(long)[:32] + ".=h" + sha256Hex(long)[:32]},
	} {
		got, err := Key(c.platform, c.source, c.id)
		if err != nil || got != c.want {
			t.Errorf("Key(%q, %q, %q) = %q, %v; want %q", c.platform, c.source, c.id, got, err, c.want)
		}
		if !kvKeyValid(got) || !validKey(got) {
			t.Errorf("Key(%q, %q, %q) = %q is not a valid key", c.platform, c.source, c.id, got)
		}
	}
	for _, c := range [][3]string{
		{"", "s", "1"}, {"Shopify", "s", "1"}, {"shop.ify", "s", "1"}, {"shop*", "s", "1"}, {"shop ify", "s", "1"},
		{strings.Repeat("p", maxPlatform+1), "s", "1"}, {"shopify", "", "1"}, {"shopify", "s", ""},
	} {
		if k, err := Key(c[0], c[1], c[2]); err == nil {
			t.Errorf("Key(%q) = %q, want an error", c, k)
		}
	}
	// Escaping keeps different inputs apart.
	a, _ := Key("shopify", "a.b", "1")
	b, _ := Key("shopify", "a_b", "1")
	c, _ := Key("shopify", "a=2Eb", "1")
	if a == b || a == c || b == c {
		t.Errorf("collision: %q %q %q", a, b, c)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func FuzzKey(f *testing.F) {
	f.Add("shopify", "acme.myshopify.com", "820982911946154508")
	f.Add("woocommerce", "https://shop.example.test/", "727")
	f.Add("stripe", "/stripe/billing", "cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY")
	f.Add("bigcommerce", strings.Repeat("..", 50), "*>")
	f.Add("a.b", "s", "1")
	f.Fuzz(func(t *testing.T, platform, source, id string) {
		k, err := Key(platform, source, id)
		if source == "" || id == "" || !platformRe.MatchString(platform) {
			if err == nil {
				t.Fatalf("Key(%q, %q, %q) = %q without error", platform, source, id, k)
			}
			return
		}
		if err != nil || !kvKeyValid(k) || !validKey(k) || !strings.HasPrefix(k, platform+".") {
			t.Fatalf("Key(%q, %q, %q) = %q, %v", platform, source, id, k, err)
		}
	})
}

// FuzzDecode feeds arbitrary payloads to every event type shipping acts on:
// decode never panics, and an order it accepts has a valid key.
func FuzzDecode(f *testing.F) {
	types := []string{"com.shopify.orders.paid", "com.shopify.orders.cancelled", "com.shopify.orders.fulfilled",
		"com.woocommerce.order.created", "com.woocommerce.order.updated", "com.stripe.checkout.session.completed"}
	// Small seeds in the fixtures' shape: the fuzzer stalls on the
	// multi-kilobyte fixtures themselves.
	f.Add(uint8(0), []byte(`{"id":820982911946154508,"name":"#9999","line_items":[{"sku":"A","name":"Mug","quantity":2,"requires_shipping":true}],"shipping_address":{"first_name":"S","address1":"1 St","country_code":"US"}}`))
	f.Add(uint8(2), []byte(`{"id":1,"fulfillments":[{"status":"success","tracking_company":"UPS","tracking_number":"1Z"}]}`))
	f.Add(uint8(4), []byte(`{"id":727,"number":"727","status":"processing","shipping":{"first_name":"J","address_1":"969 Market","country":"US"},"billing":{"phone":"5"},"line_items":[{"sku":"W","name":"W","quantity":1}]}`))
	f.Add(uint8(3), []byte(`{"id":"727","status":"refunded"}`))
	f.Add(uint8(5), []byte(`{"id":"evt_1","data":{"object":{"id":"cs_1","payment_status":"paid","client_reference_id":"o","collected_information":{"shipping_details":{"name":"J","address":{"line1":"T","country":"DE"}}},"customer_details":{"phone":"+49"},"metadata":{"items":"A:2, B"}}}}`))
	f.Add(uint8(0), []byte(`{"id":"  "}`))
	f.Add(uint8(5), []byte(`{"data":{"object":{"id":"cs_1","payment_status":"paid","shipping_details":{}}}}`))
	f.Fuzz(func(t *testing.T, typ uint8, data []byte) {
		ev := event.New()
		ev.SetID("e")
		ev.SetSource("s.example")
		ev.SetType(types[int(typ)%len(types)])
		ev.DataEncoded = data
		o, ignore, err := decode(ev)
		if err != nil || ignore != "" {
			return
		}
		if !validKey(o.key) || !kvKeyValid(o.key) {
			t.Fatalf("decode gave key %q", o.key)
		}
	})
}
