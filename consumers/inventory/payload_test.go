package inventory

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var tokenRe = regexp.MustCompile(`^[-_=A-Za-z0-9]+$`)

// untoken reverses token, to show that it is injective.
func untoken(t testing.TB, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			b.WriteByte(s[i])
			continue
		}
		n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			t.Fatalf("bad escape in %q", s)
		}
		b.WriteByte(byte(n))
		i += 2
	}
	return b.String()
}

func TestToken(t *testing.T) {
	for in, want := range map[string]string{
		"HB-MUG-01":  "HB-MUG-01",
		"Mug Blue/L": "Mug=20Blue=2FL",
		"a.b":        "a=2Eb",
		"x=y":        "x=3Dy",
		"tasse-é":    "tasse-=C3=A9",
		"*>":         "=2A=3E",
	} {
		if got := token(in); got != want {
			t.Errorf("token(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOrderKey(t *testing.T) {
	a := orderKey("woocommerce", "https://Shop.example.test/", "4711")
	b := orderKey("woocommerce", "https://shop.example.test", "4711")
	if a != b {
		t.Errorf("one site, two spellings: %s != %s", a, b)
	}
	for _, other := range []string{
		orderKey("shopify", "https://shop.example.test", "4711"),
		orderKey("woocommerce", "https://other.example.test", "4711"),
		orderKey("woocommerce", "https://shop.example.test", "4712"),
	} {
		if other == a {
			t.Errorf("different orders share key %s", a)
		}
	}
	if !tokenRe.MatchString(a) {
		t.Errorf("order key %q is not one key token", a)
	}
}

func TestParseFixtures(t *testing.T) {
	for _, c := range []struct {
		file   string
		parse  func([]byte) (orderPayload, error)
		id     string
		lines  map[string]int
		skip   int
		status string
	}{
		{"orders-create.json", parseShopify, "5720334450777", map[string]int{"HB-MUG-01": 2, "HB-TEE-BLK-M": 1}, 1, ""},
		{"orders-cancelled.json", parseShopify, "5720334450777", map[string]int{"HB-MUG-01": 2, "HB-TEE-BLK-M": 1}, 1, ""},
		{"order-created.json", parseWooCommerce, "4711", map[string]int{"HB-MUG-01": 3, "HB-CAP-NVY": 1}, 1, "processing"},
		{"order-updated-processing.json", parseWooCommerce, "4711", map[string]int{"HB-MUG-01": 3, "HB-CAP-NVY": 1}, 1, "processing"},
		{"order-updated-cancelled.json", parseWooCommerce, "4711", map[string]int{"HB-MUG-01": 3, "HB-CAP-NVY": 1}, 1, "cancelled"},
		{"order-updated-refunded.json", parseWooCommerce, "4711", map[string]int{"HB-MUG-01": 3, "HB-CAP-NVY": 1}, 1, "refunded"},
	} {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			p, err := c.parse(data)
			if err != nil {
				t.Fatal(err)
			}
			got, skipped, err := lines(p.items)
			if err != nil {
				t.Fatal(err)
			}
			if p.id != c.id || p.status != c.status || skipped != c.skip || len(got) != len(c.lines) {
				t.Fatalf("got id %s status %q lines %v skipped %d", p.id, p.status, got, skipped)
			}
			for sku, n := range c.lines {
				if got[sku] != n {
					t.Errorf("%s: %d, want %d", sku, got[sku], n)
				}
			}
		})
	}
}

func TestLinesSumsAndSkips(t *testing.T) {
	sku := func(s string) *string { return &s }
	got, skipped, err := lines([]lineItem{
		{SKU: sku("A"), Quantity: 1},
		{SKU: sku(" A "), Quantity: 2}, // same SKU on two lines
		{SKU: nil, Quantity: 1},        // Shopify custom item
		{SKU: sku(""), Quantity: 1},    // WooCommerce product without SKU
		{SKU: sku("B"), Quantity: 0},   // nothing to hold
	})
	if err != nil || skipped != 3 || len(got) != 1 || got["A"] != 3 {
		t.Errorf("lines = %v, %d, %v", got, skipped, err)
	}
}

// FuzzParse feeds arbitrary bodies to both platforms' parsers: they never
// panic, and what they accept makes valid keys and subject tokens.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"id":"7","line_items":[{"sku":"a.b c/=é","quantity":1}]}`))
	f.Add([]byte(`{"id":1e3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func([]byte) (orderPayload, error){parseShopify, parseWooCommerce} {
			p, err := parse(data)
			if err != nil {
				continue
			}
			if p.id == "" {
				t.Fatal("accepted an order without id")
			}
			perSKU, _, err := lines(p.items)
			if err != nil {
				continue
			}
			for sku, n := range perSKU {
				tok := token(sku)
				if !tokenRe.MatchString(tok) || untoken(t, tok) != sku {
					t.Fatalf("sku %q: token %q", sku, tok)
				}
				if n < 1 {
					t.Fatalf("sku %q: quantity %d", sku, n)
				}
			}
		}
	})
}
