package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge"
)

// pruneBodies removes, from the body bucket of each webhook stream of the
// config, the objects whose messages the stream no longer holds (see
// bridge.PruneBodies) and the chunks of uploads cut off before their entry
// was written (bridge.PruneOrphanChunks), and prints how many per bucket.
// It is for streams kept without max age; with one, the buckets' TTL does
// it.
func pruneBodies(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("prune-bodies", flag.ContinueOnError)
	grace := fs.Duration("grace", time.Hour, "keep objects stored this long (beyond the duplicate window) before the stream's first message, and the chunks of an upload without an entry this long after its last chunk: at least twice nats.publish_timeout")
	cfg, url, err := loadForNATS(fs, args, getenv, stderr)
	if err != nil {
		return err
	}
	if *grace < 2*cfg.NATS.PublishTimeout {
		return fmt.Errorf("prune-bodies: --grace %s must be at least twice nats.publish_timeout (%s)", *grace, cfg.NATS.PublishTimeout)
	}
	if url == "" {
		return errors.New("prune-bodies: no NATS server: pass --nats URL or set nats.url (for the embedded server, its nats.embedded.listen address)")
	}
	nc, err := nats.Connect(url, nats.Name("hookbridge-prune-bodies"))
	if err != nil {
		return fmt.Errorf("connecting to nats: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	for _, sc := range cfg.Streams() {
		removed, err := bridge.PruneBodies(ctx, js, sc.StreamConfig, *grace)
		if err != nil {
			fmt.Fprintf(stdout, "%s: %d objects removed\n", bridge.BodyBucket(sc.Name), len(removed))
			return err
		}
		cut, err := bridge.PruneOrphanChunks(ctx, js, sc.Name, *grace)
		fmt.Fprintf(stdout, "%s: %d objects removed, chunks of %d cut-off uploads removed\n", bridge.BodyBucket(sc.Name), len(removed), cut)
		if err != nil {
			return err
		}
	}
	return nil
}
