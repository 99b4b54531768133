package settings_test

import (
	"fmt"

	"github.com/hookbridge/hookbridge/cmd/internal/settings"
)

func ExampleParse() {
	data := []byte(`
nats:
  replicas: ${REPLICAS:-1}
sources:
  - name: acme-shop
    provider: shopify
    secrets: ["${ACME_SHOPIFY_SECRET:-dev-shopify-secret}"]
`)
	env := map[string]string{"REPLICAS": "1"}
	cfg, err := settings.Parse(data, "", func(k string) string { return env[k] })
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.HTTP.Listen, cfg.NATS.Stream.Name, cfg.NATS.Stream.Replicas, cfg.NATS.PublishTimeout)
	for _, fb := range cfg.Fallbacks {
		fmt.Printf("warning: %s uses the default of unset %s\n", fb.Path, fb.Var)
	}
	// Output:
	// 127.0.0.1:8080 WEBHOOKS 1 3s
	// warning: sources[0].secrets[0] uses the default of unset ACME_SHOPIFY_SECRET
}

func ExampleLoad() {
	_, err := settings.Load("testdata/does-not-exist.yaml", nil)
	fmt.Println(err)
	// Output:
	// no config file at testdata/does-not-exist.yaml: pass --config FILE or set HOOKBRIDGE_CONFIG
}
