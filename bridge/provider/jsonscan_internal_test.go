package provider

import (
	"encoding/binary"
	"strings"
	"testing"
)

// TestSpecial8 holds the eight-byte test to the byte-by-byte one: every
// byte value at every position, among neighbours that are plain ASCII,
// plain UTF-8 (high bit set) or themselves stopping bytes.
func TestSpecial8(t *testing.T) {
	stops := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 }
	for _, fill := range []byte{'a', 0x7f, 0x80, 0xff, '!', '#', '[', ']', 0x20} {
		for pos := range 8 {
			for c := range 256 {
				var w [8]byte
				for i := range w {
					w[i] = fill
				}
				w[pos] = byte(c)
				want := stops(byte(c)) || stops(fill)
				if got := special8(binary.LittleEndian.Uint64(w[:])); got != want {
					t.Fatalf("special8(% x) = %t, want %t", w, got, want)
				}
			}
		}
	}
}

// TestStringScanStopsWhereItMust: a quote, an escape or a control
// character anywhere in a long string (so inside an eight-byte step or at
// its edge) is seen exactly where it is.
func TestStringScanStopsWhereItMust(t *testing.T) {
	for n := 0; n < 40; n++ {
		for _, tc := range []struct {
			at   string
			ok   bool
			tail string
		}{
			{`\"`, true, `"`}, {`\u00e9`, true, `"`}, {"\x01", false, `"`}, {`\x`, false, `"`},
			{"\xe2\x82\xac", true, `"`}, {`"`, true, ""},
		} {
			doc := `"` + strings.Repeat("p", n) + tc.at + strings.Repeat("q", 11) + tc.tail
			s := jsonScanner{b: []byte(doc)}
			_, ok := s.str()
			end := len(doc)
			if tc.tail == "" {
				end = 1 + n + 1
			}
			if ok != tc.ok || ok && s.i != end {
				t.Fatalf("str(%q) = %t at %d, want %t at %d", doc, ok, s.i, tc.ok, end)
			}
		}
	}
}
