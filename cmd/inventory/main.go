// Command inventory is hookbridge's sample inventory consumer: it reserves
// stock when orders are created and releases it when they are cancelled or
// refunded, from the canonical order events on the COMMERCE stream (any
// platform the normaliser maps), keeps the stock in the JetStream KV bucket
// "inventory", publishes backorders on the INVENTORY_EVENTS stream, and
// serves the stock over HTTP.
//
//	inventory [--nats URL] [--stock FILE] [--seed SKU=QTY,...] [--listen ADDR] [--concurrency N]
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
		fmt.Fprintln(os.Stderr, "inventory:", err)
		os.Exit(1)
	}
}
