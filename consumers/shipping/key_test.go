package shipping

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookbridge/hookbridge/consumers/commerce"
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

// FuzzDecode feeds arbitrary data to every canonical order event type:
// decode never panics, and an order it acts on has a valid key, and
// something to ship or somewhere to ship it unless it is cancelled. The
// seeds are the canonical events of the fixtures, as the normaliser
// publishes them, cut down to what shipping reads (see seedOrder).
func FuzzDecode(f *testing.F) {
	actions := []string{"paid", "fulfilled", "cancelled", "refunded", "created", "updated"}
	for _, r := range []raw{
		shopifyOrder(f, "paid"), shopifyOrder(f, "cancelled"), shopifyOrder(f, "fulfilled"),
		wooOrder(f, "created", "pending"), wooOrder(f, "updated", "processing"),
		wooOrder(f, "updated", "completed"), wooOrder(f, "updated", "cancelled"),
		stripeSession(f, "completed", "checkout-session-completed.json"),
		stripeSession(f, "completed", "checkout-session-completed-no-shipping.json"),
		stripeSession(f, "async_payment_succeeded", "checkout-session-async-payment-succeeded.json"),
	} {
		for _, ev := range events(f, r, "s.example", "seed") {
			a := slices.Index(actions, strings.TrimPrefix(ev.Type(), orderTypePrefix))
			f.Add(uint8(a), seedOrder(f, ev.Data()))
		}
	}
	f.Add(uint8(0), []byte(`{"id":"1","platform":"x","line_items":[{"quantity":1,"requires_shipping":false}]}`))
	f.Add(uint8(1), []byte(`{"id":"1","platform":"x","metadata":{"items":"A:2, B"},"tracking":[{"number":"1"},{"number":"2"}]}`))
	f.Add(uint8(0), []byte(`{"id":"1","platform":"x","shipping_address":{"line1":"a"},"customer":{"phone":"5"}}`))
	f.Add(uint8(2), []byte(`{"id":" ","platform":"Shop ify"}`))
	f.Fuzz(func(t *testing.T, a uint8, data []byte) {
		ev := event.New()
		ev.SetID("e")
		ev.SetSource("s.example")
		ev.SetType(commerce.Type(commerce.EntityOrder, actions[int(a)%len(actions)]))
		ev.DataEncoded = data
		o, ignore, err := decode(ev)
		if err != nil || ignore != "" {
			return
		}
		if !validKey(o.key) || !kvKeyValid(o.key) {
			t.Fatalf("decode gave key %q", o.key)
		}
		if o.action != actCancelled && len(o.items) == 0 && o.address == (Address{}) {
			t.Fatalf("decode acts on %s with nothing to ship", data)
		}
	})
}

// seedOrder is a canonical order's data with only the fields shipping
// reads, and its first line item only: the fuzzer minimises every input
// it finds interesting, which on a whole order takes minutes each.
func seedOrder(t testing.TB, data []byte) []byte {
	t.Helper()
	var o commerce.Order
	if err := json.Unmarshal(data, &o); err != nil {
		t.Fatal(err)
	}
	seed := commerce.Order{ID: o.ID, Number: o.Number, Platform: o.Platform, ShippingAddr: o.ShippingAddr, Tracking: o.Tracking}
	if len(o.LineItems) > 0 {
		li := o.LineItems[0]
		seed.LineItems = []commerce.LineItem{{SKU: li.SKU, Name: li.Name, Quantity: li.Quantity, RequiresShipping: li.RequiresShipping}}
	}
	if o.Customer != nil && o.Customer.Phone != "" {
		seed.Customer = &commerce.Customer{Phone: o.Customer.Phone}
	}
	if items, ok := o.Metadata["items"]; ok {
		seed.Metadata = map[string]string{"items": items}
	}
	b, err := json.Marshal(seed)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
