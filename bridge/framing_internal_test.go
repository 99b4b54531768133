package bridge

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
)

// goRequest is one request as net/http's server reads it from a stream.
type goRequest struct {
	ambiguous bool // its header has Transfer-Encoding with Content-Length, or on HTTP/1.0
	longLine  bool // its header has a line the scanner does not keep whole
	bodyOK    bool // its body was read to the end without error
}

// readAsServer reads data as net/http's server does: requests one after the
// other (after a POST, up to four stray CR/LF are skipped), each body read to
// its end. It stops at the first request it cannot parse. For each request it
// also looks at the raw header bytes, which net/http does not keep (it drops
// Content-Length when the request is chunked).
func readAsServer(data []byte) []goRequest {
	src := bytes.NewReader(data)
	br := bufio.NewReaderSize(src, 64<<10)
	offset := func() int { return len(data) - src.Len() - br.Buffered() }
	var out []goRequest
	lastMethod := ""
	for {
		if lastMethod == "POST" {
			peek, _ := br.Peek(4)
			n := 0
			for n < len(peek) && (peek[n] == '\r' || peek[n] == '\n') {
				n++
			}
			br.Discard(n)
		}
		start := offset()
		req, err := http.ReadRequest(br)
		if err != nil {
			return out
		}
		lastMethod = req.Method
		raw := data[start:offset()]
		r := goRequest{}
		tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw)))
		first, _ := tp.ReadLine()
		hdr, _ := tp.ReadMIMEHeader()
		r.ambiguous = len(hdr["Transfer-Encoding"]) > 0 && (len(hdr["Content-Length"]) > 0 || !req.ProtoAtLeast(1, 1))
		r.longLine = len(first)+2 > maxScanLine
		for _, line := range strings.Split(string(raw), "\n") {
			if len(line)+1 > maxScanLine {
				r.longLine = true
			}
		}
		_, err = io.Copy(io.Discard, req.Body)
		r.bodyOK = err == nil
		out = append(out, r)
		if !r.bodyOK || r.ambiguous {
			// The server answers and then cannot trust the stream.
			return out
		}
	}
}

// checkScanner holds the scanner to net/http on data, fed in pieces of
// split bytes: it refuses the first request whose framing is ambiguous, and
// never a request net/http reads cleanly before that.
func checkScanner(t *testing.T, data []byte, split int) {
	t.Helper()
	reqs := readAsServer(data)
	var s framingScanner
	var bad int64
	for p := data; len(p) > 0 && bad == 0; {
		n := min(max(split, 1), len(p))
		bad = s.feed(p[:n])
		p = p[n:]
	}
	for i, r := range reqs {
		k := int64(i + 1)
		if r.longLine {
			return // past here the scanner may stop trusting the connection
		}
		switch {
		case r.ambiguous && (bad == 0 || bad > k):
			t.Fatalf("request %d has ambiguous framing and is not refused (refused from %d) in %q", k, bad, data)
		case !r.ambiguous && bad != 0 && bad <= k:
			t.Fatalf("request %d is framed plainly and is refused (refused from %d) in %q", k, bad, data)
		}
		if !r.bodyOK {
			return
		}
	}
}

var framingSeeds = []string{
	"POST /webhooks/a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
	"POST /webhooks/a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloPOST /webhooks/a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
	"POST /webhooks/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
	"POST /webhooks/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	"POST /webhooks/a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: CHUNKED\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	"POST /webhooks/a HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	"POST /webhooks/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1 \r\nhello\r\n0\r\nTrailer: x\r\n\r\n\r\nPOST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"GET / HTTP/1.1\nHost: x\nX-Long:\n  folded\n\nPOST / HTTP/1.1\nHost: x\ncontent-length: 1\n\nZ",
	"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n\r\n\r\nPOST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
}

func TestFramingScanner(t *testing.T) {
	for _, seed := range framingSeeds {
		for _, split := range []int{1, 2, 3, 7, 64, len(seed)} {
			checkScanner(t, []byte(seed), split)
		}
	}
	// The cases the bridge refuses, by request number.
	for _, c := range []struct {
		stream string
		bad    int64
	}{
		{framingSeeds[0], 0},
		{framingSeeds[2], 0},
		{framingSeeds[3], 1},
		{framingSeeds[4], 1},
		{framingSeeds[5], 1},
		{framingSeeds[6], 2},
	} {
		var s framingScanner
		if got := s.feed([]byte(c.stream)); got != c.bad {
			t.Errorf("refused from request %d, want %d, in %q", got, c.bad, c.stream)
		}
	}
}

func FuzzFramingScanner(f *testing.F) {
	for _, seed := range framingSeeds {
		f.Add([]byte(seed), 1)
		f.Add([]byte(seed), 4096)
	}
	f.Fuzz(func(t *testing.T, data []byte, split int) {
		checkScanner(t, data, split)
	})
}

// BenchmarkFramingScanner is the scanner's cost for one typical delivery:
// a Shopify-sized header block and a 1 KiB body, as one read.
func BenchmarkFramingScanner(b *testing.B) {
	req := []byte("POST /webhooks/acme-shop HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: Shopify-Captain-Hook\r\n" +
		"Content-Type: application/json\r\nX-Shopify-Topic: orders/create\r\nX-Shopify-Hmac-Sha256: XWmrwMey6OsLMeiZKwP4FppHH3cmAiiJJAweH5Jo4bM=\r\n" +
		"X-Shopify-Shop-Domain: acme.myshopify.com\r\nX-Shopify-Webhook-Id: b54557e4-bdd9-4b37-8a5f-bf7d70bcd043\r\n" +
		"X-Shopify-Event-Id: 98880550-7158-44d4-b7cd-2c97c8a091b5\r\nX-Shopify-Triggered-At: 2026-11-27T12:00:00Z\r\n" +
		"Content-Length: 1024\r\n\r\n" + strings.Repeat("x", 1024))
	var s framingScanner
	b.SetBytes(int64(len(req)))
	b.ReportAllocs()
	for b.Loop() {
		if s.feed(req) != 0 {
			b.Fatal("refused")
		}
	}
}
