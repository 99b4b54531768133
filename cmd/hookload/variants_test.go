package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/cmd/internal/settings"
)

// TestBenchConfigs: the configs the bench writes are valid for hookbridge
// and for nats-server.
func TestBenchConfigs(t *testing.T) {
	dir := t.TempDir()
	for _, url := range []string{"", "nats://127.0.0.1:4222"} {
		cfg, err := settings.Parse([]byte(benchConfig(benchPorts{8080, 9090, 4222, 4318}, url, dir, true, "info")), dir, noEnv)
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
	for _, sync := range []bool{false, true} {
		path := filepath.Join(dir, fmt.Sprintf("nats-%t.conf", sync))
		if err := os.WriteFile(path, []byte(natsServerConfig(4222, filepath.Join(dir, "js"), sync)), 0o600); err != nil {
			t.Fatal(err)
		}
		opts, err := server.ProcessConfigFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if opts.SyncAlways != sync || opts.StoreDir != filepath.Join(dir, "js") || opts.Host != "127.0.0.1" || opts.Port != 4222 {
			t.Errorf("sync %t: %+v", sync, opts)
		}
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
		"d-console,c-console,d,c": "c,d,c-console,d-console"} {
		vs, err := selectVariants(only)
		if err != nil || keys(vs) != want {
			t.Errorf("--only %q: %s %v, want %s", only, keys(vs), err, want)
		}
	}
	if _, err := selectVariants("a,,b"); err == nil {
		t.Error(`--only "a,,b" accepted`)
	}
}
