//go:build linux || darwin || freebsd

package natsserver

import "syscall"

// diskFree is the space free to an unprivileged writer on dir's file system.
func diskFree(dir string) (uint64, bool) {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return 0, false
	}
	return uint64(fs.Bavail) * uint64(fs.Bsize), true
}
