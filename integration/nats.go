package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	mobynet "github.com/moby/moby/api/types/network"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/hookbridge/hookbridge/internal/natstest"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// NATS is one nats-server container of the project's nats image on a test
// network. Its client (4222) and monitoring (8222) ports are published on
// 127.0.0.1 at ports chosen once, so ClientURL and MonitorURL stay valid
// across Stop and Start.
type NATS struct {
	Name        string // server_name, and the container's alias on the network
	ClientURL   string // nats://127.0.0.1:<port>, for the test process
	MonitorURL  string // http://127.0.0.1:<port>: /healthz, /connz, /jsz
	InternalURL string // nats://<Name>:4222, for containers on the network
	Container   *testcontainers.DockerContainer
}

// StartNATS starts a single JetStream server called name on nw and returns
// once its /healthz answers 200. It is removed when the test ends.
func StartNATS(ctx context.Context, t testing.TB, nw *testcontainers.DockerNetwork, name string) *NATS {
	t.Helper()
	n := startNATS(ctx, t, nw, name, nil)
	n.WaitHealthy(t, 30*time.Second)
	return n
}

// StartCluster starts a JetStream cluster (cluster name C1) with one server
// per name, each routing to all, and returns once every server's /healthz
// answers 200 and the cluster has a JetStream meta leader, i.e. an R3 stream
// can be created.
func StartCluster(ctx context.Context, t testing.TB, nw *testcontainers.DockerNetwork, names ...string) []*NATS {
	t.Helper()
	routes := make([]string, len(names))
	for i, n := range names {
		routes[i] = "nats://" + n + ":6222"
	}
	nodes := make([]*NATS, len(names))
	for i, name := range names {
		nodes[i] = startNATS(ctx, t, nw, name, []string{
			"--cluster_name", "C1", "--cluster", "nats://0.0.0.0:6222", "--routes", strings.Join(routes, ","),
		})
	}
	for _, n := range nodes {
		n.WaitHealthy(t, 60*time.Second)
	}
	_, js := Connect(t, nodes...)
	natstest.Eventually(t, 60*time.Second, "a JetStream meta leader", func() bool {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err := js.AccountInfo(ctx)
		return err == nil
	})
	return nodes
}

// InternalURLs is nats.url for a container on the nodes' network: every
// node's InternalURL, comma-separated.
func InternalURLs(nodes []*NATS) string {
	urls := make([]string, len(nodes))
	for i, n := range nodes {
		urls[i] = n.InternalURL
	}
	return strings.Join(urls, ",")
}

func startNATS(ctx context.Context, t testing.TB, nw *testcontainers.DockerNetwork, name string, args []string) *NATS {
	t.Helper()
	ref := Image(t, "nats")
	ports := freePorts(t, 2)
	clientPort, monitorPort := ports[0], ports[1]
	c, err := testcontainers.Run(ctx, ref,
		network.WithNetwork([]string{name}, nw),
		testcontainers.WithExposedPorts("4222/tcp", "8222/tcp"),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = mobynet.PortMap{
				mobynet.MustParsePort("4222/tcp"): {{HostIP: loopback, HostPort: clientPort}},
				mobynet.MustParsePort("8222/tcp"): {{HostIP: loopback, HostPort: monitorPort}},
			}
		}),
		testcontainers.WithCmd(append([]string{"--config", "/nats-server.conf", "--server_name", name}, args...)...),
		// A scratch image has no shell: wait on the log line, not on a port check.
		testcontainers.WithWaitStrategy(wait.ForLog("Server is ready").WithStartupTimeout(60*time.Second)),
	)
	cleanupContainer(t, c, "nats "+name)
	if err != nil {
		t.Fatalf("starting nats %s: %v", name, err)
	}
	return &NATS{
		Name:        name,
		ClientURL:   "nats://127.0.0.1:" + clientPort,
		MonitorURL:  "http://127.0.0.1:" + monitorPort,
		InternalURL: "nats://" + name + ":4222",
		Container:   c,
	}
}

var monitorClient = &http.Client{Timeout: 2 * time.Second}

// Healthy reports whether the server's /healthz answers 200: it accepts
// connections and its JetStream is current (in a cluster: with a meta leader).
func (n *NATS) Healthy() bool {
	resp, err := monitorClient.Get(n.MonitorURL + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// WaitHealthy waits up to d for Healthy.
func (n *NATS) WaitHealthy(t testing.TB, d time.Duration) {
	t.Helper()
	natstest.Eventually(t, d, "nats "+n.Name+" /healthz 200", n.Healthy)
}

// Stop shuts the server down (SIGTERM, SIGKILL after grace); its store is
// kept for Start.
func (n *NATS) Stop(ctx context.Context, t testing.TB, grace time.Duration) {
	t.Helper()
	if err := n.Container.Stop(ctx, &grace); err != nil {
		t.Fatalf("stopping nats %s: %v", n.Name, err)
	}
}

// Kill crashes the server (SIGKILL).
func (n *NATS) Kill(ctx context.Context, t testing.TB) {
	t.Helper()
	if err := killContainer(ctx, n.Container); err != nil {
		t.Fatalf("killing nats %s: %v", n.Name, err)
	}
}

// Start starts a stopped server again, on the same ports and store, and
// waits until it is healthy.
func (n *NATS) Start(ctx context.Context, t testing.TB) {
	t.Helper()
	if err := n.Container.Start(ctx); err != nil {
		t.Fatalf("starting nats %s again: %v", n.Name, err)
	}
	n.WaitHealthy(t, 60*time.Second)
}

// ClientNames returns the names of the client connections the server has
// now (from /connz); hookbridge connects as "hookbridge".
func (n *NATS) ClientNames() ([]string, error) {
	resp, err := monitorClient.Get(n.MonitorURL + "/connz?limit=1024")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/connz: %s", resp.Status)
	}
	var connz struct {
		Connections []struct {
			Name string `json:"name"`
		} `json:"connections"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&connz); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(connz.Connections))
	for _, c := range connz.Connections {
		names = append(names, c.Name)
	}
	return names, nil
}

// Connect connects the test process to the servers' published ports. It
// ignores the servers the cluster advertises: those are container addresses,
// not reachable through 127.0.0.1. The connection reconnects for ever and is
// closed when the test ends.
func Connect(t testing.TB, nodes ...*NATS) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	urls := make([]string, len(nodes))
	for i, n := range nodes {
		urls[i] = n.ClientURL
	}
	return ConnectURLs(t, urls...)
}

// ConnectURLs is Connect for servers given by their URLs as the test
// process reaches them (nats://127.0.0.1:<published port>).
func ConnectURLs(t testing.TB, urls ...string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(strings.Join(urls, ","),
		nats.Name("integration-test"),
		nats.IgnoreDiscoveredServers(),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(100*time.Millisecond),
	)
	if err != nil {
		t.Fatalf("connecting to nats at %v: %v", urls, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	return nc, js
}
