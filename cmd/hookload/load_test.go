package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/internal/natstest"
)

// TestLoadEndsWhenTheRunCannotStart: a run that fails to start while the
// bridge's memory is being sampled still returns its error; the sampler is
// stopped, not waited for for ever.
func TestLoadEndsWhenTheRunCannotStart(t *testing.T) {
	b := startBridge(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		var out bytes.Buffer
		done <- run(ctx, []string{"load", "--config", b.cfgPath, "--url", b.url, "--admin", b.adminURL,
			"--conns", "0", "--requests", "10", "--warmup", "0"}, noEnv, &out, &out)
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "--conns must be at least 1") {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(natstest.Patience):
		t.Fatal("load did not return after its run failed to start")
	}
}
