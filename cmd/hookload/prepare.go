package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/cmd/internal/settings"
)

// prepare builds the binaries the selected variants need and the signing
// config, and gathers the header facts.
func (b *benchRun) prepare(ctx context.Context, selected []variant, getenv func(string) string) error {
	var err error
	if b.self, err = os.Executable(); err != nil {
		return err
	}
	if err := b.buildBinaries(ctx, selected); err != nil {
		return err
	}
	b.sigCfg = filepath.Join(b.work, "sources.yaml")
	if err := os.WriteFile(b.sigCfg, []byte(benchConfig(benchPorts{http: 1, admin: 2, nats: 3, otlp: 4}, "", b.work, false, "warn")), 0o600); err != nil {
		return err
	}
	cfg, err := settings.Load(b.sigCfg, getenv)
	if err != nil {
		return fmt.Errorf("bench: the generated config: %w", err)
	}
	if b.mix, err = parseMix(b.f.sources, cfg); err != nil {
		return err
	}
	if slices.ContainsFunc(selected, func(v variant) bool { return v.commerce }) {
		if b.perDelivery, err = canonicalPerDelivery(b.mix, b.f.body); err != nil {
			return err
		}
	}
	b.runID = newRunID()
	b.gatherInfo(ctx)
	return nil
}

// buildBinaries builds, from the module the bench runs in, the nats-server
// and hookbridge the selected variants need and no flag names.
func (b *benchRun) buildBinaries(ctx context.Context, selected []variant) error {
	needNats, needBridge, needBenthos := false, false, false
	for _, v := range selected {
		needNats = needNats || v.kind == kindRaw || v.kind == kindExternal || v.kind == kindBenthos
		needBridge = needBridge || v.kind == kindExternal || v.kind == kindEmbedded
		needBenthos = needBenthos || v.kind == kindBenthos
	}
	if needNats || needBridge || needBenthos {
		out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
		if err != nil {
			return fmt.Errorf("bench: go env GOMOD: %w", err)
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			return errors.New("bench: run it from the hookbridge checkout (it builds nats-server and ./cmd/hookbridge from the module)")
		}
		b.modRoot = filepath.Dir(gomod)
	}
	b.natsBin, b.hbBin = b.f.natsBin, b.f.bridgeBin
	if needNats && b.natsBin == "" {
		b.natsBin = filepath.Join(b.work, "nats-server")
		if err := b.goBuild(ctx, b.natsBin, "github.com/nats-io/nats-server/v2"); err != nil {
			return err
		}
	}
	if needBridge && b.hbBin == "" {
		b.hbBin = filepath.Join(b.work, "hookbridge")
		if err := b.goBuild(ctx, b.hbBin, "./cmd/hookbridge"); err != nil {
			return err
		}
	}
	b.benthosBin = b.f.benthosBin
	if needBenthos && b.benthosBin == "" {
		b.benthosBin = filepath.Join(b.work, "benthos")
		if err := b.buildBenthos(ctx, b.benthosBin); err != nil {
			return err
		}
	}
	return nil
}

// buildBenthos builds the nested module cmd/hookload/benthos, which pins
// Benthos, as a static binary (about 40s the first time: its dependencies
// come from the module proxy into the module cache).
func (b *benchRun) buildBenthos(ctx context.Context, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, ".")
	cmd.Dir = filepath.Join(b.modRoot, "cmd", "hookload", "benthos")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("bench: go build ./cmd/hookload/benthos (its own module): %w\n%s", err, msg)
	}
	return nil
}

// gatherInfo notes what a reader of the figures needs to weigh them: when,
// on what machine, which builds, and the load.
func (b *benchRun) gatherInfo(ctx context.Context) {
	b.info = append(b.info, "date: "+time.Now().UTC().Format("2006-01-02 15:04 MST"))
	b.info = append(b.info, fmt.Sprintf("machine: %d cores (%s), %s RAM, load average before: %s",
		runtime.NumCPU(), cpuModel(), memTotal(), loadAvg()))
	b.info = append(b.info, "go: "+runtime.Version())
	if b.natsBin != "" {
		v, _ := exec.CommandContext(ctx, b.natsBin, "--version").Output()
		b.info = append(b.info, "nats-server: "+strings.TrimPrefix(strings.TrimSpace(string(v)), "nats-server: "))
	}
	if b.benthosBin != "" {
		v, _ := exec.CommandContext(ctx, b.benthosBin, "--version").Output()
		first, _, _ := strings.Cut(string(v), "\n") // "Version: v4.27.0"
		b.info = append(b.info, "benthos: "+strings.TrimSpace(strings.TrimPrefix(first, "Version:")))
	}
	if b.modRoot != "" {
		b.info = append(b.info, "hookbridge: commit "+gitDescribe(ctx, b.modRoot))
	}
	b.info = append(b.info, fmt.Sprintf("load: %d connections, %d B bodies, sources %s, replay %.2f, warm-up %s + %s measured per variant, %d round(s), file storage",
		b.f.conns, b.f.body, b.mix, b.f.replay, b.f.warmup, b.f.duration, b.f.rounds))
	if b.f.load == "wrk" {
		b.info = append(b.info, fmt.Sprintf("load tool: %s (%s), -t%d -c%d --latency --timeout %s, the deliveries from a Lua script, %d/s of the warm-up and of the measured time pre-generated (at most --max-pool %d)",
			wrkVersion(ctx, b.f.wrkBin), b.f.wrkBin, wrkThreads, b.f.conns, wrkTimeout, wrkRate, b.f.maxPool))
	} else {
		b.info = append(b.info, "load tool: hookload's own runner (Go net/http, one goroutine per connection)")
	}
}

func (b *benchRun) goBuild(ctx context.Context, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = b.modRoot
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("bench: go build %s: %w\n%s", pkg, err, msg)
	}
	return nil
}

func (b *benchRun) printHeader(cmdline []string) {
	fmt.Fprintln(b.out, "command: go run ./cmd/hookload "+strings.Join(cmdline, " "))
	for _, l := range b.info {
		fmt.Fprintln(b.out, l)
	}
	fmt.Fprintln(b.out, "the machine is shared: compare ratios taken in the same run, not absolute figures across runs")
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func memTotal() string {
	b, _ := os.ReadFile("/proc/meminfo")
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if kb, err := strconv.ParseUint(f[0], 10, 64); err == nil {
				return fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
			}
		}
	}
	return "unknown"
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func gitDescribe(ctx context.Context, dir string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown (not a git checkout)"
	}
	s := strings.TrimSpace(string(out))
	// The tree measured is the working tree: say when it differs from HEAD.
	st, err := exec.CommandContext(ctx, "git", "-C", dir, "status", "--porcelain", "--", "bridge", "cmd/hookbridge", "cmd/internal", "internal", "go.mod", "go.sum").Output()
	if err == nil && len(strings.TrimSpace(string(st))) > 0 {
		s += " + uncommitted changes in bridge/, cmd/hookbridge, cmd/internal/, internal/ or go.mod"
	}
	return s
}
