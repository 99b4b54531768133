package bridge

import (
	"bytes"
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"sync/atomic"
)

// A request that carries both Content-Length and Transfer-Encoding is framed
// one way by net/http (chunked, dropping the Content-Length before any
// handler can see it) and possibly the other way by a proxy in front of the
// bridge: that difference is request smuggling. RFC 9112 §6.3 says such a
// message ought to be handled as an error, and §6.1 that an HTTP/1.0 message
// with Transfer-Encoding has faulty framing. net/http accepts both, so the
// bridge watches the bytes of each connection itself: GuardFraming wraps the
// listener with a scanner that follows the request framing exactly as
// net/http does and marks the first request whose header is ambiguous; the
// handler refuses that request with 400 and closes the connection.

// ErrAmbiguousFraming: the request's length is announced two ways (Content-Length
// and Transfer-Encoding, or Transfer-Encoding on HTTP/1.0).
var ErrAmbiguousFraming = errors.New("request framed by both Content-Length and Transfer-Encoding")

// GuardFraming wraps ln so that the handler returned by NewServer, served by
// srv on the returned listener, refuses requests with ambiguous framing. It
// sets srv.ConnContext (keeping one already set) and turns off net/http's
// built-in answer to "OPTIONS *", so that every request reaches the handler
// in order. Call it once, before srv.Serve.
func GuardFraming(srv *http.Server, ln net.Listener) net.Listener {
	prev := srv.ConnContext
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if prev != nil {
			ctx = prev(ctx, c)
		}
		if fc, ok := c.(*framingConn); ok {
			ctx = context.WithValue(ctx, framingKey{}, fc)
		}
		return ctx
	}
	srv.DisableGeneralOptionsHandler = true
	return framingListener{ln}
}

type framingKey struct{}

type framingListener struct{ net.Listener }

func (l framingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &framingConn{Conn: c}, nil
}

// framingConn scans what it reads. Reads are serialised by net/http (one
// goroutine at a time, under its own lock); the handler reads only the
// atomics.
type framingConn struct {
	net.Conn
	scan framingScanner
	// badAt is the 1-based number of the first request not to be served
	// (its framing is ambiguous, or the scanner lost track); 0 while none.
	badAt atomic.Int64
	// served counts the requests the handler has seen.
	served atomic.Int64
}

func (c *framingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.badAt.Load() == 0 {
		if bad := c.scan.feed(p[:n]); bad != 0 {
			c.badAt.Store(bad)
		}
	}
	return n, err
}

