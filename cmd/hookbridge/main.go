// Command hookbridge receives webhooks from e-commerce platforms, verifies
// them, and publishes them onto NATS JetStream as CloudEvents.
//
//	hookbridge [serve] [--config FILE]    run the bridge (the default)
//	hookbridge send [flags] SOURCE        sign and post a sample delivery
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "hookbridge:", err)
		os.Exit(1)
	}
}
