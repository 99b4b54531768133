// Package cputime reads the CPU time a process has used, for benchmarks
// that report CPU per operation: on a shared machine it is disturbed far
// less by other work than wall time is.
package cputime

import (
	"syscall"
	"time"
)

// Self is this process's user+system CPU time, to the microsecond; zero if
// it cannot be read.
func Self() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
