package settings_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/cmd/internal/settings"
)

// marker is in every value from the environment below; no error may contain it.
const marker = "QQ7s3cret"

// fields a provider checks, with a value each that the provider rejects.
var providerFields = []struct{ key, provider, value string }{
	{"provider", "", "shopfy " + marker},
	{"hmac.header", "hmac", "bad header " + marker},
	{"hmac.algorithm", "hmac", "md5-" + marker},
	{"hmac.encoding", "hmac", "b32-" + marker},
	{"hmac.id", "hmac", "header:bad name " + marker},
	{"hmac.type", "hmac", "json:a.." + marker},
	{"hmac.subject", "hmac", "xml:" + marker},
}

// sourceYAML is one source whose field key (provider or hmac.*) holds "${V}".
func sourceYAML(key, provider string) string {
	if provider == "" {
		provider = "${V}"
	}
	hmac := map[string]string{"header": "X-Sig", "id": "header:X-Id", "type": "json:type"}
	if provider != "hmac" {
		hmac = map[string]string{}
	}
	if name, ok := strings.CutPrefix(key, "hmac."); ok {
		hmac[name] = "${V}"
	}
	var h []string
	for k, v := range hmac {
		h = append(h, fmt.Sprintf("%s: %q", k, v))
	}
	hm := ""
	if len(h) > 0 {
		hm = ", hmac: {" + strings.Join(h, ", ") + "}"
	}
	return fmt.Sprintf("sources: [{name: a, provider: %q, secrets: [k3y-value]%s}]\n", provider, hm)
}

// The real providers' errors about values from ${VAR} name the variable, never the value.
func TestProviderErrorsNeverShowEnvValues(t *testing.T) {
	for _, f := range providerFields {
		data := sourceYAML(f.key, f.provider)
		_, err := settings.Parse([]byte(data), "", func(string) string { return f.value }, settings.Providers())
		if err == nil {
			t.Errorf("%s = %q was accepted:\n%s", f.key, f.value, data)
			continue
		}
		if strings.Contains(err.Error(), marker) {
			t.Errorf("%s: the error shows the value: %v", f.key, err)
		}
		if !strings.Contains(err.Error(), f.key+": ") || !strings.Contains(err.Error(), "${V}") {
			t.Errorf("%s: the error does not name the field and the variable: %v", f.key, err)
		}
	}
}

func FuzzProviderErrorsNeverShowEnvValues(f *testing.F) {
	for _, pf := range providerFields {
		f.Add(uint8(0), pf.value)
	}
	f.Add(uint8(5), "header:")
	f.Add(uint8(6), "json:")
	f.Fuzz(func(t *testing.T, field uint8, value string) {
		pf := providerFields[int(field)%len(providerFields)]
		if !strings.Contains(value, marker) {
			value += marker
		}
		data := sourceYAML(pf.key, pf.provider)
		_, err := settings.Parse([]byte(data), "", func(string) string { return value }, settings.Providers())
		if err != nil && strings.Contains(err.Error(), marker) {
			t.Fatalf("%s = %q: the error shows the value: %v", pf.key, value, err)
		}
	})
}

// TestSecretEncodingFromConfig: secret_encoding travels from the config
// file to the provider, which alone decides where it is allowed.
func TestSecretEncodingFromConfig(t *testing.T) {
	cfg, err := settings.Parse([]byte(`
sources:
  - name: bigcommerce
    provider: standardwebhooks
    secrets: ["test_client_secret"]
    secret_encoding: raw
    type_prefix: com.bigcommerce.
  - name: gh
    provider: github
    secrets: ["gh-secret"]
    secret_encoding: raw
`), "", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}

	_, err = settings.BridgeSources(cfg.Sources)
	if want := `sources[1] "gh": secret_encoding: only for standardwebhooks`; err == nil || err.Error() != want {
		t.Fatalf("BridgeSources = %v, want %q", err, want)
	}

	p, err := cfg.Sources[0].Provider()
	if err != nil {
		t.Fatal(err)
	}
	// BigCommerce's signature: the client secret's bytes as the HMAC key.
	id, ts, body := "msg_p5jXN8AQM9LWM0D4loKWxJek", strconv.FormatInt(time.Now().Unix(), 10), `{"scope":"store/order/created"}`
	m := hmac.New(sha256.New, []byte("test_client_secret"))
	m.Write([]byte(id + "." + ts + "." + body))
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", ts)
	h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	if err := p.Verify([]byte(body), h); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}
