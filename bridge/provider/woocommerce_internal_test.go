package provider

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// TestWooCommerceVector checks the scheme against WooCommerce's own test
// (plugins/woocommerce/tests/legacy/unit-tests/webhooks/crud.php,
// test_generate_signature; PLATFORMS.md section 6, vector 3). That test
// signs with the empty secret, which New refuses (an empty key is one
// anybody can use), so the scheme is built directly here.
func TestWooCommerceVector(t *testing.T) {
	w := newWooCommerce([]string{""})
	h := http.Header{}
	h.Set("X-WC-Webhook-Signature", "GBDo00G55h6IiV+6CxqivQPLbI//KzaOZm747971tPs=")
	if err := w.verify([]byte("secret"), h); err != nil {
		t.Fatalf("verify(public vector) = %v", err)
	}
	if err := w.verify([]byte("secreT"), h); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("verify(changed body) = %v, want ErrBadSignature", err)
	}
	signed := http.Header{}
	if err := w.sign([]byte("secret"), signed, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := signed.Get("X-WC-Webhook-Signature"); got != "GBDo00G55h6IiV+6CxqivQPLbI//KzaOZm747971tPs=" {
		t.Fatalf("sign = %q, want the public vector", got)
	}
}

// TestWPSpecialcharsDecode pins wp_specialchars_decode($s, ENT_QUOTES)
// (wp-includes/formatting.php): the named entities &amp; &lt; &gt; &quot;,
// zero-padded decimal &#38; &#60; &#62; &#34; &#39;, and hexadecimal
// &#x26; &#x22; &#x27; (x in either case), in one pass.
func TestWPSpecialcharsDecode(t *testing.T) {
	cases := map[string]string{
		"":                    "",
		"plain":               "plain",
		"a&amp;b":             "a&b",
		"&lt;&gt;&quot;":      `<>"`,
		"&#039;&#39;&#0039;":  "'''",
		"&#x27;&#X27;&#x027;": "'''",
		"&#038;&#38;&#x26;":   "&&&",
		"&#034;&#x22;":        `""`,
		"&#060;&#062;":        "<>",
		"&amp;amp;":           "&amp;", // one pass: the decoded & starts nothing
		"&amp;#039;":          "&#039;",
		"&AMP;&Lt;":           "&AMP;&Lt;", // named entities are case-sensitive
		"&apos;&nbsp;":        "&apos;&nbsp;",
		"&#x3c;&#x3e;":        "&#x3c;&#x3e;", // hex only for & " '
		"&#x2;&#3;":           "&#x2;&#3;",
		"&#;&#x;&#":           "&#;&#x;&#",
		"&#0&#39;":            "&#0'",
		"&&amp;":              "&&",
		"&#39":                "&#39",
		"x&#0000000039;y":     "x'y",
		"&#-39;":              "&#-39;",
		"&#xx27;":             "&#xx27;",
	}
	for in, want := range cases {
		if got := wpSpecialcharsDecode(in); got != want {
			t.Errorf("wpSpecialcharsDecode(%q) = %q, want %q", in, got, want)
		}
	}
}
