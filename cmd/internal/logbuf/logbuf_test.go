package logbuf

import (
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/internal/logtest"
)

func TestWriter(t *testing.T) {
	var out logtest.Buffer
	w := New(&out, 1<<10, 20*time.Millisecond)
	_, _ = w.Write([]byte("one\n"))
	// Buffered, then flushed by the ticker.
	deadline := time.Now().Add(5 * time.Second)
	for out.String() != "one\n" {
		if time.Now().After(deadline) {
			t.Fatalf("not flushed within 5s: %q", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// A full buffer is written at once.
	big := strings.Repeat("x", 2<<10)
	_, _ = w.Write([]byte(big))
	if !strings.Contains(out.String(), big) {
		t.Error("a write larger than the buffer was held back")
	}
	_, _ = w.Write([]byte("two\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "two\n") {
		t.Error("Close did not flush")
	}
	_, _ = w.Write([]byte("three\n"))
	if !strings.HasSuffix(out.String(), "three\n") {
		t.Error("a write after Close was not written through")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
