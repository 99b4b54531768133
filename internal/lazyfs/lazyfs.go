// Package lazyfs is a FUSE filesystem for tests that behaves like a disk
// losing power: it passes through to a backing directory, but every write
// that was not fsynced stays in memory, and [FS.Cut] throws all of it away,
// as a power cut throws away the page cache.
//
// # What is durable when
//
// File data and file size are lazy:
//
//   - write(2), and truncate(2)/ftruncate(2) (also O_TRUNC on open), change
//     the file only in memory; reads, stat and later writes through the
//     mount see the change at once, the backing file does not.
//   - fsync(2) or fdatasync(2) on any descriptor of a file makes that file's
//     data and size durable: they are written to the backing file, which is
//     then fsynced. A write through a descriptor opened with O_SYNC or
//     O_DSYNC is durable when it returns, as if fsync followed it. Nothing is ever written back on its own, as the kernel's
//     writeback would be: a file never fsynced keeps none of its writes.
//   - [FS.Cut] drops every unsynced write and size change of every file:
//     after it each file is exactly what its last fsync left.
//
// The namespace is durable at once: create, mkdir, mknod, symlink, link,
// rename, unlink and rmdir are applied to the backing directory as they
// happen, as are mode, owner and times; fsync on a directory does nothing
// more. A file's unsynced data follows the file through a rename and goes
// with it when its last name is removed.
//
// # Stricter and kinder than a real filesystem
//
// For file data it is as strict as a filesystem can be: a power cut loses
// everything since the last fsync of each file (a real one may have written
// some of it back), and a file created or renamed into place without an
// fsync of its data is empty or stale after the cut. That includes the
// "write a temporary file, rename it over the old one, no fsync" pattern,
// which ext4 (auto_da_alloc) rescues and XFS does not.
//
// It is kinder than POSIX for the namespace: POSIX makes a new directory
// entry durable only after an fsync of the directory, and lazyfs never loses
// one. ext4 and XFS in practice commit a new file's entry with the file's
// own fsync; lazyfs goes further and keeps entries that no fsync covered.
// It is also kinder in never tearing: a cut drops whole unsynced histories,
// never leaves part of a write, a reordered write or a block of zeros where
// data was, and an fsync that returned made everything before it durable
// (no lying disk cache).
//
// Unsupported on the mount: O_TMPFILE, fallocate(2) and copy_file_range(2)
// fail with EOPNOTSUPP (the kernel falls back to read and write for the
// last); shared writable mmap is not coherent with the lazy data.
//
// Mounting needs /dev/fuse and root (or fusermount3). File handles are
// opened with direct I/O and attributes are not cached, so the kernel keeps
// no copy of data or sizes that a cut would leave stale.
package lazyfs

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// pageSize is the granularity of the in-memory copy of unsynced data.
const pageSize = 4096

// FS is a mounted lazy filesystem. Its methods are safe for concurrent use
// with each other and with any traffic on the mount.
type FS struct {
	mountpoint string
	backing    string
	server     *fuse.Server

	mu    sync.Mutex
	files map[uint64]*file // by the node's inode number (the backing file's)
	stats Stats
}

// Stats counts what went through the mount since it was mounted.
type Stats struct {
	Written      int64 // bytes written
	Synced       int64 // fsync and fdatasync calls on files, and O_SYNC writes
	SyncedFiles  int64 // of those, the ones that had unsynced changes to write
	Cuts         int64 // power cuts
	DroppedBytes int64 // bytes written but never synced, dropped by cuts
	DroppedFiles int64 // files that lost unsynced changes in cuts
}

// CutReport is what one power cut threw away.
type CutReport struct {
	Files int   // files that had unsynced changes (data or size)
	Bytes int64 // bytes written to them since their last fsync
	// Names are those files, each by the path (relative to the backing
	// directory) it was last opened by, for a reader to see what lost data.
	Names []string
}

