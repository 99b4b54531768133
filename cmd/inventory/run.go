package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/hookbridge/hookbridge/cmd/internal/healthcheck"
	"github.com/hookbridge/hookbridge/cmd/internal/service"
	"github.com/hookbridge/hookbridge/consumers/inventory"
)

const defaultNATS = "nats://127.0.0.1:4222"

// run is the whole program; main only supplies the process's context,
// arguments, environment and streams. It returns nil after ctx is cancelled
// and the handlers in flight have finished.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	listenDefault := getenv("INVENTORY_LISTEN")
	if listenDefault == "" {
		listenDefault = "127.0.0.1:9191"
	}
	if len(args) > 0 && args[0] == "healthcheck" {
		// For container HEALTHCHECKs: the image has no shell or curl. It
		// probes the address $INVENTORY_LISTEN names, as the service listens there.
		return healthcheck.Run(ctx, args[1:], healthcheck.LocalURL(listenDefault, "/healthz"), stdout, stderr)
	}
	fs := flag.NewFlagSet("inventory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	natsDefault := getenv("INVENTORY_NATS_URL")
	if natsDefault == "" {
		natsDefault = defaultNATS
	}
	natsURL := fs.String("nats", natsDefault, "NATS server URL(s), comma-separated (env INVENTORY_NATS_URL)")
	stockFile := fs.String("stock", "", "JSON `FILE` of initial stock, {\"SKU\": quantity, ...}")
	var seeds seedFlag
	fs.Var(&seeds, "seed", "initial stock as `SKU=QTY`[,SKU=QTY...]; repeatable; wins over --stock.\nSeeding sets only SKUs the bucket does not hold yet")
	listen := fs.String("listen", listenDefault, "(env INVENTORY_LISTEN) address of the read path: GET /stock, /stock/{sku}, /healthz, /metrics")
	concurrency := fs.Int("concurrency", 4, "webhook events handled at once")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *concurrency < 1 {
		return fmt.Errorf("--concurrency must be at least 1, not %d", *concurrency)
	}
	seed, err := readSeed(*stockFile, seeds)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stdout, nil))

	nc, js, err := service.Connect(*natsURL, "inventory", log)
	if err != nil {
		return err
	}
	defer nc.Close()

	setupCtx, cancel := context.WithTimeout(ctx, service.SetupWait)
	svc, err := inventory.New(setupCtx, js, inventory.Config{Logger: log})
	if err == nil {
		err = svc.Seed(setupCtx, seed)
	}
	cancel()
	if err != nil {
		return err
	}
	cfg := inventory.ConsumerConfig()
	cfg.Concurrency = *concurrency
	return service.Run(ctx, js, service.Spec{
		Name: "inventory", Listen: *listen,
		Read: svc.Handler(), ReadPaths: []string{"/stock", "/stock/"},
		Consumer: cfg, Handle: svc.Handle, Log: log,
	})
}

// seedFlag collects --seed SKU=QTY[,SKU=QTY...] values.
type seedFlag []string

func (s *seedFlag) String() string { return strings.Join(*s, ",") }

func (s *seedFlag) Set(v string) error {
	if _, err := parseSeed(v); err != nil {
		return err
	}
	*s = append(*s, v)
	return nil
}

// parseSeed reads "SKU=QTY,SKU=QTY". The quantity follows the last "=", so a
// SKU may contain "=" but not ","; spaces around either part are trimmed.
func parseSeed(v string) (map[string]int, error) {
	out := map[string]int{}
	for pair := range strings.SplitSeq(v, ",") {
		i := strings.LastIndex(pair, "=")
		if i < 0 {
			return nil, fmt.Errorf("%q: want SKU=QTY", pair)
		}
		sku := strings.TrimSpace(pair[:i])
		n, err := strconv.Atoi(strings.TrimSpace(pair[i+1:]))
		if sku == "" || err != nil || n < 0 {
			return nil, fmt.Errorf("%q: want SKU=QTY with QTY a whole number ≥ 0", pair)
		}
		out[sku] = n
	}
	return out, nil
}

// readSeed merges the --stock file and the --seed flags, the flags last.
func readSeed(file string, seeds []string) (map[string]int, error) {
	seed := map[string]int{}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--stock: %w", err)
		}
		if err := json.Unmarshal(data, &seed); err != nil {
			return nil, fmt.Errorf(`--stock %s: want {"SKU": quantity, ...}: %w`, file, err)
		}
	}
	for _, v := range seeds {
		m, err := parseSeed(v)
		if err != nil {
			return nil, fmt.Errorf("--seed %w", err)
		}
		for sku, n := range m {
			seed[sku] = n
		}
	}
	return seed, nil
}
