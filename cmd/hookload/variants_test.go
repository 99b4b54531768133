package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/cmd/internal/settings"
)

// TestBenchConfigs: the configs the bench writes are valid for hookbridge
// and for nats-server.
func TestBenchConfigs(t *testing.T) {
	dir := t.TempDir()
	for _, url := range []string{"", "nats://127.0.0.1:4222"} {
		cfg, err := settings.Parse([]byte(benchConfig(benchPorts{http: 8080, admin: 9090, nats: 4222, otlp: 4318}, url, dir, true, "info")), dir, noEnv)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.NATS.URL != url || !cfg.NATS.Embedded.SyncAlways || len(cfg.Sources) != 6 {
			t.Errorf("config %+v", cfg.NATS)
		}
		// The raw variant creates the stream from the bridge's defaults: the
		// bridge variants must publish to that very stream.
		if s := cfg.NATS.Stream; s.Name != bridge.DefaultStream || s.SubjectPrefix != bridge.DefaultSubjectPrefix {
			t.Errorf("stream %+v, want the defaults the raw variant uses", s)
		}
	}
	// The instructions command's bridge runs under callgrind, with longer
	// timeouts; the rest of its config is the bench's.
	for _, url := range []string{"", "nats://127.0.0.1:4222"} {
		cfg, err := settings.Parse([]byte(slowBridge(benchConfig(benchPorts{http: 8080, admin: 9090, nats: 4222, otlp: 4318}, url, dir, false, "info"), time.Minute)), dir, noEnv)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.NATS.PublishTimeout != time.Minute || cfg.HTTP.WriteTimeout != 90*time.Second || cfg.HTTP.ReadTimeout != 90*time.Second {
			t.Errorf("slowBridge: publish timeout %s, HTTP write %s, read %s; want 1m, 1m30s, 1m30s", cfg.NATS.PublishTimeout, cfg.HTTP.WriteTimeout, cfg.HTTP.ReadTimeout)
		}
		if cfg.NATS.URL != url || cfg.HTTP.Listen != "127.0.0.1:8080" || len(cfg.Sources) != 6 {
			t.Errorf("slowBridge changed more: %+v", cfg.NATS)
		}
	}
	for _, sync := range []bool{false, true} {
		path := filepath.Join(dir, fmt.Sprintf("nats-%t.conf", sync))
		node := natsNode{name: "bench", port: 4222, storeDir: filepath.Join(dir, "js"), sync: sync}
		if err := os.WriteFile(path, []byte(natsServerConfig(node)), 0o600); err != nil {
			t.Fatal(err)
		}
		opts, err := server.ProcessConfigFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if opts.SyncAlways != sync || opts.StoreDir != filepath.Join(dir, "js") || opts.Host != "127.0.0.1" || opts.Port != 4222 || opts.Cluster.Port != 0 {
			t.Errorf("sync %t: %+v", sync, opts)
		}
	}
}

// TestClusterConfigs: a cluster variant's nodes are distinct servers of
// one cluster on loopback, each with its own ports and store and a route
// to every other; the bridge is given every node and replicates the stream
// on each.
func TestClusterConfigs(t *testing.T) {
	v := optInVariants[slices.IndexFunc(optInVariants, func(v variant) bool { return v.key == "c-r3" })]
	p, err := newPorts(v)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.nodes) != 3 {
		t.Fatalf("%d nodes, want 3", len(p.nodes))
	}
	ports := []int{p.http, p.admin, p.nats, p.otlp}
	for _, n := range p.nodes {
		ports = append(ports, n.client, n.route, n.monitor)
	}
	if slices.Sort(ports); len(slices.Compact(ports)) != 4+3*3 {
		t.Errorf("ports %+v are not distinct", p)
	}
	dir := t.TempDir()
	names, stores := map[string]bool{}, map[string]bool{}
	for i, n := range natsNodes(v, dir, p) {
		path := filepath.Join(dir, n.name+".conf")
		if err := os.WriteFile(path, []byte(natsServerConfig(n)), 0o600); err != nil {
			t.Fatal(err)
		}
		opts, err := server.ProcessConfigFile(path)
		if err != nil {
			t.Fatal(err)
		}
		names[opts.ServerName], stores[opts.StoreDir] = true, true
		if opts.Port != p.nodes[i].client || opts.Cluster.Port != p.nodes[i].route || opts.HTTPPort != p.nodes[i].monitor ||
			opts.Cluster.Name != "bench" || opts.Cluster.Host != "127.0.0.1" || opts.HTTPHost != "127.0.0.1" || !opts.JetStream {
			t.Errorf("node %d: %+v", i, opts)
		}
		var routes []int
		for _, r := range opts.Routes {
			port, _ := strconv.Atoi(r.Port())
			if r.Hostname() == "127.0.0.1" {
				routes = append(routes, port)
			}
		}
		if !slices.Equal(routes, []int{p.nodes[0].route, p.nodes[1].route, p.nodes[2].route}) {
			t.Errorf("node %d routes %v", i, opts.Routes)
		}
	}
	if len(names) != 3 || len(stores) != 3 {
		t.Errorf("server names %v, stores %v: want one each per node", names, stores)
	}
	cfg, err := settings.Parse([]byte(benchConfig(p, p.natsURL(), dir, false, "info")), dir, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NATS.Stream.Replicas != 3 || strings.Count(cfg.NATS.URL, ",") != 2 || !strings.Contains(cfg.NATS.URL, fmt.Sprintf("nats://127.0.0.1:%d", p.nodes[2].client)) {
		t.Errorf("nats %+v: want replicas 3 and every node's URL", cfg.NATS)
	}
}

// TestSelectVariants: --only picks variants by key, in the bench's order.
func TestSelectVariants(t *testing.T) {
	keys := func(vs []variant) string {
		var ks []string
		for _, v := range vs {
			ks = append(ks, v.key)
		}
		return strings.Join(ks, ",")
	}
	for only, want := range map[string]string{"": "a,b,c,d,b-sync,c-sync,d-sync", " ": "a,b,c,d,b-sync,c-sync,d-sync",
		"d, a": "a,d", "c-sync,b,b": "b,c-sync", "d-traced,c,d,c-traced": "c,d,c-traced,d-traced", "d-sampled": "d-sampled",
		"d-console,c-console,d,c": "c,d,c-console,d-console", "c-r3-leader,c-r3,c": "c,c-r3,c-r3-leader", "e-plain,e,c": "c,e,e-plain"} {
		vs, err := selectVariants(only)
		if err != nil || keys(vs) != want {
			t.Errorf("--only %q: %s %v, want %s", only, keys(vs), err, want)
		}
	}
	if _, err := selectVariants("a,,b"); err == nil {
		t.Error(`--only "a,,b" accepted`)
	}
}
