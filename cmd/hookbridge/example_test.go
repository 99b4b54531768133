package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookbridge/hookbridge/cmd/internal/settings"
	"github.com/hookbridge/hookbridge/internal/logtest"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// TestExampleConfigEverySource: the quick start's promise. The checked-in
// hookbridge.yaml, on its development defaults, starts, and `hookbridge
// send <source>` gets a 200 "published" from every source it configures.
// Only the addresses and the store directory are moved, so that the test
// runs beside a bridge already on the default ports.
func TestExampleConfigEverySource(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", "..", "hookbridge.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	addrs := natstest.FreeAddrs(t, 2)
	hook, admin := addrs[0], addrs[1]
	cfg := strings.NewReplacer(
		`"127.0.0.1:8080"`, `"`+hook+`"`,
		`"127.0.0.1:9090"`, `"`+admin+`"`,
		`"127.0.0.1:4222"`, `"`+natstest.FreeAddr(t)+`"`,
		`"./data/jetstream"`, `"`+filepath.Join(dir, "js")+`"`,
	).Replace(string(example))
	for _, moved := range []string{hook, admin, dir} {
		if !strings.Contains(cfg, moved) {
			t.Fatalf("hookbridge.yaml no longer has the address or store this test moves (%s)", moved)
		}
	}
	path := filepath.Join(dir, "hookbridge.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	loaded, err := settings.Load(path, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	in := instance{cfgPath: path, hook: hook, admin: admin}
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)
	defer func() { cancel(); _ = wait() }()
	if len(loaded.Sources) < 7 {
		t.Fatalf("the example configures %d sources", len(loaded.Sources))
	}
	for _, s := range loaded.Sources {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"send", "--config", path, s.Name}, noEnv, &out, &out); err != nil {
			t.Errorf("send %s: %v\n%s", s.Name, err, out.String())
			continue
		}
		if !strings.Contains(out.String(), "200 OK") || !strings.Contains(out.String(), `"status":"published"`) {
			t.Errorf("send %s printed %q, want 200 published", s.Name, out.String())
		}
	}
}
