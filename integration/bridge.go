package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	mobynet "github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/hookbridge/hookbridge/bridge"
)

// The source every bridge of these suites serves unless its config lists
// others (BridgeConfig.Sources), and WooCommerce and Stripe ones for suites
// that want more platforms.
const (
	ShopSource = "shop"
	ShopKind   = "shopify"
	ShopSecret = "integration-shopify-secret"

	WooSource = "woo"
	WooKind   = "woocommerce"
	WooSecret = "integration-woocommerce-secret"

	StripeSource = "billing"
	StripeKind   = "stripe"
	StripeSecret = "whsec_integration-stripe-secret"

	// Stream is the stream the bridge creates and publishes to.
	Stream = bridge.DefaultStream
)

// Source is one webhook source of the bridge's config.
type Source struct {
	Name   string // the source name: POST /webhooks/<Name>
	Kind   string // the provider
	Secret string
}

// Shop, Woo and Stripe are the suites' Shopify, WooCommerce and Stripe sources.
var (
	Shop   = Source{Name: ShopSource, Kind: ShopKind, Secret: ShopSecret}
	Woo    = Source{Name: WooSource, Kind: WooKind, Secret: WooSecret}
	Stripe = Source{Name: StripeSource, Kind: StripeKind, Secret: StripeSecret}
)

// BridgeConfig is what a suite chooses of the bridge's config.
type BridgeConfig struct {
	// NATSURL is nats.url as the container sees it: nats://nats:4222, or a
	// comma-separated list for a cluster.
	NATSURL        string
	Replicas       int           // nats.replicas; 0 means 1
	PublishTimeout time.Duration // nats.publish_timeout; 0 means 1s
	Sources        []Source      // nil means Shop alone
	Commerce       bool          // commerce.enabled: the normaliser runs in the bridge
}

// Bridge is hookbridge running in a container of the hookbridge image, with
// its webhook (8080) and admin (9090) listeners published on 127.0.0.1.
type Bridge struct {
	WebhookURL string // http://127.0.0.1:<port>/webhooks/
	AdminURL   string // http://127.0.0.1:<port>: /healthz, /readyz, /metrics
	Config     BridgeConfig
	Container  *testcontainers.DockerContainer
}

// StartBridge starts hookbridge on nw with the sources of cfg (by default one
// Shopify source, ShopSource signed with ShopSecret), and returns once
// /readyz answers 200 (connected, stream created). It is removed when the
// test ends.
func StartBridge(ctx context.Context, t testing.TB, nw *testcontainers.DockerNetwork, cfg BridgeConfig) *Bridge {
	t.Helper()
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.PublishTimeout == 0 {
		cfg.PublishTimeout = time.Second
	}
	if cfg.Sources == nil {
		cfg.Sources = []Source{Shop}
	}
	yaml := fmt.Sprintf(`log: {level: info, format: json}
http: {listen: "0.0.0.0:8080", write_timeout: 15s, shutdown_grace: 5s}
admin: {listen: "0.0.0.0:9090", console: {token: "integration-console-token"}}
nats:
  url: %q
  stream: %s
  subject_prefix: webhooks
  replicas: %d
  duplicate_window: 1h
  publish_timeout: %s
sources:
`, cfg.NATSURL, Stream, cfg.Replicas, cfg.PublishTimeout)
	for _, src := range cfg.Sources {
		yaml += fmt.Sprintf("  - {name: %s, provider: %s, secrets: [%q]}\n", src.Name, src.Kind, src.Secret)
	}
	if cfg.Commerce {
		yaml += "commerce: {enabled: true}\n"
	}

	published := func(hc *container.HostConfig) {
		hc.PortBindings = mobynet.PortMap{ // HostPort "" becomes a free port on 127.0.0.1
			mobynet.MustParsePort("8080/tcp"): {{HostIP: loopback}},
			mobynet.MustParsePort("9090/tcp"): {{HostIP: loopback}},
		}
	}
	c, err := testcontainers.Run(ctx, Image(t, "hookbridge"),
		network.WithNetwork([]string{"hookbridge"}, nw),
		testcontainers.WithExposedPorts("8080/tcp", "9090/tcp"),
		testcontainers.WithHostConfigModifier(published),
		testcontainers.WithFiles(testcontainers.ContainerFile{
			Reader: strings.NewReader(yaml), ContainerFilePath: "/etc/hookbridge/hookbridge.yaml", FileMode: 0o644,
		}),
		// A scratch image has no shell: wait on the admin endpoint.
		testcontainers.WithWaitStrategy(wait.ForHTTP("/readyz").WithPort("9090/tcp").
			WithStatusCodeMatcher(func(code int) bool { return code == http.StatusOK }).
			WithStartupTimeout(60*time.Second)),
	)
	cleanupContainer(t, c, "hookbridge")
	if err != nil {
		t.Fatalf("starting hookbridge: %v", err)
	}
	hook, err := c.MappedPort(ctx, "8080/tcp")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := c.MappedPort(ctx, "9090/tcp")
	if err != nil {
		t.Fatal(err)
	}
	return &Bridge{
		WebhookURL: "http://127.0.0.1:" + hook.Port() + "/webhooks/",
		AdminURL:   "http://127.0.0.1:" + admin.Port(),
		Config:     cfg,
		Container:  c,
	}
}

// adminClient outwaits /readyz, which gives the broker 2s to answer.
var adminClient = &http.Client{Timeout: 5 * time.Second}

// Ready returns the status of /readyz (0 when it does not answer).
func (b *Bridge) Ready() int {
	resp, err := adminClient.Get(b.AdminURL + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
