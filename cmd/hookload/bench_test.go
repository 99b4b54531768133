package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
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

// TestBenchSmoke runs the whole bench briefly: it builds nats-server,
// hookbridge and Benthos, starts every child, measures, checks, and cleans
// up. Benthos (e) must refuse deliveries altered after signing and store
// none of them.
func TestBenchSmoke(t *testing.T) {
	if os.Getenv("HOOKLOAD_BENCH_SMOKE") == "" {
		t.Skip("set HOOKLOAD_BENCH_SMOKE=1 to run the bench briefly (builds nats-server and hookbridge, ~15s)")
	}
	t.Setenv("HOOKLOAD_TEST_AS_MAIN", "1") // for the plain-server child
	logs := t.TempDir()
	var out bytes.Buffer
	err := run(t.Context(), []string{"bench", "--duration", "400ms", "--warmup", "200ms", "--conns", "4",
		"--only", "a,b,c,d-sync,c-console,c-r3-leader,e,e-plain", "--bridge-log-level", "warn", "--logs", logs, "--markdown"}, noEnv, &out, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	for _, want := range []string{
		"| a plain net/http | ", "| b raw JetStream publish | ", "| c hookbridge + external nats-server | ",
		"| d-sync hookbridge, embedded nats, fsync | ", "| zero lost / duplicated | lost 0, duplicated 0",
		"nats-server: v2.15.2", "| c-console c, with the console open and live | ", "The console open against closed",
		"| c-r3-leader c-r3, the bridge on the stream's leader | ", "A cluster against a single server",
		"| e Benthos 4.27: verify + Nats-Msg-Id + synchronous publish | ", "\nbenthos: v4.27.0\n",
		"\nrefused  altered after signing: /webhooks/acme-shop 502, /webhooks/acme-woo 502, /webhooks/billing 502; none stored\n",
		"| e-plain Benthos 4.27: plain passthrough | ", "| count only (no msg id): ",
		"| hookbridge external ≥ 2× Benthos doing the same work | ", "\nHookbridge against Benthos 4.27.0 doing the same work (e: ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// The cluster variant moved the stream's leadership to the bridge's node.
	if !regexp.MustCompile(`\n\| c-r3-leader [^\n]*\| 1 of 1 \|`).MatchString(out.String()) {
		t.Error("c-r3-leader: the bridge was not on the stream's leader")
	}
	for _, name := range []string{"a-plain-server.log", "b-nats-server.log", "c-hookbridge.log", "d-sync-hookbridge.log", "c-console-hookbridge.log", "c-r3-leader-nats-server-n3.log", "c-r3-leader-hookbridge.log", "e-benthos.log", "e-plain-nats-server.log"} {
		if _, err := os.Stat(filepath.Join(logs, name)); err != nil {
			t.Errorf("log: %v", err)
		}
	}
}

// TestBenchSmokeWrk runs one round of the bench with wrk as the load:
// wrk started on the script, its figures read, and the stream checked by
// id and count for hookbridge and Benthos, by count for e-plain.
func TestBenchSmokeWrk(t *testing.T) {
	if os.Getenv("HOOKLOAD_BENCH_SMOKE") == "" {
		t.Skip("set HOOKLOAD_BENCH_SMOKE=1 to run the bench briefly with wrk (builds nats-server, hookbridge and Benthos)")
	}
	needWrk(t)
	t.Setenv("HOOKLOAD_TEST_AS_MAIN", "1") // for the plain-server child
	var out bytes.Buffer
	err := run(t.Context(), []string{"bench", "--load", "wrk", "--duration", "1s", "--warmup", "1s", "--conns", "4",
		"--only", "a,c,e,e-plain", "--bridge-log-level", "warn", "--logs", t.TempDir(), "--markdown"}, noEnv, &out, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	for _, want := range []string{
		"\n- load tool: wrk ", "| CPU/req wrk |", "| a plain net/http | ",
		"| by id and count: ", "| count only (no msg id): ", "\nLoad: wrk (-t2, --latency",
		"| zero lost / duplicated | lost 0, duplicated 0",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out.String(), "sent some again") {
		t.Error("wrk ran out of deliveries")
	}
}

// TestBenchPlain runs the bench's plain variant for real, which needs no
// build: this test binary is started as the plain-server child, measured,
// stopped, and the summary printed; nothing of the work directory is left.
func TestBenchPlain(t *testing.T) {
	t.Setenv("HOOKLOAD_TEST_AS_MAIN", "1") // for the plain-server child
	t.Setenv("TMPDIR", t.TempDir())        // the work directory's parent
	logs := t.TempDir()
	var out bytes.Buffer
	err := run(t.Context(), []string{"bench", "--only", "a", "--duration", "300ms", "--warmup", "100ms", "--conns", "2",
		"--logs", logs}, noEnv, &out, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	for _, want := range []string{
		"command: go run ./cmd/hookload bench --only a ",
		"\n== a: plain net/http ==\nstarted  hookload plain-server --listen 127.0.0.1:",
		"\nrun      ", " over 2 connections (",
		"\ncpu      plain-server ", "/req, hookload ",
		"\npeak RSS plain-server ",
		"\nsummary (ratios are within this run)\n",
		"\nhookbridge external ≥ 0.55× plain   ", "not measured\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out.String(), "check    ") {
		t.Error("a plain target was checked")
	}
	if _, err := os.Stat(filepath.Join(logs, "a-plain-server.log")); err != nil {
		t.Errorf("log: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(os.Getenv("TMPDIR"), "hookload-bench-*"))
	if len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestBenchFlags: flags out of range are refused before anything is built.
func TestBenchFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--window", "0"}, "--window 0: want 1 to 4096"},
		{[]string{"--window", "4097"}, "--window 4097: want 1 to 4096"},
		{[]string{"--rounds", "21"}, "--rounds 21: want 1 to 20"},
		{[]string{"--only", "a,f"}, `--only: no variant "f" (have a, b, c, d, b-sync, c-sync, d-sync)`},
		{[]string{"--benthos-max-in-flight", "-1"}, "--benthos-max-in-flight -1: want 1 to 4096"},
		{[]string{"--benthos-max-in-flight", "4097"}, "--benthos-max-in-flight 4097: want 1 to 4096"},
		{[]string{"a"}, `unexpected argument "a"`},
		{[]string{"--load", "ab"}, `--load "ab": want hookload or wrk`},
		{[]string{"--load", "wrk", "--replay", "0.1"}, "--load wrk cannot --replay"},
		{[]string{"--load", "wrk", "--conns", "1"}, "--load wrk needs --conns of at least 2"},
		{[]string{"--load", "wrk", "--only", "a,c-traced"}, "--load wrk: variant c-traced needs hookload's load"},
		{[]string{"--load", "wrk", "--only", "n"}, "--load wrk: variant n needs hookload's load"},
		{[]string{"--load", "wrk", "--wrk", "/nonexistent/wrk"}, "--load wrk: exec: \"/nonexistent/wrk\""},
		{[]string{"--only", "c,e", "--sources", "acme-shop,github=2"}, `e verifies only the sources acme-shop, acme-woo, billing, not "github"`},
	} {
		var out bytes.Buffer
		err := run(t.Context(), append([]string{"bench"}, tc.args...), noEnv, &out, &out)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.args, err, tc.want)
		}
		if strings.Contains(out.String(), "children's logs") {
			t.Errorf("%q: the bench started: %s", tc.args, out.String())
		}
	}
}
