package natsserver_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/logtest"
	"github.com/hookbridge/hookbridge/internal/natsserver"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// TestRecoveryAfterFullDisk: a full disk leaves the embedded server unable
// to store, first with a stream write error, then (restarted on the full
// disk) with a storage limit sized from no free space. Neither ends by
// itself; with Recovery running, both end once the space is freed, and
// every acknowledged message is in the stream exactly once.
func TestRecoveryAfterFullDisk(t *testing.T) {
	disk := natstest.SmallDisk(t, "8m")
	cfg := natsserver.Config{Listen: "127.0.0.1:0", StoreDir: filepath.Join(disk, "js")}
	const every = 50 * time.Millisecond
	// Generous: the machine is shared; a recovery takes one check plus a
	// JetStream restart.
	const deadline = 20 * time.Second

	acked := map[string]bool{}
	p := startPublisher(t, cfg, every, acked)
	for range 20 {
		if err := p.publish(); err != nil {
			t.Fatalf("before the disk is full: %v", err)
		}
	}

	// A write error, while running.
	filler := natstest.FillDisk(t, disk)
	natstest.Eventually(t, deadline, "a publish to fail on the full disk", func() bool {
		return p.publish() != nil
	})
	err := natsserver.StoreError(p.ns)
	if err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("StoreError on a full disk = %v, want the write error", err)
	}
	// While the disk stays full nothing is restarted (the probe fails) and
	// the failure stays.
	natstest.Eventually(t, deadline, "the recovery to find the store dir full", func() bool {
		return strings.Contains(p.logs.String(), "store dir not writable yet")
	})
	if natsserver.StoreError(p.ns) == nil || strings.Contains(p.logs.String(), "restarting embedded JetStream") {
		t.Fatalf("JetStream was restarted on a full disk:\n%s", p.logs.String())
	}
	p.recoversOnceFreed(filler, deadline)

	// A start on a full disk sizes the storage limit from no free space.
	filler = natstest.FillDisk(t, disk)
	p.stop()
	p = startPublisher(t, cfg, every, acked)
	natstest.Eventually(t, deadline, "a publish to be refused after a start on a full disk", func() bool {
		return p.publish() != nil
	})
	if err := natsserver.StoreError(p.ns); err == nil || !strings.Contains(err.Error(), "storage limit reached") {
		t.Fatalf("StoreError after a start on a full disk = %v, want the storage limit", err)
	}
	p.recoversOnceFreed(filler, deadline)
	p.checkStored()
}

// recoversOnceFreed removes filler and waits for the server to store
// again.
func (p *publisher) recoversOnceFreed(filler string, deadline time.Duration) {
	p.t.Helper()
	if err := os.Remove(filler); err != nil {
		p.t.Fatal(err)
	}
	natstest.Eventually(p.t, deadline, "storing again once space is freed", func() bool {
		return natsserver.StoreError(p.ns) == nil && p.publish() == nil
	})
	for range 20 {
		if err := p.publish(); err != nil {
			p.t.Fatalf("after recovery: %v", err)
		}
	}
}

// publisher publishes numbered messages to an embedded server with
// Recovery running and remembers which were acknowledged.
type publisher struct {
	t    *testing.T
	ns   *server.Server
	js   jetstream.JetStream
	logs *logtest.Buffer
	stop func()
	// acked is shared by the publishers of one store: every id any of
	// them got a PubAck for.
	acked map[string]bool
}

func startPublisher(t *testing.T, cfg natsserver.Config, every time.Duration, acked map[string]bool) *publisher {
	t.Helper()
	p := &publisher{t: t, logs: &logtest.Buffer{}, acked: acked}
	ns, err := natsserver.Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(ns.ClientURL(), nats.InProcessServer(ns))
	if err != nil {
		t.Fatal(err)
	}
	p.ns = ns
	p.js, _ = jetstream.New(nc)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		log := slog.New(slog.NewTextHandler(p.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		natsserver.Recovery{Server: ns, Config: cfg, Log: log, Every: every}.Run(ctx)
	}()
	p.stop = func() {
		cancel()
		<-done
		nc.Close()
		ns.Shutdown()
		ns.WaitForShutdown()
	}
	t.Cleanup(p.stop)
	// Looked up first: updating it would write to a full disk.
	_, err = p.js.Stream(ctx, "W")
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = p.js.CreateStream(ctx, jetstream.StreamConfig{Name: "W", Subjects: []string{"w.>"}, Storage: jetstream.FileStorage})
	}
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *publisher) publish() error {
	id := fmt.Sprintf("m-%d", len(p.acked)+1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := p.js.Publish(ctx, "w.x", make([]byte, 2048), jetstream.WithMsgID(id))
	if err == nil {
		p.acked[id] = true
	}
	return err
}

// checkStored reads the whole stream back: every message acknowledged, by
// this server or an earlier one on the same store, is there exactly once.
func (p *publisher) checkStored() {
	p.t.Helper()
	copies := natstest.CountBy(p.t, p.js, "W", jetstream.MsgIDHeader)
	for id := range p.acked {
		if copies[id] != 1 {
			p.t.Errorf("acknowledged %s is stored %d times", id, copies[id])
		}
	}
}