// Mount mounts a lazy view of the directory backing at mountpoint (both
// must exist). Unmount it with [FS.Unmount].
func Mount(mountpoint, backing string) (*FS, error) {
	backing, err := filepath.Abs(backing)
	if err != nil {
		return nil, err
	}
	loop, err := fs.NewLoopbackRoot(backing)
	if err != nil {
		return nil, fmt.Errorf("lazyfs: backing directory: %w", err)
	}
	lfs := &FS{mountpoint: mountpoint, backing: backing, files: map[uint64]*file{}}
	var zero time.Duration
	opts := &fs.Options{
		// No kernel caching of entries' attributes: after a cut the
		// kernel must ask for sizes again. Entries do not change in a
		// cut (the namespace is durable), negative ones may.
		AttrTimeout:     &zero,
		EntryTimeout:    &zero,
		NegativeTimeout: &zero,
		MountOptions: fuse.MountOptions{
			FsName:      "lazyfs:" + backing,
			Name:        "lazyfs",
			DirectMount: true, // mount(2) when root, else fusermount
		},
	}
	root := &node{LoopbackNode: loop.(*fs.LoopbackNode), lfs: lfs}
	srv, err := fs.Mount(mountpoint, root, opts)
	if err != nil {
		return nil, fmt.Errorf("lazyfs: mounting %s: %w", mountpoint, err)
	}
	lfs.server = srv
	return lfs, nil
}

// Mountpoint is where the filesystem is mounted.
func (l *FS) Mountpoint() string { return l.mountpoint }

// Backing is the directory that holds what is durable.
func (l *FS) Backing() string { return l.backing }

// Unmount unmounts the filesystem and waits for its server to stop. Unsynced
// data is dropped, as in a cut; call [FS.Cut] first to learn how much.
// It fails while a process still uses the mount.
func (l *FS) Unmount() error {
	if err := l.server.Unmount(); err != nil {
		return fmt.Errorf("lazyfs: unmounting %s: %w", l.mountpoint, err)
	}
	l.server.Wait()
	return nil
}

// Cut is a power cut: every write and size change not yet fsynced is
// thrown away, and reads from now on see what the backing files hold. Stop
// (kill) the processes that use the mount first: a descriptor that stays
// open across the cut keeps working, on the durable data.
func (l *FS) Cut() CutReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	var r CutReport
	for ino, f := range l.files {
		f.mu.Lock()
		if f.changed {
			r.Files++
			r.Bytes += f.unsynced
			r.Names = append(r.Names, f.name)
		}
		f.reset()
		if f.opens == 0 {
			delete(l.files, ino)
		}
		f.mu.Unlock()
	}
	l.stats.Cuts++
	l.stats.DroppedBytes += r.Bytes
	l.stats.DroppedFiles += int64(r.Files)
	return r
}

// Unsynced is the number of bytes written through the mount and not yet
// made durable by an fsync of their file.
func (l *FS) Unsynced() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var n int64
	for _, f := range l.files {
		f.mu.Lock()
		n += f.unsynced
		f.mu.Unlock()
	}
	return n
}

// Stats returns the counters so far.
func (l *FS) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// file is the unsynced state of one regular file. While changed is false
// the backing file is the whole truth and the other fields but opens and
// orphan are unused.
type file struct {
	mu      sync.Mutex
	changed bool
	size    int64 // the file's size as seen through the mount
	// clip: backing bytes at or past it are no longer part of the file (a
	// truncate below them that is not synced); MaxInt64 when there was none.
	clip     int64
	pages    map[int64]*[pageSize]byte // unsynced pages, by index; zero past size
	unsynced int64                     // bytes written since the last sync
	opens    int                       // open handles
	orphan   bool                      // its last name is gone: drop it on the last close
	name     string                    // the path it was last opened by, relative to the backing dir
}

func (f *file) reset() {
	f.changed, f.size, f.clip, f.pages, f.unsynced = false, 0, math.MaxInt64, nil, 0
}

// begin makes f hold the backing file's state, if it does not yet, so that
// it can take a change. backing is the open backing file.
func (f *file) begin(backing *os.File) syscall.Errno {
	if f.changed {
		return 0
	}
	st, err := backing.Stat()
	if err != nil {
		return fs.ToErrno(err)
	}
	f.reset()
	f.changed, f.size, f.pages = true, st.Size(), map[int64]*[pageSize]byte{}
	return 0
}

// page returns page i, read from the backing file on first use.
func (f *file) page(backing *os.File, i int64) (*[pageSize]byte, syscall.Errno) {
	if p := f.pages[i]; p != nil {
		return p, 0
	}
	p := new([pageSize]byte)
	if errno := f.readBacking(backing, p[:], i*pageSize); errno != 0 {
		return nil, errno
	}
	// Past the file's size a page is zero, whatever the backing file holds.
	if end := f.size - i*pageSize; end < pageSize {
		clear(p[max(end, 0):])
	}
	f.pages[i] = p
	return p, 0
}

