package natsserver

import "testing"

// A restart lifts a reached storage limit only when the free space has
// grown enough: nats-server sets the limit to 3/4 of free plus 3/4 of
// stored, so a store of three times the free space stays stuck.
func TestLimitWouldRise(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		stored, free uint64
		want         bool
	}{
		{stored: 10 * mib, free: 0, want: false},          // the disk is full
		{stored: 30 * mib, free: 10 * mib, want: false},   // three times the free space: stuck
		{stored: 30 * mib, free: 11 * mib, want: false},   // room for less than a message more
		{stored: 30 * mib, free: 12 * mib, want: true},    // 31.5 MiB >= 31 MiB
		{stored: 4 * mib, free: 8 * mib, want: true},      // space freed after a start on a full disk
		{stored: 900 << 30, free: 100 << 30, want: false}, // a 90 %-full disk of stream data
	} {
		if got := limitWouldRise(c.stored, c.free, mib); got != c.want {
			t.Errorf("limitWouldRise(stored %d MiB, free %d MiB) = %v, want %v", c.stored/mib, c.free/mib, got, c.want)
		}
	}
}
