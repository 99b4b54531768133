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
	"github.com/hookbridge/hookbridge/internal/natstest"
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
	// Name is the container's alias on the network (its webhook listener is
	// <Name>:8080 there); empty means "hookbridge".
	Name string
	// NATSURL is nats.url as the container sees it: nats://nats:4222, or a
	// comma-separated list for a cluster.
	NATSURL        string
	Replicas       int           // nats.replicas; 0 means 1
	PublishTimeout time.Duration // nats.publish_timeout; 0 means 1s
	Sources        []Source      // nil means Shop alone
	Commerce       bool          // commerce.enabled: the normaliser runs in the bridge
}

// Bridge is hookbridge running in a container of the hookbridge image, with
// its webhook (8080) and admin (9090) listeners published on 127.0.0.1 at
// ports chosen once, so the URLs stay valid across Kill and Start.
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
	if cfg.Name == "" {
		cfg.Name = "hookbridge"
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

	ports := freePorts(t, 2)
	hookPort, adminPort := ports[0], ports[1]
	published := func(hc *container.HostConfig) {
		hc.PortBindings = mobynet.PortMap{
			mobynet.MustParsePort("8080/tcp"): {{HostIP: loopback, HostPort: hookPort}},
			mobynet.MustParsePort("9090/tcp"): {{HostIP: loopback, HostPort: adminPort}},
		}
	}
	c, err := testcontainers.Run(ctx, Image(t, "hookbridge"),
		network.WithNetwork([]string{cfg.Name}, nw),
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
	cleanupContainer(t, c, cfg.Name)
	if err != nil {
		t.Fatalf("starting %s: %v", cfg.Name, err)
	}
	return &Bridge{
		WebhookURL: "http://127.0.0.1:" + hookPort + "/webhooks/",
		AdminURL:   "http://127.0.0.1:" + adminPort,
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

// Kill crashes the bridge (SIGKILL).
func (b *Bridge) Kill(ctx context.Context, t testing.TB) {
	t.Helper()
	if err := killContainer(ctx, b.Container); err != nil {
		t.Fatalf("killing %s: %v", b.Config.Name, err)
	}
}

// Start starts a killed or stopped bridge again, same config and ports, and
// waits up to d until its /readyz answers 200.
func (b *Bridge) Start(ctx context.Context, t testing.TB, d time.Duration) {
	t.Helper()
	if err := b.Container.Start(ctx); err != nil {
		t.Fatalf("starting %s again: %v", b.Config.Name, err)
	}
	natstest.Eventually(t, d, b.Config.Name+" /readyz 200", func() bool { return b.Ready() == http.StatusOK })
}
