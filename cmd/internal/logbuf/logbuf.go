// Package logbuf batches log lines into fewer writes. The bridge logs one
// line per delivery; written straight to stdout that is one write(2) per
// delivery, which profiles showed costing about as much as verifying and
// reading the delivery together.
package logbuf

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// Writer buffers writes and flushes them when the buffer fills, every
// interval, and on Close. A line is therefore at most one interval late; a
// process that is killed loses at most that much. Safe for concurrent use.
type Writer struct {
	mu     sync.Mutex
	buf    *bufio.Writer
	stop   chan struct{}
	done   chan struct{}
	closed bool
}

// New starts a Writer over w with a buffer of size bytes, flushed every
// interval.
func New(w io.Writer, size int, interval time.Duration) *Writer {
	b := &Writer{buf: bufio.NewWriterSize(w, size), stop: make(chan struct{}), done: make(chan struct{})}
	go b.flushEvery(interval)
	return b
}

func (b *Writer) flushEvery(interval time.Duration) {
	defer close(b.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			_ = b.Flush()
		}
	}
}

// Write buffers p; after Close it writes through.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	if err == nil && b.closed {
		err = b.buf.Flush()
	}
	return n, err
}

// Flush writes out what is buffered.
func (b *Writer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Flush()
}

// Close stops the periodic flush and flushes; later writes go straight
// through.
func (b *Writer) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	close(b.stop)
	<-b.done
	return b.Flush()
}
