// Command hookload drives a webhook endpoint with correctly signed deliveries
// and measures it, and runs hookbridge's side-by-side benchmark.
//
//	hookload [load] [flags]          N keep-alive connections for T seconds or M requests
//	hookload bench [flags]           plain net/http vs raw JetStream vs hookbridge, one run
//	hookload instructions [flags]    hookbridge's instructions per delivery, under callgrind
//	hookload plain-server [flags]    the plain net/http endpoint the bench measures against
//	hookload otlp-receiver [flags]   the trace receiver of the bench's traced variants
//
// Run "hookload help" for the flags of each.
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
		fmt.Fprintln(os.Stderr, "hookload:", err)
		os.Exit(1)
	}
}
