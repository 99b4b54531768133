package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReadInstructions reads the count from an excerpt of a real
// callgrind 3.19 dump (its header, the first functions and its totals,
// the paths shortened), and from the variants of it callgrind writes.
func TestReadInstructions(t *testing.T) {
	real, err := os.ReadFile(filepath.Join("testdata", "callgrind", "dump.part2"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := readInstructions(bytes.NewReader(real))
	if err != nil || n != 151940 {
		t.Fatalf("real dump: %d, %v; want 151940", n, err)
	}
	for _, tc := range []struct {
		name string
		dump string
		want uint64
		err  error
	}{
		{"summary only", "events: Ir\nsummary: 42\n", 42, nil},
		{"totals win over summary", "events: Ir\nsummary: 42\nfn=(1) f\n1 40\ntotals: 40\n", 40, nil},
		{"Ir not first (cache simulation)", "events: I1mr Ir Dr\nsummary: 1 737200000 3\ntotals: 1 737200000 3\n", 737200000, nil},
		{"no events line: Ir alone", "summary: 7\n", 7, nil},
		{"empty", "", 0, errNoTotals},
		{"cut before the counts", "# callgrind format\nevents: Ir\nfn=(1) f\n1 40\n", 0, errNoTotals},
		{"empty totals", "events: Ir\ntotals:\n", 0, errNoTotals},
		{"no Ir event", "events: Dr Dw\ntotals: 1 2\n", 0, errNoIr},
		{"fewer counts than events", "events: Dr Ir\ntotals: 5\n", 0, errBadCount},
		{"not a number", "events: Ir\ntotals: 12k\n", 0, errBadCount},
		{"negative", "events: Ir\ntotals: -3\n", 0, errBadCount},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := readInstructions(strings.NewReader(tc.dump))
			if !errors.Is(err, tc.err) || n != tc.want {
				t.Errorf("got %d, %v; want %d, %v", n, err, tc.want, tc.err)
			}
		})
	}
}

