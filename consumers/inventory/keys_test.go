package inventory

import (
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