// CloseWrite half-closes the connection when the wrapped one can: net/http
// uses it to end an early answer cleanly (a FIN before the rest of an unread
// body, instead of a reset that could wipe the answer).
func (c *framingConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// refuseNext counts one request and reports whether it must be refused.
func refuseNext(ctx context.Context) bool {
	c, _ := ctx.Value(framingKey{}).(*framingConn)
	if c == nil {
		return false
	}
	k := c.served.Add(1)
	bad := c.badAt.Load()
	return bad != 0 && k >= bad
}

// framingScanner follows HTTP/1.1 request framing over a byte stream as
// net/http reads it: a header block, then a body of Content-Length bytes or
// a chunked body, then the next header block. FuzzFramingScanner holds it to
// net/http's own reading of the same stream.
type framingScanner struct {
	state  scanState
	line   []byte // the current line, up to maxScanLine bytes
	long   bool   // the current line was longer than maxScanLine
	blocks int64  // header blocks completed

	// The current header block.
	started   bool // past the request line
	http10    bool // the request line's version is below 1.1
	clCount   int
	cl        []byte // Content-Length value, trimmed
	teCount   int
	teChunked bool // the (last) Transfer-Encoding value is "chunked"
	// The framing field being read (its value may go on in folded lines):
	// 0 another field, 1 Content-Length, 2 Transfer-Encoding.
	field int
	value []byte // its value so far, folded lines joined by a space

	remain int64 // body or chunk bytes still to skip
	crlf   int   // bytes of a chunk's closing CRLF seen
}

type scanState uint8

const (
	scanHeader    scanState = iota // in a header block (request line or fields)
	scanBody                       // skipping remain bytes of a Content-Length body
	scanChunkSize                  // in a chunk-size line
	scanChunkData                  // skipping remain bytes of chunk data
	scanChunkEnd                   // expecting the CRLF after chunk data
	scanTrailer                    // in the trailer section after the last chunk
	scanLost                       // framing not followed any further
)

// maxScanLine bounds what is kept of a line: net/http's limit for a chunk
// line, and far more than a webhook's request line or a framing field needs.
// Past it the scanner stops trusting the connection: if such a line is a
// request line or a framing field, that request is refused, else the next.
const maxScanLine = 4096

// feed scans p and returns the number of the first request to refuse, or 0.
func (s *framingScanner) feed(p []byte) int64 {
	for len(p) > 0 {
		switch s.state {
		case scanBody, scanChunkData:
			n := min(int64(len(p)), s.remain)
			s.remain -= n
			p = p[n:]
			if s.remain == 0 {
				if s.state == scanBody {
					s.state = scanHeader
				} else {
					s.state, s.crlf = scanChunkEnd, 0
				}
			}
		case scanChunkEnd:
			want := "\r\n"[s.crlf]
			if p[0] != want {
				return s.lose()
			}
			p = p[1:]
			if s.crlf++; s.crlf == 2 {
				s.state = scanChunkSize
			}
		case scanLost:
			return 0
		default: // line states
			i := bytes.IndexByte(p, '\n')
			chunk := p
			if i >= 0 {
				chunk = p[:i+1]
			}
			p = p[len(chunk):]
			if i >= 0 && len(s.line) == 0 && !s.long && len(chunk) <= maxScanLine {
				// The whole line is in this read: no copy.
				if bad := s.endLine(chunk, false); bad != 0 {
					return bad
				}
				continue
			}
			if room := maxScanLine - len(s.line); len(chunk) > room {
				s.line = append(s.line, chunk[:room]...)
				s.long = true
			} else {
				s.line = append(s.line, chunk...)
			}
			if i < 0 {
				continue
			}
			line, long := s.line, s.long
			s.line, s.long = s.line[:0], false
			if bad := s.endLine(line, long); bad != 0 {
				return bad
			}
		}
	}
	return 0
}

// lose stops following the connection: the next request is refused.
func (s *framingScanner) lose() int64 {
	s.state = scanLost
	return s.blocks + 1
}

// endLine handles one complete line (with its "\n").
func (s *framingScanner) endLine(line []byte, long bool) int64 {
	switch s.state {
	case scanChunkSize:
		// As net/http reads it: CRLF and no other CR, trailing whitespace
		// trimmed, then the extension cut off, then at most 16 hex digits.
		if long || len(line) < 2 || bytes.IndexByte(line, '\r') != len(line)-2 {
			return s.lose()
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line[:len(line)-2], " \t"), []byte(";"))
		n, ok := parseUint(size, 16)
		if !ok || len(size) > 16 {
			return s.lose()
		}
		if n == 0 {
			s.state = scanTrailer
			return 0
		}
		s.state, s.remain = scanChunkData, int64(n)
		return 0
	case scanTrailer:
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			s.state = scanHeader
		}
		return 0
	}

	text := bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	if !s.started {
		if len(text) == 0 && !long {
			return 0 // empty lines before a request line are skipped
		}
		if long {
			return s.lose() // its version is out of sight
		}
		s.started = true
		s.http10 = below11(text)
		return 0
	}
	if len(text) == 0 && !long {
		if bad := s.endField(); bad != 0 {
			return bad
		}
		return s.endBlock()
	}
	if text[0] == ' ' || text[0] == '\t' {
		// A continuation of the previous field (obsolete line folding):
		// net/http joins it to the value with one space.
		if s.field != 0 {
			if long {
				return s.lose()
			}
			s.value = append(s.value, ' ')
			s.value = append(s.value, bytes.Trim(text, " \t\r\n")...)
		}
		return 0
	}
	if bad := s.endField(); bad != 0 {
		return bad
	}
	colon := bytes.IndexByte(text, ':')
	if colon < 0 {
		return 0 // net/http refuses the request and closes the connection
	}
	name := text[:colon]
	switch {
	case asciiEqualFold(name, "content-length"):
		s.field = 1
	case asciiEqualFold(name, "transfer-encoding"):
		s.field = 2
	default:
		return 0
	}
	if long {
		return s.lose()
	}
	s.value = append(s.value[:0], text[colon+1:]...)
	return 0
}

// endField takes the value of the framing field just read, if any.
func (s *framingScanner) endField() int64 {
	field := s.field
	s.field = 0
	value := bytes.Trim(s.value, " \t\r\n")
	switch field {
	case 1:
		if s.clCount > 0 && !bytes.Equal(value, s.cl) {
			return s.lose() // net/http refuses differing lengths
		}
		s.clCount++
		s.cl = append(s.cl[:0], value...)
	case 2:
		s.teCount++
		s.teChunked = asciiEqualFold(value, "chunked")
	}
	return 0
}

// endBlock decides the framing of the request whose header just ended.
func (s *framingScanner) endBlock() int64 {
	s.blocks++
	te, cl, teChunked := s.teCount, s.clCount, s.teChunked
	s.started, s.clCount, s.teCount, s.teChunked = false, 0, 0, false
	if te > 0 && (cl > 0 || s.http10) {
		s.state = scanLost
		return s.blocks
	}
	if te > 0 {
		if te != 1 || !teChunked {
			return s.lose() // net/http refuses it and closes the connection
		}
		s.state = scanChunkSize
		return 0
	}
	if cl > 0 {
		n, ok := parseUint(s.cl, 10)
		if !ok || n > math.MaxInt64 {
			return s.lose()
		}
		if n > 0 {
			s.state, s.remain = scanBody, int64(n)
			return 0
		}
	}
	s.state = scanHeader
	return 0
}

// parseUint reads digits in base 10 or 16 as strconv.ParseUint does (no sign,
// no prefix, no underscores), false when empty, invalid or above 2^64-1.
func parseUint(b []byte, base uint64) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		var d uint64
		switch {
		case '0' <= c && c <= '9':
			d = uint64(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = uint64(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false
		}
		if n > (math.MaxUint64-d)/base {
			return 0, false
		}
		n = n*base + d
	}
	return n, true
}

// below11 reports whether a request line's version is below HTTP/1.1, as
// net/http's ParseHTTPVersion reads it ("HTTP/1.0", "HTTP/0.9").
func below11(requestLine []byte) bool {
	i := bytes.LastIndexByte(requestLine, ' ')
	v := requestLine[i+1:]
	if len(v) != len("HTTP/1.1") || !bytes.HasPrefix(v, []byte("HTTP/")) || v[6] != '.' {
		return false // net/http refuses the request line
	}
	major, minor := v[5], v[7]
	return major < '1' || (major == '1' && minor < '1')
}

func asciiEqualFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
