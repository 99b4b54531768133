package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/hookbridge/hookbridge/cmd/internal/healthcheck"
	"github.com/hookbridge/hookbridge/cmd/internal/settings"
	"github.com/hookbridge/hookbridge/internal/config"
)

const usage = `Usage:
  hookbridge [serve] [--config FILE]   run the bridge (default command)
  hookbridge send [flags] SOURCE       sign and post a sample delivery to a running bridge
  hookbridge normalise [--nats URL]    run the commerce normaliser alone, against a NATS server
  hookbridge prune-bodies [--nats URL] [--grace 1h]
                                       remove stored bodies whose messages are gone,
                                       and the chunks of uploads cut off by an outage,
                                       from each webhook stream's bucket and from the
                                       normaliser's COMMERCE_BODIES (for streams without
                                       max age)
  hookbridge healthcheck [--url URL]   exit 0 only if the bridge's /readyz answers 200
  hookbridge help                      show this help

The config file is --config FILE, else $HOOKBRIDGE_CONFIG, else ./hookbridge.yaml.
serve sets the Go runtime's soft memory limit to http.max_body_bytes_in_flight
plus 64 MiB, unless GOMEMLIMIT is set (then GOMEMLIMIT is the limit), and with
an external nats.url the garbage collector's target to 400%, unless GOGC is set.
Run "hookbridge send -h" for the send flags.
`

// run is the whole program; main only supplies the process's context,
// arguments, environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, getenv, stdout, stderr)
	case "send":
		err = send(ctx, args, getenv, stdout, stderr)
	case "normalise":
		err = normalise(ctx, args, getenv, stdout, stderr)
	case "prune-bodies":
		err = pruneBodies(ctx, args, getenv, stdout, stderr)
	case "healthcheck":
		// For container HEALTHCHECKs: the image has no shell or curl.
		admin := settings.DefaultAdminListen
		if cfg, cfgErr := settings.Load(config.Path("", getenv), getenv); cfgErr == nil {
			admin = cfg.Admin.Listen
		}
		err = healthcheck.Run(ctx, args, healthcheck.LocalURL(admin, "/readyz"), stdout, stderr)
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
