// Command buildimages builds the project's container images from source on
// the local Docker engine, with no registry (see package images):
//
//	go run ./integration/images/cmd/buildimages [NAME...]
//
// With no NAME it builds every image whose package exists: nats, hookbridge
// and caddy, and inventory and shipping once cmd/inventory and cmd/shipping
// exist. An image whose content is unchanged is reused, not rebuilt.
// `make images` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hookbridge/hookbridge/integration/images"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "buildimages:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("buildimages", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: buildimages [NAME...]\n\nNAME is one of: %s (default: all whose package exists)\n",
			strings.Join(images.Names(), ", "))
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := images.New(ctx, func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) })
	if err != nil {
		return err
	}
	defer b.Close()
	names := fs.Args()
	if len(names) == 0 {
		if names, err = b.Available(ctx); err != nil {
			return err
		}
	}
	for _, name := range names {
		img, err := b.Build(ctx, name)
		if err != nil {
			return err
		}
		state := "built"
		if img.Reused {
			state = "reused"
		}
		fmt.Fprintf(stdout, "%-20s %s  %s\n", img.Ref, strings.TrimPrefix(img.ID, "sha256:")[:12], state)
	}
	return nil
}
