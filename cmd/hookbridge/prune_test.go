package main

import (
	"bytes"
	"context"
	"testing"
)

// prune-bodies runs against the serving bridge's broker and reports, per
// body bucket, the objects and the cut-off uploads' chunks it removed.
func TestPruneBodiesReportsPerBucket(t *testing.T) {
	in := newInstance(t)
	in.serveUntilEnd(t)
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"prune-bodies", "--config", in.cfgPath, "--nats", "nats://" + in.nats, "--grace", "20s"}, noEnv, &out, &errs); err != nil {
		t.Fatalf("prune-bodies: %v\n%s", err, errs.String())
	}
	if want := "WEBHOOKS_BODIES: 0 objects removed, chunks of 0 cut-off uploads removed\n"; out.String() != want {
		t.Errorf("prune-bodies printed %q, want %q", out.String(), want)
	}
}
