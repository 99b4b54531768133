// Package browsertest drives headless Chromium from tests, so that the console is proved in a
// real browser: its pages load, their scripts run, and they read well at a laptop's and a
// phone's width.
//
// Without a browser a test skips with the reason, except under CI (CI set), where a missing
// browser fails it: CI installs Debian's chromium package.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// candidates are the names Chromium goes by on the systems the tests run on.
var candidates = []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "headless-shell"}

// Path finds the browser: $CHROMIUM when set, else the first candidate on PATH; "" if none.
func Path() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// New starts a headless browser for t, with a tab whose context bounds every action by
// timeout; both close when t ends.
func New(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	path := Path()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("no browser: install Debian's chromium package (or set $CHROMIUM); CI must run the browser tests")
		}
		t.Skip("no browser (chromium, chromium-browser or google-chrome on PATH, or $CHROMIUM): skipping the browser test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		// Containers and root: the sandbox needs privileges they lack.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser now, so that a failure is plain
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// Widths are the viewports every page is shot at.
var Widths = []struct {
	Name          string
	Width, Height int64
	Mobile        bool
}{
	{"desktop", 1280, 800, false},
	{"phone", 390, 844, true},
}

// Screenshots writes a full-page PNG of the current page at each of Widths, named
// <name>-<width name>.png, to $CONSOLE_SCREENSHOTS when set (created if need be), else to a
// temporary folder, logs their paths and returns them. The viewport is left at the desktop's.
func Screenshots(t *testing.T, ctx context.Context, name string) []string {
	t.Helper()
	dir := os.Getenv("CONSOLE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, w := range Widths {
		var opts []chromedp.EmulateViewportOption
		if w.Mobile {
			opts = append(opts, chromedp.EmulateMobile)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w.Width, w.Height, opts...)); err != nil {
			t.Fatalf("viewport %s: %v", w.Name, err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", w.Name, err)
		}
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+"-"+w.Name+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s at %dx%d: %s", name, w.Width, w.Height, path)
		paths = append(paths, path)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(Widths[0].Width, Widths[0].Height)); err != nil {
		t.Fatal(err)
	}
	return paths
}
