package lazyfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/hookbridge/hookbridge/internal/lazyfs"
)

// paths gives a name's path on the mount and in the backing directory.
func paths(l *lazyfs.FS, name string) (mnt, backing string) {
	return filepath.Join(l.Mountpoint(), name), filepath.Join(l.Backing(), name)
}

func create(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func write(t *testing.T, f *os.File, b []byte, off int64) {
	t.Helper()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func sync(t *testing.T, f *os.File) {
	t.Helper()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
}

// wantContent asserts what path reads as, and its size by stat.
func wantContent(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s holds %d bytes %.40q…, want %d bytes %.40q…", path, len(got), got, len(want), want)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != int64(len(want)) {
		t.Errorf("%s: stat says %d bytes, want %d", path, st.Size(), len(want))
	}
}

// pattern is n bytes that differ from page to page and within one.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i%251)
	}
	return b
}

func TestUnsyncedWriteIsReadableAndLostInACut(t *testing.T) {
	l := lazyfs.MountTest(t)
	mnt, backing := paths(l, "a")
	f := create(t, mnt)
	data := pattern(10000, 1) // three pages, the last one partly
	write(t, f, data, 0)

	wantContent(t, mnt, data) // another descriptor sees it
	if got := l.Unsynced(); got != int64(len(data)) {
		t.Errorf("Unsynced() = %d, want %d", got, len(data))
	}
	wantContent(t, backing, nil) // nothing durable yet

	f.Close()
	cut := l.Cut()
	if cut.Files != 1 || cut.Bytes != int64(len(data)) {
		t.Errorf("Cut() = %+v, want 1 file, %d bytes", cut, len(data))
	}
	// The name is durable, the data is not.
	wantContent(t, mnt, nil)
	if got := l.Unsynced(); got != 0 {
		t.Errorf("Unsynced() after the cut = %d", got)
	}
}

func TestFsyncMakesDataDurable(t *testing.T) {
	l := lazyfs.MountTest(t)
	mnt, backing := paths(l, "a")
	f := create(t, mnt)
	first := pattern(5000, 1)
	write(t, f, first, 0)
	sync(t, f)
	wantContent(t, backing, first)

	// An overwrite in the middle of a synced page and an append, unsynced:
	// visible at once, gone in a cut, the synced bytes around them kept.
	write(t, f, []byte("XYZ"), 100)
	write(t, f, pattern(3000, 7), 5000)
	want := append(append(append([]byte{}, first[:100]...), "XYZ"...), first[103:]...)
	want = append(want, pattern(3000, 7)...)
	wantContent(t, mnt, want)
	wantContent(t, backing, first)

	if cut := l.Cut(); cut.Files != 1 || cut.Bytes != 3003 {
		t.Errorf("Cut() = %+v, want 1 file, 3003 bytes", cut)
	}
	wantContent(t, mnt, first)

	// The descriptor open across the cut goes on, on the durable data, and
	// fdatasync (os.File.Sync is fsync; both are the same here) keeps what
	// it covers.
	write(t, f, []byte("after"), 0)
	sync(t, f)
	l.Cut()
	want = append([]byte("after"), first[5:]...)
	wantContent(t, mnt, want)
	wantContent(t, backing, want)
}

func TestTruncateIsLazy(t *testing.T) {
	l := lazyfs.MountTest(t)
	mnt, backing := paths(l, "a")
	f := create(t, mnt)
	data := pattern(10000, 3)
	write(t, f, data, 0)
	sync(t, f)

	// Shrink, then grow again: the bytes past the shrink read as zeros,
	// not as what the backing file still holds there.
	if err := f.Truncate(100); err != nil {
		t.Fatal(err)
	}
	wantContent(t, mnt, data[:100])
	if err := os.Truncate(mnt, 5000); err != nil { // by path, no descriptor
		t.Fatal(err)
	}
	want := append(append([]byte{}, data[:100]...), make([]byte, 4900)...)
	wantContent(t, mnt, want)
	wantContent(t, backing, data)

	if cut := l.Cut(); cut.Files != 1 {
		t.Errorf("Cut() = %+v, want the truncated file", cut)
	}
	wantContent(t, mnt, data)

	// Synced, the truncate is durable.
	if err := f.Truncate(100); err != nil {
		t.Fatal(err)
	}
	sync(t, f)
	l.Cut()
	wantContent(t, mnt, data[:100])
	wantContent(t, backing, data[:100])

	// O_TRUNC on open is a truncate like any other.
	g, err := os.OpenFile(mnt, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	wantContent(t, mnt, nil)
	l.Cut()
	wantContent(t, mnt, data[:100])
}

func TestRenameCarriesUnsyncedData(t *testing.T) {
	l := lazyfs.MountTest(t)
	tmp, _ := paths(l, "meta.tmp")
	dst, backing := paths(l, "meta")

	// The old file, durable.
	old := create(t, dst)
	write(t, old, []byte("old"), 0)
	sync(t, old)
	old.Close()

	// Write a new version, rename it over the old one, no fsync: the
	// rename is durable at once, the data is not, so after a cut the
	// name holds an empty file (what XFS does; ext4's auto_da_alloc
	// would flush the data on the rename).
	f := create(t, tmp)
	write(t, f, []byte("new"), 0)
	f.Close()
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
	wantContent(t, dst, []byte("new"))
	l.Cut()
	wantContent(t, dst, nil)
	if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stat %s after the rename and a cut: %v, want not exist", tmp, err)
	}

	// With an fsync before the rename, the new version survives.
	f = create(t, tmp)
	write(t, f, []byte("new"), 0)
	sync(t, f)
	f.Close()
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
	l.Cut()
	wantContent(t, dst, []byte("new"))
	wantContent(t, backing, []byte("new"))

	// Unsynced data follows the file, not the name: fsync after the rename,
	// through the new name, keeps it.
	f = create(t, tmp)
	write(t, f, []byte("newer"), 0)
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
	sync(t, f)
	l.Cut()
	wantContent(t, dst, []byte("newer"))
}

