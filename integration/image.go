package integration

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/integration/images"
)

// builtImages remembers, for the life of the test process, each image built
// (or found up to date) and each failed build, so a test pays for a build at
// most once and parallel tests never build the same image twice.
var builtImages struct {
	mu   sync.Mutex // held for a whole build: builds share Go's build cache and the CPU
	refs map[string]string
	errs map[string]error
}

// Image returns the reference of the project image name ("nats",
// "hookbridge", "inventory", "shipping"; see package images), built from the
// working tree on first use in this process. An image whose content did not
// change is reused, also across runs. A failed build fails t, and every later
// test that asks for the same image.
func Image(t testing.TB, name string) string {
	t.Helper()
	builtImages.mu.Lock()
	defer builtImages.mu.Unlock()
	if ref, ok := builtImages.refs[name]; ok {
		return ref
	}
	if err, ok := builtImages.errs[name]; ok {
		t.Fatalf("image %s: %v", name, err)
	}
	if builtImages.refs == nil {
		builtImages.refs, builtImages.errs = map[string]string{}, map[string]error{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	b, err := images.New(ctx, t.Logf)
	if err == nil {
		defer b.Close()
		var img images.Image
		if img, err = b.Build(ctx, name); err == nil {
			builtImages.refs[name] = img.Ref
			return img.Ref
		}
	}
	builtImages.errs[name] = err
	t.Fatalf("image %s: %v", name, err)
	return ""
}
