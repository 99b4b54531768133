package lazyfs

import (
	"context"
	"os"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// handle is an open regular file: reads and writes go to the file's
// unsynced state, which a sync writes to backing.
type handle struct {
	lfs      *FS
	ino      uint64
	f        *file
	backing  *os.File
	writable bool // backing is open read-write
	// syncWrites: opened with O_SYNC or O_DSYNC, every write is durable
	// when it returns.
	syncWrites bool
}

var (
	_ fs.FileReader    = (*handle)(nil)
	_ fs.FileWriter    = (*handle)(nil)
	_ fs.FileFsyncer   = (*handle)(nil)
	_ fs.FileFlusher   = (*handle)(nil)
	_ fs.FileReleaser  = (*handle)(nil)
	_ fs.FileGetattrer = (*handle)(nil)
)

func (h *handle) Read(ctx context.Context, buf []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	n, errno := h.f.read(h.backing, buf, off)
	if errno != 0 {
		return nil, errno
	}
	return fuse.ReadResultData(buf[:n]), 0
}

func (h *handle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	if !h.writable {
		return 0, syscall.EBADF
	}
	h.f.mu.Lock()
	errno := h.f.write(h.backing, data, off)
	if errno == 0 && h.syncWrites {
		_, errno = h.f.sync(h.backing)
	}
	h.f.mu.Unlock()
	if errno != 0 {
		return 0, errno
	}
	h.lfs.count(func(s *Stats) {
		s.Written += int64(len(data))
		if h.syncWrites {
			s.Synced++
			s.SyncedFiles++
		}
	})
	return uint32(len(data)), 0
}

// Fsync makes the file's data and size durable; fsync and fdatasync are
// the same here.
func (h *handle) Fsync(ctx context.Context, flags uint32) syscall.Errno {
	h.f.mu.Lock()
	var wrote bool
	errno := syscall.Errno(0)
	if h.writable {
		wrote, errno = h.f.sync(h.backing)
	} else if h.f.changed {
		// A read-only descriptor can make the file durable too: write
		// through a read-write one.
		var w *os.File
		w, errno = openRW(h.backing.Name())
		if errno == 0 {
			wrote, errno = h.f.sync(w)
			w.Close()
		}
	}
	h.f.mu.Unlock()
	if errno != 0 {
		return errno
	}
	h.lfs.count(func(s *Stats) {
		s.Synced++
		if wrote {
			s.SyncedFiles++
		}
	})
	return 0
}

func openRW(path string) (*os.File, syscall.Errno) {
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_CLOEXEC, 0)
	return f, fs.ToErrno(err)
}

// Flush (close(2)) makes nothing durable, as on a real filesystem.
func (h *handle) Flush(ctx context.Context) syscall.Errno { return 0 }

func (h *handle) Release(ctx context.Context) syscall.Errno {
	err := h.backing.Close()
	h.lfs.release(h.ino, h.f)
	return fs.ToErrno(err)
}

func (h *handle) Getattr(ctx context.Context, out *fuse.AttrOut) syscall.Errno {
	return h.attr(&out.Attr)
}

func (h *handle) attr(a *fuse.Attr) syscall.Errno {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(h.backing.Fd()), &st); err != nil {
		return fs.ToErrno(err)
	}
	a.FromStat(&st)
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	if h.f.changed {
		a.Size, a.Blocks = uint64(h.f.size), uint64(h.f.size+511)/512
	}
	return 0
}

func (h *handle) truncate(size int64) syscall.Errno {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	return h.f.truncate(h.backing, size)
}
