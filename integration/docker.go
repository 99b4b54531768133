package integration

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
)

// ConfigureTestcontainers sets, for this process, the two settings the
// suites need. Call it before any testcontainers call: the library reads its
// configuration once.
//
//   - TESTCONTAINERS_RYUK_DISABLED=true: the reaper's image cannot be pulled,
//     so every test removes its own containers and networks (t.Cleanup).
//   - TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1: published ports are bound to
//     127.0.0.1 only. Without it, testcontainers' Host (used by its wait
//     strategies) is the Docker bridge's gateway address whenever the tests
//     themselves run inside a container (/.dockerenv exists, as here).
func ConfigureTestcontainers() {
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
}

var docker struct {
	once sync.Once
	err  error
}

// RequireDocker skips t, with a one-line reason, when no Docker engine
// answers. When the environment variable CI is non-empty it fails t instead:
// CI must run these suites, never skip them. When DOCKER_HOST is set, that
// engine is the only one tried (testcontainers would fall back to the default
// socket), so DOCKER_HOST=unix:///nonexistent behaves like a machine without
// Docker. Every test of this package calls it first.
func RequireDocker(t testing.TB) {
	t.Helper()
	ConfigureTestcontainers()
	docker.once.Do(func() { docker.err = pingDocker() })
	if docker.err == nil {
		return
	}
	reason := strings.Join(strings.Fields(docker.err.Error()), " ")
	if len(reason) > 200 {
		reason = reason[:200] + "..."
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but no Docker engine answers: %s", reason)
	}
	t.Skipf("no Docker engine answers (CI would fail here): %s", reason)
}

func pingDocker() (err error) {
	defer func() {
		if r := recover(); r != nil { // testcontainers panics when it finds no host
			err = fmt.Errorf("%v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var cli interface {
		Ping(context.Context, client.PingOptions) (client.PingResult, error)
		Close() error
	}
	if os.Getenv("DOCKER_HOST") != "" {
		cli, err = client.New(client.FromEnv)
	} else {
		cli, err = testcontainers.NewDockerClientWithOpts(ctx)
	}
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.Ping(ctx, client.PingOptions{})
	return err
}

// NewNetwork creates a Docker network for one test and removes it when the
// test ends (after the containers on it, which were cleaned up later).
func NewNetwork(ctx context.Context, t testing.TB) *testcontainers.DockerNetwork {
	t.Helper()
	nw, err := network.New(ctx)
	testcontainers.CleanupNetwork(t, nw)
	if err != nil {
		t.Fatalf("creating a docker network: %v", err)
	}
	return nw
}

// cleanupContainer terminates c when the test ends and, before that, prints
// the tail of its logs if the test failed.
func cleanupContainer(t testing.TB, c *testcontainers.DockerContainer, what string) {
	t.Helper()
	testcontainers.CleanupContainer(t, c)
	if c == nil {
		return
	}
	t.Cleanup(func() { // runs before the terminate registered above
		if t.Failed() {
			t.Logf("last log lines of %s:\n%s", what, logTail(c, 60))
		}
	})
}

func logTail(c *testcontainers.DockerContainer, n int) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rc, err := c.Logs(ctx)
	if err != nil {
		return "(no logs: " + err.Error() + ")"
	}
	defer rc.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		k, err := rc.Read(buf)
		b.Write(buf[:k])
		if err != nil {
			break
		}
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// killContainer sends SIGKILL: a crash, not a shutdown.
func killContainer(ctx context.Context, c *testcontainers.DockerContainer) error {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.ContainerKill(ctx, c.GetContainerID(), client.ContainerKillOptions{Signal: "KILL"})
	return err
}

// freePort returns a loopback port that was free a moment ago, to pin a
// published port across container restarts.
func freePort(t testing.TB) string {
	t.Helper()
	return freePorts(t, 1)[0]
}

// freePorts returns n distinct loopback ports that were free a moment ago
// (natstest.FreeAddrs): two services given one port fail to start.
func freePorts(t testing.TB, n int) []string {
	t.Helper()
	ports := natstest.FreeAddrs(t, n)
	for i, addr := range ports {
		_, ports[i], _ = net.SplitHostPort(addr)
	}
	return ports
}