func TestParseInstrFlags(t *testing.T) {
	f, modes, err := parseInstrFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if f.requests != 3000 || f.warmup != 300 || f.conns != 8 || f.rounds != 2 || f.body != 1024 ||
		f.sources != "acme-shop,acme-woo,billing" || len(f.bridges) != 0 {
		t.Errorf("defaults: %+v", f)
	}
	if len(modes) != 2 || modes[0].kind != kindExternal || modes[1].kind != kindEmbedded {
		t.Errorf("default modes: %v", modes)
	}
	f, modes, err = parseInstrFlags([]string{"--hookbridge", "/a/hookbridge, /b/hookbridge", "--mode", "embedded"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(f.bridges, " ") != "/a/hookbridge /b/hookbridge" {
		t.Errorf("--hookbridge: %q", f.bridges)
	}
	if len(modes) != 1 || modes[0].kind != kindEmbedded || modes[0].sync || modes[0].commerce {
		t.Errorf("--mode embedded: %v", modes)
	}
	for _, bad := range [][]string{
		{"--mode", "cluster"},
		{"--requests", "0"},
		{"--warmup", "-1"},
		{"--conns", "0"},
		{"--rounds", "0"},
		{"--rounds", "21"},
		{"--body", "-1"},
		{"--hookbridge", "a,,b"},
		{"--hookbridge", ""},
		{"extra"},
	} {
		if _, _, err := parseInstrFlags(bad, io.Discard); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// TestInstructionsNeedsValgrind: without valgrind the command fails before
// building or starting anything, naming the package to install.
func TestInstructionsNeedsValgrind(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := run(t.Context(), []string{"instructions", "--mode", "external"}, noEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "Debian package valgrind") {
		t.Fatalf("got %v; want an error naming the package valgrind", err)
	}
}

// TestInstructionsNeedsBinaries: a --hookbridge that is not there fails
// at once, named, rather than as a bridge that never gets ready.
func TestInstructionsNeedsBinaries(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "hookbridge-old")
	err := run(t.Context(), []string{"instructions", "--hookbridge", "/bin/true," + missing}, noEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("got %v; want an error naming %s", err, missing)
	}
}

// needCallgrind is valgrind's callgrind, or skips the test when valgrind
// is missing outside CI.
func needCallgrind(t *testing.T) callgrind {
	t.Helper()
	cg, err := findCallgrind(exec.LookPath)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("valgrind is needed in CI: %v", err)
		}
		t.Skip("valgrind is not installed (apt-get install valgrind): hookload instructions is not run")
	}
	return cg
}

// TestDumpNoProcess: a dump asked of a process that is not running under
// callgrind fails at once (callgrind_control itself exits 0 then).
func TestDumpNoProcess(t *testing.T) {
	cg := needCallgrind(t)
	start := time.Now()
	_, _, err := cg.dump(t.Context(), 1<<22+7, t.TempDir(), 1)
	if err == nil || !strings.Contains(err.Error(), "not detected") {
		t.Fatalf("got %v; want callgrind_control's answer that there is no such process", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s: it waited for a dump that could not come", d)
	}
}

// TestInstructions counts a bridge with an external broker for real, under
// callgrind: the figure is the counted deliveries' alone (the start-up and
// the warm-up dropped) and the logs are kept.
func TestInstructions(t *testing.T) {
	needCallgrind(t)
	logs := t.TempDir()
	var out bytes.Buffer
	err := run(t.Context(), []string{"instructions", "--mode", "external", "--requests", "60", "--warmup", "20",
		"--rounds", "1", "--conns", "4", "--bridge-log-level", "warn", "--logs", logs, "--markdown"}, noEnv, &out, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("instructions: %v", err)
	}
	line := regexp.MustCompile(`\nexternal hookbridge 1  round 1  ([0-9.]+[kMG]?) instructions/delivery \(start-up and warm-up ([0-9.]+[kMG]?), dropped\)\n`).
		FindStringSubmatch(out.String())
	if line == nil {
		t.Fatal("no run line")
	}
	per, startup := unInstr(t, line[1]), unInstr(t, line[2])
	// A delivery is some 200k instructions; start-up alone is over 20M,
	// more than the 60 deliveries. Had the counters not been zeroed by the
	// first dump, the second would hold the start-up and the warm-up too:
	// more than the first.
	if per < 20e3 || per > 5e6 {
		t.Errorf("%.0f instructions per delivery: not a delivery's work", per)
	}
	if per*60 >= startup {
		t.Errorf("60 deliveries counted %.0f instructions, start-up and warm-up %.0f: the start-up was counted", per*60, startup)
	}
	if !regexp.MustCompile(`\n\| external \| 1: \./cmd/hookbridge at [0-9a-f]+[^|]* \| [0-9.]+k \| [^|]+ \| 1 \| 1\.000 \|\n`).MatchString(out.String()) {
		t.Error("no summary row for the built hookbridge")
	}
	for _, name := range []string{"external-1-round1-hookbridge.log", "external-1-round1-nats-server.log"} {
		if _, err := os.Stat(filepath.Join(logs, name)); err != nil {
			t.Errorf("log: %v", err)
		}
	}
	// The counted deliveries' dump is kept, and holds the count printed.
	n, err := readDumpFile(filepath.Join(logs, "external-1-round1.callgrind.out"))
	if err != nil {
		t.Fatalf("the counted deliveries' dump: %v", err)
	}
	if got := fmtInstr(float64(n) / 60); got != line[1] {
		t.Errorf("the kept dump counts %s instructions per delivery, the output %s", got, line[1])
	}
}

// unInstr reads back a count fmtInstr printed.
func unInstr(t *testing.T, s string) float64 {
	t.Helper()
	mult := map[byte]float64{'k': 1e3, 'M': 1e6, 'G': 1e9}[s[len(s)-1]]
	if mult == 0 {
		mult = 1
	} else {
		s = s[:len(s)-1]
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("count %q: %v", s, err)
	}
	return x * mult
}
