package bridge_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"testing"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// gauge is the current value of a gauge the bridge exports.
func (h *harness) gauge(name string) float64 {
	h.t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	h.t.Fatalf("no gauge %s", name)
	return 0
}

// holdConn opens a connection that sends a delivery's request line and
// headers announcing a body of announce bytes, then only sent, and leaves it
// open: a slow sender, or one that lies about its body.
func (h *harness) holdConn(source string, hdr http.Header, announce int, sent []byte) net.Conn {
	h.t.Helper()
	c, err := net.Dial("tcp", h.srv.Listener.Addr().String())
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	w := bufio.NewWriter(c)
	fmt.Fprintf(w, "POST /webhooks/%s HTTP/1.1\r\nHost: bridge\r\nContent-Length: %d\r\n", source, announce)
	for k, vs := range hdr {
		for _, v := range vs {
			fmt.Fprintf(w, "%s: %s\r\n", k, v)
		}
	}
	w.WriteString("\r\n")
	w.Write(sent)
	if err := w.Flush(); err != nil {
		h.t.Fatal(err)
	}
	return c
}

// finish sends the rest of a delivery held by holdConn and returns the
// status of its answer.
func (h *harness) finish(c net.Conn, rest []byte) int {
	h.t.Helper()
	if _, err := c.Write(rest); err != nil {
		h.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}

// A sender that announces the largest body and then sends one byte must not
// make the bridge hold the announced size: before any signature check, that
// is memory anybody who knows a source name can take.
func TestBodyMemoryFollowsBytesReceived(t *testing.T) {
	const (
		conns    = 200
		announce = 1 << 20
	)
	h := newHarness(t, func(c *bridge.Config) {
		c.MaxBodyBytes = announce
		c.MaxBodyBytesInFlight = 1 << 40 // only the per-request memory is under test here
	})
	_, hdr := h.delivery("shop", "", "trickle")
	before := heapInUse()
	for range conns {
		h.holdConn("shop", hdr, announce, []byte("{"))
	}
	natstest.Eventually(t, natstest.Patience, "every connection's delivery in flight", func() bool {
		return h.gauge("hookbridge_inflight_deliveries") == conns
	})
	grown := heapInUse() - before
	// Each held request costs the HTTP server its connection buffers and
	// goroutine (tens of KiB with the client side in this process), never
	// the announced MiB.
	if per := grown / conns; per > 64<<10 {
		t.Errorf("heap grew by %d KiB per request announcing %d KiB and sending 1 byte; want under 64 KiB", per>>10, announce>>10)
	}
	if held := h.gauge("hookbridge_body_bytes_in_flight"); held > conns*2048 {
		t.Errorf("body bytes in flight = %.0f for %d requests that sent 1 byte each", held, conns)
	}
}

// Past http.max_body_bytes_in_flight a new delivery gets a prompt 503 with
// Retry-After, and once the bytes are released deliveries get 200 again.
func TestBodyBytesInFlightAreBounded(t *testing.T) {
	const limit = 64 << 10
	h := newHarness(t, func(c *bridge.Config) {
		c.MaxBodyBytes = limit
		c.MaxBodyBytesInFlight = limit
	})
	// One sender holds the whole budget: it announces a body of the limit
	// and sends all of it but the last byte.
	big, bigHdr := h.delivery("shop", "", "big")
	big = sample.Pad(big, limit)
	if err := h.providers["shop"].Sign(big, bigHdr, testNow); err != nil {
		t.Fatal(err)
	}
	c := h.holdConn("shop", bigHdr, len(big), big[:len(big)-1])
	natstest.Eventually(t, natstest.Patience, "the large body held", func() bool {
		return h.gauge("hookbridge_body_bytes_in_flight") == limit
	})

	body, hdr := h.delivery("shop", "", "small")
	a := h.post(http.MethodPost, "shop", body, hdr)
	if a.code != http.StatusServiceUnavailable || a.body["error"] != bridge.ErrOverloaded.Error() {
		t.Fatalf("delivery past the budget: %d %s, want 503 %q", a.code, a.raw, bridge.ErrOverloaded)
	}
	if ra, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || ra <= 0 {
		t.Errorf("503 without a Retry-After (%q)", a.header.Get("Retry-After"))
	}
	if n := h.stored(); n != 0 {
		t.Fatalf("%d messages stored", n)
	}

	// The held delivery completes; its bytes are released.
	if code := h.finish(c, big[len(big)-1:]); code != http.StatusOK {
		t.Fatalf("the large delivery: %d", code)
	}
	natstest.Eventually(t, natstest.Patience, "the budget released", func() bool {
		return h.gauge("hookbridge_body_bytes_in_flight") == 0
	})
	if a := h.post(http.MethodPost, "shop", body, hdr); a.code != http.StatusOK {
		t.Fatalf("delivery after the budget was released: %d %s", a.code, a.raw)
	}
	if n := h.stored(); n != 2 {
		t.Errorf("%d messages stored, want 2", n)
	}
}

// A body whose length is announced is taken into one buffer of that length
// once half of it has arrived, not before: up to then the bridge holds at
// most twice what the sender sent.
func TestAnnouncedBodyTakesItsLengthAtHalf(t *testing.T) {
	const announce = 512 << 10 // a message still: the harness stores no objects
	h := newHarness(t, func(c *bridge.Config) {
		c.MaxBodyBytes = announce
		c.MaxBodyBytesInFlight = 4 * announce
	})
	body, hdr := h.delivery("shop", "", "half")
	body = sample.Pad(body, announce)
	if err := h.providers["shop"].Sign(body, hdr, testNow); err != nil {
		t.Fatal(err)
	}
	c := h.holdConn("shop", hdr, len(body), body[:announce/2-1])
	natstest.Eventually(t, natstest.Patience, "the first half but a byte read", func() bool {
		return h.gauge("hookbridge_body_bytes_in_flight") == announce/2
	})
	if _, err := c.Write(body[announce/2-1 : announce/2]); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, natstest.Patience, "the announced length held at half", func() bool {
		return h.gauge("hookbridge_body_bytes_in_flight") == announce
	})
	if code := h.finish(c, body[announce/2:]); code != http.StatusOK {
		t.Fatalf("the delivery: %d", code)
	}
	if n := h.stored(); n != 1 {
		t.Errorf("%d messages stored, want 1", n)
	}
}
