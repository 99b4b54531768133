package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

const usage = `Usage:
  hookload [load] [flags]          drive a bridge (or --target) with signed deliveries, then check the stream
  hookload bench [flags]           the side-by-side benchmark: plain net/http, raw JetStream, hookbridge
  hookload instructions [flags]    hookbridge's instructions per delivery under valgrind's callgrind, binaries compared
  hookload plain-server [flags]    a plain net/http endpoint that reads the body and answers 200
  hookload otlp-receiver [flags]   an OTLP/HTTP trace receiver that counts spans and drops them
  hookload help                    show this help

Run "hookload load -h", "hookload bench -h", "hookload instructions -h" or
"hookload plain-server -h" for the flags.
`

// run is the whole program; main only supplies the process's context,
// arguments, environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "load"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "load":
		err = load(ctx, args, getenv, stdout, stderr)
	case "bench":
		err = bench(ctx, args, getenv, stdout, stderr)
	case "instructions":
		err = instructions(ctx, args, getenv, stdout, stderr)
	case "plain-server":
		err = plainServer(ctx, args, stdout, stderr)
	case "otlp-receiver":
		err = otlpReceiver(ctx, args, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}