// readBacking fills buf from the backing file at off, with zeros where the
// backing file ends or is clipped.
func (f *file) readBacking(backing *os.File, buf []byte, off int64) syscall.Errno {
	n := int64(len(buf))
	if f.changed {
		n = max(min(n, f.clip-off), 0)
	}
	got, err := backing.ReadAt(buf[:n], off)
	if err != nil && !errors.Is(err, io.EOF) {
		return fs.ToErrno(err)
	}
	clear(buf[got:])
	return 0
}

func (f *file) read(backing *os.File, buf []byte, off int64) (int, syscall.Errno) {
	if !f.changed {
		n, err := backing.ReadAt(buf, off)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, fs.ToErrno(err)
		}
		return n, 0
	}
	if off >= f.size {
		return 0, 0
	}
	buf = buf[:min(int64(len(buf)), f.size-off)]
	for done := 0; done < len(buf); {
		pos := off + int64(done)
		i, in := pos/pageSize, pos%pageSize
		n := min(len(buf)-done, int(pageSize-in))
		if p := f.pages[i]; p != nil {
			copy(buf[done:done+n], p[in:])
		} else if errno := f.readBacking(backing, buf[done:done+n], pos); errno != 0 {
			return 0, errno
		}
		done += n
	}
	return len(buf), 0
}

func (f *file) write(backing *os.File, data []byte, off int64) syscall.Errno {
	if errno := f.begin(backing); errno != 0 {
		return errno
	}
	if end := off + int64(len(data)); end > f.size {
		f.grow(end)
	}
	for done := 0; done < len(data); {
		pos := off + int64(done)
		i, in := pos/pageSize, pos%pageSize
		p, errno := f.page(backing, i)
		if errno != 0 {
			return errno
		}
		done += copy(p[in:], data[done:])
	}
	f.unsynced += int64(len(data))
	return 0
}

// grow extends the file to size: what lies between the old end and the new
// one reads as zeros, whatever the backing file holds there.
func (f *file) grow(size int64) {
	f.clip = min(f.clip, f.size)
	f.size = size
}

func (f *file) truncate(backing *os.File, size int64) syscall.Errno {
	if errno := f.begin(backing); errno != 0 {
		return errno
	}
	if size >= f.size {
		f.grow(size)
		return 0
	}
	for i, p := range f.pages {
		switch start := i * pageSize; {
		case start >= size:
			delete(f.pages, i)
		case start+pageSize > size:
			clear(p[size-start:])
		}
	}
	f.size, f.clip = size, min(f.clip, size)
	return 0
}

// sync makes f's changes durable in backing and fsyncs it.
func (f *file) sync(backing *os.File) (wrote bool, errno syscall.Errno) {
	if f.changed {
		st, err := backing.Stat()
		if err != nil {
			return false, fs.ToErrno(err)
		}
		if f.clip < st.Size() {
			if err := backing.Truncate(f.clip); err != nil {
				return false, fs.ToErrno(err)
			}
		}
		for i, p := range f.pages {
			n := min(pageSize, f.size-i*pageSize)
			if _, err := backing.WriteAt(p[:n], i*pageSize); err != nil {
				return false, fs.ToErrno(err)
			}
		}
		if err := backing.Truncate(f.size); err != nil {
			return false, fs.ToErrno(err)
		}
	}
	if err := backing.Sync(); err != nil {
		return false, fs.ToErrno(err)
	}
	wrote = f.changed
	f.reset()
	return wrote, 0
}

// acquire returns the state of the file ino, opened by path, with one more
// open handle.
func (l *FS) acquire(ino uint64, path string) *file {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.files[ino]
	if f == nil {
		f = &file{clip: math.MaxInt64}
		l.files[ino] = f
	}
	f.mu.Lock()
	f.opens++
	if rel, err := filepath.Rel(l.backing, path); err == nil {
		f.name = rel
	}
	f.mu.Unlock()
	return f
}

// release drops a handle of ino; the state goes when nothing is left in it.
func (l *FS) release(ino uint64, f *file) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opens--
	if f.opens == 0 && (!f.changed || f.orphan) && l.files[ino] == f {
		delete(l.files, ino)
	}
}

// lookup returns the state of ino, or nil when it has none.
func (l *FS) lookup(ino uint64) *file {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.files[ino]
}

// removed notes that the last name of ino is gone: its unsynced data goes
// now, or with its last open handle.
func (l *FS) removed(ino uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.files[ino]
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.orphan = true
	if f.opens == 0 {
		delete(l.files, ino)
	}
}

func (l *FS) count(fn func(s *Stats)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fn(&l.stats)
}
