package lazyfs

import (
	"os"
	"path/filepath"
	"testing"
)

// MountTest mounts a lazy filesystem over a new temporary directory for the
// test t and unmounts it when t ends. Where FUSE is not usable (no
// /dev/fuse, no permission to mount) t is skipped with the reason; with the
// CI variable set that is a failure instead.
func MountTest(t testing.TB) *FS {
	t.Helper()
	skip := t.Skipf
	if os.Getenv("CI") != "" {
		skip = t.Fatalf
	}
	if dev, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0); err != nil {
		skip("lazyfs needs FUSE: /dev/fuse: %v", err)
	} else {
		dev.Close()
	}
	dir := t.TempDir()
	mnt, backing := filepath.Join(dir, "mnt"), filepath.Join(dir, "backing")
	for _, d := range []string{mnt, backing} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	l, err := Mount(mnt, backing)
	if err != nil {
		skip("lazyfs cannot mount here: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Unmount(); err != nil {
			t.Errorf("%v", err)
		}
	})
	return l
}
