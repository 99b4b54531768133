package bridge_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge"
)

// rawRequest writes a signed delivery of source as one HTTP/1.x request with
// the given framing headers; chunked bodies are sent as one chunk.
func (h *harness) rawRequest(source, id, proto string, framing []string, chunked bool) string {
	h.t.Helper()
	body, hdr := h.delivery(source, "", id)
	var b strings.Builder
	fmt.Fprintf(&b, "POST /webhooks/%s %s\r\nHost: bridge\r\n", source, proto)
	for k, vs := range hdr {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	for _, f := range framing {
		b.WriteString(f + "\r\n")
	}
	b.WriteString("\r\n")
	if chunked {
		fmt.Fprintf(&b, "%x\r\n%s\r\n0\r\n\r\n", len(body), body)
	} else {
		b.Write(body)
	}
	return b.String()
}

// exchange sends stream on a new connection and reads up to answers
// answers (fewer when the server closes). With keepAlive it then checks that
// the connection still serves a request; without, that the server closed it.
func (h *harness) exchange(stream string, answers int, next string) (codes []int, open bool) {
	h.t.Helper()
	c, err := net.Dial("tcp", h.srv.Listener.Addr().String())
	if err != nil {
		h.t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, stream); err != nil {
		h.t.Fatal(err)
	}
	br := bufio.NewReader(c)
	read := func() (int, bool) {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return 0, false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, true
	}
	for range answers {
		code, ok := read()
		if !ok {
			return codes, false
		}
		codes = append(codes, code)
	}
	// Still open: it serves one more request. Closed: EOF.
	if _, err := io.WriteString(c, next); err != nil {
		return codes, false
	}
	code, ok := read()
	return codes, ok && code == http.StatusOK
}

// A request announcing its length both by Content-Length and by
// Transfer-Encoding (or with Transfer-Encoding on HTTP/1.0) is request
// smuggling behind a proxy that frames by the other: it is refused with 400
// and the connection is closed, so nothing pipelined behind it is read.
func TestAmbiguousFramingIsRefused(t *testing.T) {
	h := newHarness(t)
	plain := func(id string) string {
		body, _ := h.delivery("shop", "", id)
		return h.rawRequest("shop", id, "HTTP/1.1", []string{fmt.Sprintf("Content-Length: %d", len(body))}, false)
	}
	chunked := func(id string, framing ...string) string {
		return h.rawRequest("shop", id, "HTTP/1.1", append([]string{"Transfer-Encoding: chunked"}, framing...), true)
	}
	cases := []struct {
		name   string
		stream string
		codes  []int
		open   bool
		stored uint64 // with the request sent after them when the connection stays open
	}{
		{"Content-Length then a pipelined request", plain("f1") + plain("f2"), []int{200, 200}, true, 3},
		{"chunked alone", chunked("f3"), []int{200}, true, 2},
		{"chunked with Content-Length", chunked("f4", "Content-Length: 4") + plain("f5"), []int{400}, false, 0},
		{"Content-Length before chunked, other case", h.rawRequest("shop", "f6", "HTTP/1.1",
			[]string{"content-length: 0", "TRANSFER-ENCODING: Chunked"}, true), []int{400}, false, 0},
		{"chunked on HTTP/1.0 keep-alive", h.rawRequest("shop", "f7", "HTTP/1.0",
			[]string{"Connection: keep-alive", "Transfer-Encoding: chunked"}, true), []int{400}, false, 0},
		{"plain request, then a smuggled one", plain("f8") + chunked("f9", "Content-Length: 4"), []int{200, 400}, false, 1},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			before := h.stored()
			codes, open := h.exchange(c.stream, len(c.codes), plain(fmt.Sprintf("next-%d", i)))
			if fmt.Sprint(codes) != fmt.Sprint(c.codes) {
				t.Errorf("answers %v, want %v", codes, c.codes)
			}
			if open != c.open {
				t.Errorf("connection still serving = %v, want %v", open, c.open)
			}
			if got := h.stored() - before; got != c.stored {
				t.Errorf("%d messages stored, want %d", got, c.stored)
			}
		})
	}
	h.t = t
	if !strings.Contains(h.logs.String(), bridge.ErrAmbiguousFraming.Error()) {
		t.Errorf("the refusal is not logged")
	}
}
