package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	mobynet "github.com/moby/moby/api/types/network"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/hookbridge/hookbridge/consumers/inventory"
	"github.com/hookbridge/hookbridge/consumers/shipping"
)

// Service is one of the sample consumers (image and durable consumer
// "inventory" or "shipping") in a container on a test network. Its read path
// is published on 127.0.0.1 at a port chosen once, so URL stays valid across
// a kill and Start.
type Service struct {
	Name      string // inventory or shipping: the image, the network alias, the durable consumer
	URL       string // http://127.0.0.1:<port>: /healthz, /stock or /shipments
	Container *testcontainers.DockerContainer
}

// servicePort is the port each sample listens on inside its container: its
// default, so that its `healthcheck` subcommand probes the right one.
var servicePort = map[string]string{"inventory": "9191", "shipping": "9192"}

// StartService starts the sample consumer name on nw, connected to natsURL
// (as the container sees it: nats://nats:4222), with args added to its
// command line (inventory: --seed SKU=QTY,...), and returns once its /healthz
// answers 200: its KV bucket exists and it is about to attach its consumer.
// It is removed when the test ends.
func StartService(ctx context.Context, t testing.TB, nw *testcontainers.DockerNetwork, name, natsURL string, args ...string) *Service {
	t.Helper()
	port, ok := servicePort[name]
	if !ok {
		t.Fatalf("no sample consumer %q", name)
	}
	hostPort := freePort(t)
	c, err := testcontainers.Run(ctx, Image(t, name),
		network.WithNetwork([]string{name}, nw),
		testcontainers.WithExposedPorts(port+"/tcp"),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = mobynet.PortMap{
				mobynet.MustParsePort(port + "/tcp"): {{HostIP: loopback, HostPort: hostPort}},
			}
		}),
		testcontainers.WithCmd(append([]string{"--nats", natsURL, "--listen", "0.0.0.0:" + port}, args...)...),
		// A scratch image has no shell: wait on the read path's /healthz.
		testcontainers.WithWaitStrategy(wait.ForHTTP("/healthz").WithPort(port+"/tcp").
			WithStartupTimeout(60*time.Second)),
	)
	cleanupContainer(t, c, name)
	if err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	return &Service{Name: name, URL: "http://127.0.0.1:" + hostPort, Container: c}
}

// Start starts a stopped or killed service again, same command line and
// port, and waits until its /healthz answers 200. Its state is in NATS.
func (s *Service) Start(ctx context.Context, t testing.TB) {
	t.Helper()
	if err := s.Container.Start(ctx); err != nil {
		t.Fatalf("starting %s again: %v", s.Name, err)
	}
}

var readClient = &http.Client{Timeout: 5 * time.Second}

// get decodes the JSON answer to GET path into v; any status but 200 is an
// error.
func (s *Service) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		return err
	}
	resp, err := readClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s %s", path, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w in %s", path, err, body)
	}
	return nil
}

// Stock is inventory's GET /stock/{sku}.
func (s *Service) Stock(ctx context.Context, sku string) (inventory.Stock, error) {
	var st inventory.Stock
	err := s.get(ctx, "/stock/"+url.PathEscape(sku), &st)
	return st, err
}

// Shipments is shipping's GET /shipments: every shipment, tombstones too.
func (s *Service) Shipments(ctx context.Context) ([]shipping.Shipment, error) {
	var all struct {
		Shipments []shipping.Shipment `json:"shipments"`
	}
	err := s.get(ctx, "/shipments", &all)
	return all.Shipments, err
}

// WaitConsumed waits up to d until the durable consumer name of stream has
// been handed every message its filter matches and each has been
// acknowledged: nothing pending, nothing awaiting an ack (a message waiting
// for a redelivery after a crash or a Nak counts as awaiting). The consumer
// libraries acknowledge after the handler's effect, so the effects of
// everything in the stream are then in place. It returns the consumer's
// info at that point.
func WaitConsumed(ctx context.Context, t testing.TB, js jetstream.JetStream, stream, name string, d time.Duration) *jetstream.ConsumerInfo {
	t.Helper()
	var info *jetstream.ConsumerInfo
	poll(t, d, "consumer "+name+" to handle and acknowledge every message", func() (bool, string) {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		var err error
		if info, err = consumerInfo(ctx, js, stream, name); err != nil {
			return false, err.Error()
		}
		return info.NumPending == 0 && info.NumAckPending == 0,
			fmt.Sprintf("%d pending, %d awaiting an ack, %d redelivered", info.NumPending, info.NumAckPending, info.NumRedelivered)
	})
	return info
}

// poll calls cond every 50ms until it reports true, and fails t with what
// and cond's last word on it if that takes longer than d.
func poll(t testing.TB, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last: %s", d, what, state)
		}
		time.Sleep(50 * time.Millisecond) // poll interval, bounded by the deadline
	}
}

func consumerInfo(ctx context.Context, js jetstream.JetStream, stream, name string) (*jetstream.ConsumerInfo, error) {
	c, err := js.Consumer(ctx, stream, name)
	if err != nil {
		return nil, err
	}
	return c.Info(ctx)
}
