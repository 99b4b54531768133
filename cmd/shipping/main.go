// Command shipping is hookbridge's sample shipping consumer: it turns the
// canonical paid, cancelled and fulfilled orders of the COMMERCE stream
// (the normaliser's, from every platform) into shipments in the JetStream
// KV bucket "shipments", publishes shipping events on the SHIPPING stream,
// and serves the shipments over HTTP.
//
//	shipping [--nats URL] [--listen ADDR] [--concurrency N]
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
		fmt.Fprintln(os.Stderr, "shipping:", err)
		os.Exit(1)
	}
}
