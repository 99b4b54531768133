package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/cmd/internal/service"
	"github.com/hookbridge/hookbridge/consumers/inventory"
)

// run is the whole program; main only supplies the process's context,
// arguments, environment and streams. It returns nil after ctx is cancelled
// and the handlers in flight have finished. What every sample shares lives
// in service.Main; here is only inventory's own: its routes, the initial
// stock, and the service itself.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var (
		stockFile string
		seeds     seedFlag
		seed      map[string]int
	)
	return service.Main(ctx, args, getenv, stdout, stderr, service.Sample{
		Name:          "inventory",
		DefaultListen: "127.0.0.1:9191",
		ReadPaths:     []string{"/stock", "/stock/"},
		ReadHelp:      "GET /stock, /stock/{sku}",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&stockFile, "stock", "", "JSON `FILE` of initial stock, {\"SKU\": quantity, ...}")
			fs.Var(&seeds, "seed", "initial stock as `SKU=QTY`[,SKU=QTY...]; repeatable; wins over --stock.\nSeeding sets only SKUs the bucket does not hold yet")
		},
		Check: func() (err error) {
			seed, err = readSeed(stockFile, seeds)
			return err
		},
		Start: func(ctx context.Context, js jetstream.JetStream, log *slog.Logger) (service.Domain, error) {
			svc, err := inventory.New(ctx, js, inventory.Config{Logger: log})
			if err == nil {
				err = svc.Seed(ctx, seed)
			}
			if err != nil {
				return service.Domain{}, err
			}
			return service.Domain{Read: svc.Handler(), Consumer: inventory.ConsumerConfig(), Handle: svc.Handle}, nil
		},
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