func TestUnlinkDropsUnsyncedData(t *testing.T) {
	l := lazyfs.MountTest(t)
	mnt, _ := paths(l, "a")
	f := create(t, mnt)
	write(t, f, pattern(20000, 5), 0)
	f.Close()
	if err := os.Remove(mnt); err != nil {
		t.Fatal(err)
	}
	if got := l.Unsynced(); got != 0 {
		t.Errorf("Unsynced() after the file's removal = %d, want 0", got)
	}
	// A new file (which may get the old inode number) starts empty.
	g := create(t, mnt)
	wantContent(t, mnt, nil)
	write(t, g, []byte("b"), 0)
	wantContent(t, mnt, []byte("b"))
	if cut := l.Cut(); cut.Files != 1 || cut.Bytes != 1 {
		t.Errorf("Cut() = %+v, want 1 file, 1 byte", cut)
	}
}

func TestDirectoriesAreDurableAtOnce(t *testing.T) {
	l := lazyfs.MountTest(t)
	dir, _ := paths(l, "streams/WEBHOOKS/msgs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f := create(t, filepath.Join(dir, "1.blk"))
	write(t, f, []byte("block"), 0)
	sync(t, f)
	// A directory fsync is accepted (and adds nothing).
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
	l.Cut()
	wantContent(t, filepath.Join(dir, "1.blk"), []byte("block"))
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Errorf("ReadDir after the cut: %v, %v; want the one block", entries, err)
	}
}

func TestOSyncWritesAreDurable(t *testing.T) {
	l := lazyfs.MountTest(t)
	for _, flag := range []int{os.O_SYNC, syscall.O_DSYNC} {
		mnt, backing := paths(l, fmt.Sprintf("meta-%#x", flag))
		// As nats-server writes its raft snapshots and stream metadata
		// when it syncs: O_SYNC, no fsync, then a rename into place.
		f, err := os.OpenFile(mnt+".tmp", os.O_CREATE|os.O_WRONLY|os.O_TRUNC|flag, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		write(t, f, []byte("snapshot"), 0)
		f.Close()
		if err := os.Rename(mnt+".tmp", mnt); err != nil {
			t.Fatal(err)
		}
		wantContent(t, backing, []byte("snapshot"))
		l.Cut()
		wantContent(t, mnt, []byte("snapshot"))
	}
}

// FuzzAgainstModel drives one file on a mount with a sequence of writes,
// truncates, fsyncs and power cuts decoded from the input, and compares it
// after every step with a model two byte slices long: what a reader sees
// (the mount) and what is durable (the backing file).
func FuzzAgainstModel(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 2, 0, 0, 0, 3, 0, 0, 0})                              // write, sync, cut
	f.Add([]byte{0, 200, 255, 9, 1, 3, 40, 0, 3, 0, 0, 0})                         // write across pages, shrink, cut
	f.Add([]byte{0, 16, 255, 1, 2, 0, 0, 0, 1, 1, 0, 0, 0, 40, 16, 2, 3, 0, 0, 0}) // synced, shrunk, rewritten past the end, cut
	f.Add([]byte{1, 200, 0, 0, 0, 1, 1, 7, 2, 0, 0, 0, 1, 0, 1, 0, 3, 0, 0, 0})    // grow, write into the hole, sync, shrink, cut
	l := lazyfs.MountTest(f)
	n := 0
	f.Fuzz(func(t *testing.T, ops []byte) {
		n++
		mnt, backing := paths(l, fmt.Sprintf("model-%d", n))
		file := create(t, mnt)
		var cur, dur []byte
		for i := 0; i+3 < len(ops) && i < 4*64; i += 4 {
			a, b, c := int(ops[i+1]), int(ops[i+2]), ops[i+3]
			switch ops[i] % 4 {
			case 0: // write c's pattern, b*16+1 bytes at a*73 (up to 4.6 pages)
				off, data := int64(a*73), pattern(b*16+1, c)
				write(t, file, data, off)
				if end := int(off) + len(data); end > len(cur) {
					cur = append(cur, make([]byte, end-len(cur))...)
				}
				copy(cur[off:], data)
			case 1: // truncate to a*64+b (up to 4 pages)
				size := a*64 + b
				if err := file.Truncate(int64(size)); err != nil {
					t.Fatal(err)
				}
				if size <= len(cur) {
					cur = cur[:size]
				} else {
					cur = append(cur, make([]byte, size-len(cur))...)
				}
			case 2:
				sync(t, file)
				dur = bytes.Clone(cur)
			case 3:
				l.Cut()
				cur = bytes.Clone(dur)
			}
			wantContent(t, mnt, cur)
			wantContent(t, backing, dur)
			if t.Failed() {
				t.Fatalf("after op %d (%v)", i/4, ops[i:i+4])
			}
		}
		file.Close()
		if err := os.Remove(mnt); err != nil {
			t.Fatal(err)
		}
	})
}
