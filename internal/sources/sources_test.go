package sources_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/internal/config"
	"github.com/hookbridge/hookbridge/internal/sources"
)

// TestSecretEncodingFromConfig: secret_encoding travels from the config
// file to the provider, which alone decides where it is allowed.
func TestSecretEncodingFromConfig(t *testing.T) {
	cfg, err := config.Parse([]byte(`
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

	_, err = sources.Bridge(cfg.Sources)
	if want := `sources[1] "gh": secret_encoding: only for standardwebhooks`; err == nil || err.Error() != want {
		t.Fatalf("Bridge = %v, want %q", err, want)
	}

	p, err := sources.Provider(cfg.Sources[0])
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
