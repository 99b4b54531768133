package integration

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	mobynet "github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Caddy is the project's caddy image on a test network: a load balancer in
// front of several bridges, configured by the image's Caddyfile (round
// robin, each bridge's /readyz as active health check, failed connections as
// passive one, a delivery retried on the next bridge when its bridge cannot
// be reached or answers 503). Its listener (8080) is published on 127.0.0.1.
type Caddy struct {
	WebhookURL string // http://127.0.0.1:<port>/webhooks/
	Container  *testcontainers.DockerContainer
}

// StartCaddy starts Caddy on nw in front of bridges (each bridge's
// BridgeConfig.Name, its webhook listener being <Name>:8080 there) and
// returns once a request through it reaches a bridge. It is removed when
// the test ends.
func StartCaddy(ctx context.Context, t testing.TB, nw *testcontainers.DockerNetwork, bridges ...*Bridge) *Caddy {
	t.Helper()
	upstreams := make([]string, len(bridges))
	for i, b := range bridges {
		upstreams[i] = b.Config.Name + ":8080"
	}
	port := freePort(t)
	c, err := testcontainers.Run(ctx, Image(t, "caddy"),
		network.WithNetwork([]string{"caddy"}, nw),
		testcontainers.WithExposedPorts("8080/tcp"),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = mobynet.PortMap{
				mobynet.MustParsePort("8080/tcp"): {{HostIP: loopback, HostPort: port}},
			}
		}),
		testcontainers.WithEnv(map[string]string{"HOOKBRIDGE_UPSTREAMS": strings.Join(upstreams, " ")}),
		// A scratch image has no shell: wait on the log line.
		testcontainers.WithWaitStrategy(wait.ForLog("serving initial configuration").WithStartupTimeout(60*time.Second)),
	)
	cleanupContainer(t, c, "caddy")
	if err != nil {
		t.Fatalf("starting caddy: %v", err)
	}
	cy := &Caddy{WebhookURL: "http://127.0.0.1:" + port + "/webhooks/", Container: c}
	// Until its first health checks pass, Caddy has no bridge to send to and
	// answers 503 itself; a bridge answers a GET with 405.
	probe := &http.Client{Timeout: 10 * time.Second} // outwaits the Caddyfile's lb_try_duration
	poll(t, time.Minute, "a bridge answering through caddy", func() (bool, string) {
		resp, err := probe.Get(cy.WebhookURL + ShopSource)
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusMethodNotAllowed, resp.Status
	})
	return cy
}
