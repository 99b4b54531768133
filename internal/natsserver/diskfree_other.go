//go:build !(linux || darwin || freebsd)

package natsserver

// diskFree is unknown here: recovery then restarts as for any other failure.
func diskFree(string) (uint64, bool) { return 0, false }
