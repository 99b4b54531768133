package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the bench run this test binary as its plain-server child.
func TestMain(m *testing.M) {
	if os.Getenv("HOOKLOAD_TEST_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestBenchSmoke runs the whole bench briefly: it builds nats-server and
// hookbridge, starts every child, measures, checks, and cleans up.
func TestBenchSmoke(t *testing.T) {
	if os.Getenv("HOOKLOAD_BENCH_SMOKE") == "" {
		t.Skip("set HOOKLOAD_BENCH_SMOKE=1 to run the bench briefly (builds nats-server and hookbridge, ~15s)")
	}
	t.Setenv("HOOKLOAD_TEST_AS_MAIN", "1") // for the plain-server child
	logs := t.TempDir()
	var out bytes.Buffer
	err := run(t.Context(), []string{"bench", "--duration", "400ms", "--warmup", "200ms", "--conns", "4",
		"--only", "a,b,c,d-sync", "--bridge-log-level", "warn", "--logs", logs, "--markdown"}, noEnv, &out, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	for _, want := range []string{
		"| a plain net/http | ", "| b raw JetStream publish | ", "| c hookbridge + external nats-server | ",
		"| d-sync hookbridge, embedded nats, fsync | ", "| zero lost / duplicated | lost 0, duplicated 0",
		"nats-server: v2.15.2",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, name := range []string{"a-plain-server.log", "b-nats-server.log", "c-hookbridge.log", "d-sync-hookbridge.log"} {
		if _, err := os.Stat(filepath.Join(logs, name)); err != nil {
			t.Errorf("log: %v", err)
		}
	}
}
