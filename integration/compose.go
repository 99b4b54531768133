package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"go.yaml.in/yaml/v3"
)

// composeProjectLabel is the label docker-compose puts on every container,
// network and volume of a project.
const composeProjectLabel = "com.docker.compose.project"

// Compose drives docker-compose (v1, the standalone docker-compose binary)
// for one project of one compose file, with an environment of the test's
// choosing.
type Compose struct {
	Project  string   // -p: unique per test
	File     string   // -f: absolute path
	Profiles []string // --profile, on every command (up and down alike)
	Env      []string // the process environment docker-compose runs with
}

// NewCompose returns a Compose for file under a new project name, and
// registers its teardown: when the test ends, also when it fails, it prints
// the tail of the services' logs if the test failed, runs `down -v`, asserts
// that no container, network or volume of the project is left, and removes
// any that are. docker-compose runs with the test process's environment
// less COMPOSE_*, and with env on top (an empty value too: the shell's
// environment wins over a .env file in compose's interpolation).
//
// Without a docker-compose binary the test is skipped, or failed when CI is
// set (see RequireDocker).
func NewCompose(t testing.TB, file string, env map[string]string) *Compose {
	t.Helper()
	if _, err := exec.LookPath("docker-compose"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but there is no docker-compose: %v", err)
		}
		t.Skipf("no docker-compose (CI would fail here): %v", err)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	c := &Compose{Project: "hookbridge-it-" + hex.EncodeToString(suffix), File: abs}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if _, mine := env[name]; mine || strings.HasPrefix(name, "COMPOSE_") {
			continue
		}
		c.Env = append(c.Env, kv)
	}
	for k, v := range env {
		c.Env = append(c.Env, k+"="+v)
	}
	t.Cleanup(func() { c.teardown(t) })
	return c
}

// Run runs docker-compose -p Project -f File [--profile P]... args... and
// returns its output (stdout and stderr).
func (c *Compose) Run(ctx context.Context, args ...string) (string, error) {
	global := []string{"--ansi", "never", "-p", c.Project, "-f", c.File}
	for _, p := range c.Profiles {
		global = append(global, "--profile", p)
	}
	cmd := exec.CommandContext(ctx, "docker-compose", append(global, args...)...)
	cmd.Env = c.Env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("docker-compose %s: %w", strings.Join(args, " "), err)
	}
	return out.String(), err
}

func (c *Compose) teardown(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if t.Failed() {
		out, err := c.Run(ctx, "logs", "--no-color", "--tail", "40")
		t.Logf("compose logs of %s (%v):\n%s", c.Project, err, out)
	}
	// Anonymous volumes (a service's "- /data") carry no project label:
	// remember them by name to look for them afterwards.
	anonymous, err := c.volumesMounted(ctx)
	if err != nil {
		t.Errorf("listing the volumes of %s: %v", c.Project, err)
	}
	if out, err := c.Run(ctx, "down", "-v", "--remove-orphans", "-t", "5"); err != nil {
		t.Errorf("%v\n%s", err, out)
	}
	left, err := c.leftovers(ctx, true)
	if err != nil {
		t.Errorf("looking for what %s left behind: %v", c.Project, err)
	}
	for _, name := range anonymous {
		if c.removeVolume(ctx, name) {
			left = append(left, "volume "+name)
		}
	}
	if len(left) > 0 {
		t.Errorf("docker-compose down -v left behind (now removed): %s", strings.Join(left, ", "))
	}
}

// volumesMounted lists the names of the volumes mounted by the project's
// containers.
func (c *Compose) volumesMounted(ctx context.Context) ([]string, error) {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	label := client.Filters{}.Add("label", composeProjectLabel+"="+c.Project)
	containers, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: label})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, ct := range containers.Items {
		for _, m := range ct.Mounts {
			if m.Type == mount.TypeVolume && m.Name != "" {
				names = append(names, m.Name)
			}
		}
	}
	return names, nil
}

// removeVolume removes the volume name and reports whether it was there.
func (c *Compose) removeVolume(ctx context.Context, name string) bool {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return false
	}
	defer cli.Close()
	if _, err := cli.VolumeInspect(ctx, name, client.VolumeInspectOptions{}); err != nil {
		return false
	}
	_, _ = cli.VolumeRemove(ctx, name, client.VolumeRemoveOptions{Force: true})
	return true
}

// leftovers lists the containers, networks and volumes labelled with the
// project; remove removes them too.
func (c *Compose) leftovers(ctx context.Context, remove bool) ([]string, error) {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	label := client.Filters{}.Add("label", composeProjectLabel+"="+c.Project)
	var left []string
	containers, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: label})
	if err != nil {
		return nil, err
	}
	for _, ct := range containers.Items {
		left = append(left, "container "+strings.Join(ct.Names, ","))
		if remove {
			_, _ = cli.ContainerRemove(ctx, ct.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		}
	}
	networks, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: label})
	if err != nil {
		return nil, err
	}
	for _, n := range networks.Items {
		left = append(left, "network "+n.Name)
		if remove {
			_, _ = cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{})
		}
	}
	volumes, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: label})
	if err != nil {
		return nil, err
	}
	for _, v := range volumes.Items {
		left = append(left, "volume "+v.Name)
		if remove {
			_, _ = cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true})
		}
	}
	return left, nil
}

// Health returns the health status (starting, healthy, unhealthy; "none"
// without a healthcheck) of the project's container of service, or its
// state when it is not running.
func (c *Compose) Health(ctx context.Context, service string) (string, error) {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return "", err
	}
	defer cli.Close()
	filters := client.Filters{}.
		Add("label", composeProjectLabel+"="+c.Project).
		Add("label", "com.docker.compose.service="+service)
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filters})
	if err != nil {
		return "", err
	}
	if len(list.Items) != 1 {
		return "", fmt.Errorf("%d containers of service %s", len(list.Items), service)
	}
	res, err := cli.ContainerInspect(ctx, list.Items[0].ID, client.ContainerInspectOptions{})
	if err != nil {
		return "", err
	}
	st := res.Container.State
	switch {
	case st == nil:
		return "", fmt.Errorf("service %s: no state", service)
	case !st.Running:
		return string(st.Status), nil
	case st.Health == nil:
		return "none", nil
	}
	return string(st.Health.Status), nil
}

// composeService is what the suites read of a compose file's service.
type composeService struct {
	Image    string   `yaml:"image"`
	Profiles []string `yaml:"profiles"`
}

// composeServices returns the services of a compose file by name, YAML
// merge keys (<<: *anchor) applied.
func composeServices(file string) (map[string]composeService, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return doc.Services, nil
}
