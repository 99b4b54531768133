package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/internal/logtest"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// TestDiskFullRecovers: another file fills the disk under the embedded
// server while a platform-like sender delivers. Deliveries get 503 and
// /readyz says the disk is full; once the file is deleted the bridge stores
// again with no manual step, and every delivery answered 200 (before,
// during or after) is in the stream exactly once.
func TestDiskFullRecovers(t *testing.T) {
	disk := natstest.SmallDisk(t, "8m")
	in := newInstanceIn(t, filepath.Join(disk, "js"), "shutdown_grace: 10s")
	var logs logtest.Buffer
	cancel, wait := in.start(t, &logs)
	defer func() { cancel(); _ = wait() }()
	// A recovery takes two storage checks a second apart, a JetStream
	// restart, and a sender's retry bounded by the publish timeout (2s);
	// the rest is headroom for a busy machine.
	const recovery = 30 * time.Second

	s := newSender(t, in.hook)
	go s.run()
	defer s.stop()
	s.waitStored(t, 20, recovery)

	filler := natstest.FillDisk(t, disk)
	s.wait503(t, recovery)
	var reason string
	natstest.Eventually(t, recovery, "/readyz 503 naming the full disk", func() bool {
		reason = get(t, in.admin, "/readyz")
		return strings.Contains(reason, "no space left on device") && status(in.admin, "/readyz") == 503
	})
	t.Logf("/readyz while the disk is full: %s", reason)

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, recovery, "/readyz 200 once space is freed", func() bool {
		return status(in.admin, "/readyz") == 200
	})
	s.waitStored(t, s.storedCount()+20, recovery)
	s.stop()

	// Every delivery answered 200 is in the stream, exactly once.
	nc, err := nats.Connect("nats://" + in.nats)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	copies := natstest.CountBy(t, js, "WEBHOOKS", "ce-id")
	for _, id := range s.storedIDs() {
		if copies[id] != 1 {
			t.Errorf("delivery %s was answered 200 and is stored %d times", id, copies[id])
		}
	}
	if t.Failed() {
		t.Logf("bridge log:\n%s", logs.String())
	}
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("run: %v", err)
	}
}

// sender delivers as a platform does: one delivery at a time, the same
// one again (same id) after any answer but 200.
type sender struct {
	t    *testing.T
	url  string
	p    *provider.Provider
	quit chan struct{}
	done chan struct{}
	once sync.Once

	mu       sync.Mutex
	stored   []string // ids answered 200, in order
	refused  int      // 503s
	progress chan struct{}
}

func newSender(t *testing.T, hook string) *sender {
	p, err := provider.New(provider.Config{Kind: "shopify", Secrets: []string{"dev-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	return &sender{t: t, url: "http://" + hook + "/webhooks/shop", p: p,
		quit: make(chan struct{}), done: make(chan struct{}), progress: make(chan struct{}, 1)}
}

func (s *sender) run() {
	defer close(s.done)
	client := &http.Client{Timeout: 20 * time.Second}
	for n := 1; ; {
		select {
		case <-s.quit:
			return
		default:
		}
		id := fmt.Sprintf("disk-%d", n)
		body, hdr, err := sample.Delivery("shopify", sample.Locators{}, "", id, time.Now())
		if err == nil {
			err = s.p.Sign(body, hdr, time.Now())
		}
		if err != nil {
			s.t.Error(err)
			return
		}
		req, _ := http.NewRequest(http.MethodPost, s.url, bytes.NewReader(body))
		req.Header = hdr
		code := 0
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			code = resp.StatusCode
		}
		s.mu.Lock()
		switch code {
		case 200:
			s.stored = append(s.stored, id)
			n++
		case 503:
			s.refused++
		}
		s.mu.Unlock()
		select {
		case s.progress <- struct{}{}:
		default:
		}
		if code != 200 {
			// A platform backs off; this one only briefly.
			select {
			case <-s.quit:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

func (s *sender) stop() {
	s.once.Do(func() { close(s.quit) })
	<-s.done
}

func (s *sender) storedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.stored)
}

func (s *sender) storedIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.stored...)
}

func (s *sender) waitStored(t *testing.T, n int, d time.Duration) {
	t.Helper()
	natstest.Eventually(t, d, fmt.Sprintf("%d deliveries answered 200", n), func() bool {
		return s.storedCount() >= n
	})
}

func (s *sender) wait503(t *testing.T, d time.Duration) {
	t.Helper()
	s.mu.Lock()
	before := s.refused
	s.mu.Unlock()
	natstest.Eventually(t, d, "a delivery answered 503", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.refused > before
	})
}
