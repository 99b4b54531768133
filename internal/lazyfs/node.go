package lazyfs

import (
	"context"
	"os"
	"path/filepath"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// node is go-fuse's loopback node with the data path made lazy: regular
// files are opened through handle, and size changes and removals are told
// to the FS. Everything else passes through to the backing directory.
type node struct {
	*fs.LoopbackNode
	lfs *FS
}

var (
	_ fs.NodeWrapChilder = (*node)(nil)
	_ fs.NodeOpener      = (*node)(nil)
	_ fs.NodeCreater     = (*node)(nil)
	_ fs.NodeGetattrer   = (*node)(nil)
	_ fs.NodeSetattrer   = (*node)(nil)
	_ fs.NodeStatxer     = (*node)(nil)
	_ fs.NodeUnlinker    = (*node)(nil)
	_ fs.NodeRenamer     = (*node)(nil)
	_ fs.NodeTmpfiler    = (*node)(nil)
)

// WrapChild makes every node of the tree a lazy one.
func (n *node) WrapChild(ctx context.Context, ops fs.InodeEmbedder) fs.InodeEmbedder {
	return &node{LoopbackNode: ops.(*fs.LoopbackNode), lfs: n.lfs}
}

// path is the node's path in the backing directory.
func (n *node) path() string {
	return filepath.Join(n.RootData.Path, n.Path(n.Root()))
}

func (n *node) ino() uint64 { return n.StableAttr().Ino }

// inoOf is the inode number the loopback gives a backing file with st
// (go-fuse's LoopbackRoot.idFromStat).
func (n *node) inoOf(st *syscall.Stat_t) uint64 {
	swap := func(d uint64) uint64 { return d<<32 | d>>32 }
	return swap(uint64(st.Dev)) ^ swap(n.RootData.Dev) ^ st.Ino
}

func (n *node) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if n.StableAttr().Mode&syscall.S_IFMT != syscall.S_IFREG {
		return n.LoopbackNode.Open(ctx, flags)
	}
	h, errno := n.lfs.open(n.path(), n.ino(), flags)
	if errno != 0 {
		return nil, 0, errno
	}
	return h, fuse.FOPEN_DIRECT_IO, 0
}

func (n *node) Create(ctx context.Context, name string, flags, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	// The loopback creates the file and its inode; its handle, which
	// writes through, is swapped for a lazy one. A truncate of an
	// existing file is lazy too.
	ch, lh, _, errno := n.LoopbackNode.Create(ctx, name, flags&^syscall.O_TRUNC, mode, out)
	if errno != 0 {
		return nil, nil, 0, errno
	}
	if r, ok := lh.(fs.FileReleaser); ok {
		r.Release(ctx)
	}
	h, errno := n.lfs.open(filepath.Join(n.path(), name), ch.StableAttr().Ino, flags)
	if errno != 0 {
		return nil, nil, 0, errno
	}
	h.attr(&out.Attr)
	return ch, h, fuse.FOPEN_DIRECT_IO, 0
}

// Tmpfile is refused: an O_TMPFILE file has no path for a lazy handle.
func (n *node) Tmpfile(ctx context.Context, flags, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	return nil, nil, 0, syscall.EOPNOTSUPP
}

func (n *node) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	if errno := n.LoopbackNode.Getattr(ctx, f, out); errno != 0 {
		return errno
	}
	if _, ok := f.(*handle); !ok {
		n.lfs.overlay(n.ino(), &out.Attr)
	}
	return 0
}

func (n *node) Statx(ctx context.Context, f fs.FileHandle, flags, mask uint32, out *fuse.StatxOut) syscall.Errno {
	if errno := n.LoopbackNode.Statx(ctx, nil, flags, mask, out); errno != 0 {
		return errno
	}
	var a fuse.Attr
	a.Size, a.Blocks = out.Size, out.Blocks
	n.lfs.overlay(n.ino(), &a)
	out.Size, out.Blocks = a.Size, a.Blocks
	return 0
}

func (n *node) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if size, ok := in.GetSize(); ok {
		h, _ := f.(*handle)
		if h == nil {
			var errno syscall.Errno
			if h, errno = n.lfs.open(n.path(), n.ino(), syscall.O_RDWR); errno != 0 {
				return errno
			}
			defer h.Release(ctx)
		}
		if errno := h.truncate(int64(size)); errno != 0 {
			return errno
		}
		in.Valid &^= fuse.FATTR_SIZE
	}
	// Mode, owner and times pass through, by path.
	if errno := n.LoopbackNode.Setattr(ctx, nil, in, out); errno != 0 {
		return errno
	}
	n.lfs.overlay(n.ino(), &out.Attr)
	return 0
}

func (n *node) Unlink(ctx context.Context, name string) syscall.Errno {
	var st syscall.Stat_t
	lstatErr := syscall.Lstat(filepath.Join(n.path(), name), &st)
	if errno := n.LoopbackNode.Unlink(ctx, name); errno != 0 {
		return errno
	}
	if lstatErr == nil && st.Nlink <= 1 {
		n.lfs.removed(n.inoOf(&st))
	}
	return 0
}

func (n *node) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	// A rename over a file removes that file's last name (unless the two
	// are exchanged).
	var st syscall.Stat_t
	var replaced bool
	if np, ok := newParent.(*node); ok && flags&fs.RENAME_EXCHANGE == 0 {
		replaced = syscall.Lstat(filepath.Join(np.path(), newName), &st) == nil &&
			st.Mode&syscall.S_IFMT == syscall.S_IFREG && st.Nlink <= 1
	}
	if errno := n.LoopbackNode.Rename(ctx, name, newParent, newName, flags); errno != 0 {
		return errno
	}
	if replaced {
		n.lfs.removed(n.inoOf(&st))
	}
	return 0
}

// open opens the backing file at path, the node ino, for a lazy handle.
// The backing file is opened read-write whatever flags ask: a partly
// written page is read from it, and a sync writes to it. O_TRUNC is lazy.
func (l *FS) open(path string, ino uint64, flags uint32) (*handle, syscall.Errno) {
	acc := syscall.O_RDWR
	if flags&syscall.O_ACCMODE == syscall.O_RDONLY {
		acc = syscall.O_RDONLY
	}
	backing, err := os.OpenFile(path, acc|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fs.ToErrno(err)
	}
	h := &handle{
		lfs: l, ino: ino, f: l.acquire(ino, path), backing: backing,
		writable:   acc == syscall.O_RDWR,
		syncWrites: flags&syscall.O_DSYNC != 0, // O_SYNC includes it
	}
	if flags&syscall.O_TRUNC != 0 && h.writable {
		if errno := h.truncate(0); errno != 0 {
			h.Release(context.Background())
			return nil, errno
		}
	}
	return h, 0
}

// overlay replaces a's size with the unsynced one of ino, if it has one.
func (l *FS) overlay(ino uint64, a *fuse.Attr) {
	f := l.lookup(ino)
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.changed {
		a.Size, a.Blocks = uint64(f.size), uint64(f.size+511)/512
	}
}
