// Package images builds the project's container images from source, with no
// registry: each image is one static Linux binary (CGO_ENABLED=0, -trimpath,
// -ldflags='-s -w', for the Docker engine's own OS and architecture) in a
// FROM scratch image, plus the config files it needs. The integration tests
// (integration.Image) and `make images` (cmd/buildimages) share this builder,
// so both produce the same images.
//
// The images:
//
//	nats:<version>   nats-server at the version go.mod pins (nats:2.15.2), with
//	                 JetStream (store_dir /data) and monitoring on 8222 configured
//	hookbridge:dev   cmd/hookbridge, configured by /etc/hookbridge/hookbridge.yaml
//	inventory:dev    cmd/inventory, once that package exists
//	shipping:dev     cmd/shipping, once that package exists
//	caddy:<version>  Caddy with its standard modules, at the version the
//	                 nested module integration/images/caddy pins (caddy:2.11.9):
//	                 the load balancer in front of several bridges
//
// A build is skipped when an image of the same content is already there: each
// image carries the sha256 of its build context in the label [LabelContent],
// so a warm run only re-links the binaries (Go's build cache makes that a
// matter of seconds) and compares. The nats and caddy images are reused
// before anything is compiled, since the pinned module version, the Go
// version, the build flags (and, for caddy, its module's go.mod, go.sum and
// main.go) fix their content.
package images

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/jsonmessage"
	"github.com/testcontainers/testcontainers-go"
)

const (
	// LabelContent is the image label holding the sha256 of the build
	// context (Dockerfile, binary and config files) the image was built from.
	LabelContent = "org.hookbridge.image.content-sha256"
	// labelSource, on images of a pinned module, identifies the content
	// before compiling: module version, Go version, platform, flags, files.
	labelSource = "org.hookbridge.image.source-sha256"

	natsModule  = "github.com/nats-io/nats-server/v2"
	caddyModule = "github.com/caddyserver/caddy/v2"
	ldflags     = "-s -w"
)

//go:embed dockerfiles
var dockerfiles embed.FS

// target is one image the project builds.
type target struct {
	name string
	pkg  string // the main package, as `go build` takes it
	bin  string // the binary's file name, in the build context and the image
	// pinned is a module whose go.mod version is the image's tag and fixes
	// its content; empty means the tag is "dev" and the binary decides.
	pinned string
	// module is the directory, relative to the repository's root, of the
	// nested module pkg and pinned are resolved in; empty means the
	// repository's own module. A nested module keeps a big dependency tree
	// (Caddy's) out of hookbridge's go.mod.
	module string
	// optional targets are built only when their package exists.
	optional bool
	// files adds config files to the build context.
	files func(b *Builder) ([]file, error)
}

func targets() []target {
	return []target{
		{name: "nats", pkg: natsModule, bin: "nats-server", pinned: natsModule, files: embedded("nats-server.conf")},
		{name: "hookbridge", pkg: "./cmd/hookbridge", bin: "hookbridge", files: hookbridgeFiles},
		{name: "inventory", pkg: "./cmd/inventory", bin: "inventory", optional: true},
		{name: "shipping", pkg: "./cmd/shipping", bin: "shipping", optional: true},
		{name: "caddy", pkg: ".", bin: "caddy", pinned: caddyModule, module: "integration/images/caddy", files: embedded("Caddyfile")},
	}
}

// Names lists every image the builder knows, in the order `make images`
// builds them.
func Names() []string {
	var names []string
	for _, t := range targets() {
		names = append(names, t.name)
	}
	return names
}

func lookup(name string) (target, error) {
	for _, t := range targets() {
		if t.name == name {
			return t, nil
		}
	}
	return target{}, fmt.Errorf("no image %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Image is a built (or reused) local image.
type Image struct {
	Name   string // nats, hookbridge, ...
	Ref    string // the tag to run it by: nats:2.15.2, hookbridge:dev
	ID     string // sha256:...
	Reused bool   // an image of the same content was already there
}

// Builder compiles binaries of the module and builds them into images on the
// Docker engine that testcontainers uses. It is not safe for concurrent use.
type Builder struct {
	dir       string // module root
	docker    *testcontainers.DockerClient
	goos      string
	goarch    string
	goVersion string
	logf      func(format string, args ...any)
}

// New returns a Builder for the module that contains the working directory,
// connected to the Docker engine testcontainers resolves (DOCKER_HOST,
// docker context, default socket). logf receives one line per step; nil
// discards them. Close it when done.
func New(ctx context.Context, logf func(format string, args ...any)) (*Builder, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	gomod, err := goOutput(ctx, "", nil, "env", "GOMOD")
	if err != nil {
		return nil, err
	}
	if gomod == "" || gomod == os.DevNull {
		return nil, errors.New("images: run inside the hookbridge module (go env GOMOD is empty)")
	}
	goVersion, err := goOutput(ctx, "", nil, "env", "GOVERSION")
	if err != nil {
		return nil, err
	}
	docker, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("images: docker: %w", err)
	}
	v, err := docker.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		docker.Close()
		return nil, fmt.Errorf("images: docker version: %w", err)
	}
	return &Builder{
		dir: filepath.Dir(gomod), docker: docker,
		goos: v.Os, goarch: v.Arch, goVersion: goVersion, logf: logf,
	}, nil
}

// Close releases the Docker client.
func (b *Builder) Close() error { return b.docker.Close() }

// Available lists the images whose main package exists now: nats,
// hookbridge and caddy always, inventory and shipping once their cmd/
// package has Go files. A package that exists but does not compile is
// listed; Build reports the compiler's error.
func (b *Builder) Available(ctx context.Context) ([]string, error) {
	var names []string
	for _, t := range targets() {
		if t.optional {
			pkgName, err := goOutput(ctx, b.dir, nil, "list", "-f", "{{.Name}}", t.pkg)
			if err != nil {
				continue // no Go files (yet)
			}
			if pkgName != "main" {
				return nil, fmt.Errorf("images: %s is package %s, not a command", t.pkg, pkgName)
			}
		}
		names = append(names, t.name)
	}
	return names, nil
}

// Build builds the image name (see [Names]) unless an image of the same
// content exists, and returns it.
func (b *Builder) Build(ctx context.Context, name string) (Image, error) {
	t, err := lookup(name)
	if err != nil {
		return Image{}, err
	}
	files, err := b.staticFiles(t)
	if err != nil {
		return Image{}, err
	}
	dir := filepath.Join(b.dir, t.module)
	ref, sourceKey := t.name+":dev", ""
	if t.pinned != "" {
		version, err := goOutput(ctx, dir, nil, "list", "-m", "-f", "{{.Version}}", t.pinned)
		if err != nil {
			return Image{}, err
		}
		ref = t.name + ":" + strings.TrimPrefix(version, "v")
		source, err := b.moduleFiles(t)
		if err != nil {
			return Image{}, err
		}
		sourceKey = b.sourceKey(t.pinned+"@"+version, append(source, files...))
		if img, ok := b.existing(ctx, t.name, ref, labelSource, sourceKey); ok {
			b.logf("%s: up to date (%s of the pinned version)", ref, shortID(img.ID))
			return img, nil
		}
	}

	tmp, err := os.MkdirTemp("", "hookbridge-image-")
	if err != nil {
		return Image{}, err
	}
	defer os.RemoveAll(tmp)
	binPath := filepath.Join(tmp, t.bin)
	start := time.Now()
	b.logf("%s: compiling %s for %s/%s", ref, t.pkg, b.goos, b.goarch)
	env := []string{"CGO_ENABLED=0", "GOOS=" + b.goos, "GOARCH=" + b.goarch}
	if _, err := goOutput(ctx, dir, env, "build", "-trimpath", "-buildvcs=false", "-ldflags="+ldflags, "-o", binPath, t.pkg); err != nil {
		return Image{}, err
	}
	b.logf("%s: compiled in %s", ref, time.Since(start).Round(100*time.Millisecond))
	if t.pinned != "" {
		if err := checkVersion(binPath, t.pinned, strings.TrimPrefix(ref, t.name+":")); err != nil {
			return Image{}, err
		}
	}
	bin, err := os.ReadFile(binPath)
	if err != nil {
		return Image{}, err
	}
	files = append(files, file{name: t.bin, data: bin, mode: 0o755})
	sum := contentSum(files)
	if img, ok := b.existing(ctx, t.name, ref, LabelContent, sum); ok {
		b.logf("%s: up to date (%s)", ref, shortID(img.ID))
		return img, nil
	}

	labels := map[string]string{LabelContent: sum}
	if sourceKey != "" {
		labels[labelSource] = sourceKey
	}
	previous, _ := b.docker.ImageInspect(ctx, ref)
	if err := b.dockerBuild(ctx, ref, files, labels); err != nil {
		return Image{}, err
	}
	img, err := b.docker.ImageInspect(ctx, ref)
	if err != nil {
		return Image{}, fmt.Errorf("images: %s was built but cannot be inspected: %w", ref, err)
	}
	if previous.ID != "" && previous.ID != img.ID {
		// The old image lost its tag; drop it unless something still uses it.
		_, _ = b.docker.ImageRemove(ctx, previous.ID, client.ImageRemoveOptions{PruneChildren: true})
	}
	b.logf("%s: built %s in %s", ref, shortID(img.ID), time.Since(start).Round(100*time.Millisecond))
	return Image{Name: t.name, Ref: ref, ID: img.ID}, nil
}

// existing returns the image ref when its label key has the value want.
func (b *Builder) existing(ctx context.Context, name, ref, key, want string) (Image, bool) {
	img, err := b.docker.ImageInspect(ctx, ref)
	if err != nil || img.Config == nil || img.Config.Labels[key] != want {
		return Image{}, false
	}
	return Image{Name: name, Ref: ref, ID: img.ID, Reused: true}, true
}

// sourceKey identifies a pinned module's image before compiling.
func (b *Builder) sourceKey(module string, files []file) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s/%s\nCGO_ENABLED=0 -trimpath -buildvcs=false -ldflags=%s\n%s\n",
		module, b.goVersion, b.goos, b.goarch, ldflags, contentSum(files))
	return hex.EncodeToString(h.Sum(nil))
}

func (b *Builder) dockerBuild(ctx context.Context, ref string, files []file, labels map[string]string) error {
	var buildContext bytes.Buffer
	tw := tar.NewWriter(&buildContext)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	resp, err := b.docker.ImageBuild(ctx, &buildContext, client.ImageBuildOptions{
		Tags: []string{ref}, Labels: labels, Dockerfile: "Dockerfile",
		Remove: true, ForceRemove: true,
	})
	if err != nil {
		return fmt.Errorf("images: docker build %s: %w", ref, err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	if err := jsonmessage.DisplayStream(resp.Body, &out); err != nil {
		return fmt.Errorf("images: docker build %s: %w\n%s", ref, err, out.String())
	}
	return nil
}

// file is one entry of a build context.
type file struct {
	name string
	data []byte
	mode int64
}

// staticFiles are the Dockerfile and config files of t.
func (b *Builder) staticFiles(t target) ([]file, error) {
	df, err := dockerfiles.ReadFile("dockerfiles/" + t.name + ".Dockerfile")
	if err != nil {
		return nil, err
	}
	files := []file{{name: "Dockerfile", data: df, mode: 0o644}}
	if t.files != nil {
		more, err := t.files(b)
		if err != nil {
			return nil, err
		}
		files = append(files, more...)
	}
	return files, nil
}

// moduleFiles are what fixes the binary of a nested module's target besides
// the pinned version: its go.mod, go.sum and Go files. The repository's own
// module gives none: its pinned target is a dependency, fixed by the version.
func (b *Builder) moduleFiles(t target) ([]file, error) {
	if t.module == "" {
		return nil, nil
	}
	dir := filepath.Join(b.dir, t.module)
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	names = append(names, filepath.Join(dir, "go.mod"), filepath.Join(dir, "go.sum"))
	var files []file
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("images: the %s module: %w", t.name, err)
		}
		files = append(files, file{name: "module/" + filepath.Base(name), data: data, mode: 0o644})
	}
	return files, nil
}

// embedded adds the config file dockerfiles/name to a build context.
func embedded(name string) func(*Builder) ([]file, error) {
	return func(*Builder) ([]file, error) {
		data, err := dockerfiles.ReadFile("dockerfiles/" + name)
		return []file{{name: name, data: data, mode: 0o644}}, err
	}
}

// hookbridgeFiles derives the image's config from the repository's
// hookbridge.yaml, so the two never drift: same sources and development
// secrets, but listeners on all interfaces and the embedded store in /data.
func hookbridgeFiles(b *Builder) ([]file, error) {
	conf, err := os.ReadFile(filepath.Join(b.dir, "hookbridge.yaml"))
	if err != nil {
		return nil, fmt.Errorf("images: the hookbridge image's config: %w", err)
	}
	s := string(conf)
	for _, r := range []struct{ old, new string }{
		{`"127.0.0.1:`, `"0.0.0.0:`},
		{`"./data/jetstream"`, `"/data/jetstream"`},
	} {
		if !strings.Contains(s, r.old) {
			return nil, fmt.Errorf("images: hookbridge.yaml no longer contains %s; update hookbridgeFiles", r.old)
		}
		s = strings.ReplaceAll(s, r.old, r.new)
	}
	header := "# The hookbridge image's config: the repository's hookbridge.yaml with its\n" +
		"# listeners on 0.0.0.0 and the embedded store in /data (integration/images).\n"
	return []file{{name: "hookbridge.yaml", data: []byte(header + s), mode: 0o644}}, nil
}

// contentSum hashes the files by name and content, independent of order.
func contentSum(files []file) string {
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b file) int { return strings.Compare(a.name, b.name) })
	h := sha256.New()
	for _, f := range sorted {
		fmt.Fprintf(h, "%s\x00%o\x00%d\x00", f.name, f.mode, len(f.data))
		h.Write(f.data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// checkVersion makes sure the binary holds module at version: the tag says so.
func checkVersion(bin, module, version string) error {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return fmt.Errorf("images: %s: %w", bin, err)
	}
	for _, d := range info.Deps {
		if d.Path == module {
			if d.Replace != nil {
				d = d.Replace
			}
			if strings.TrimPrefix(d.Version, "v") != version {
				return fmt.Errorf("images: %s was built from %s %s, not %s", bin, module, d.Version, version)
			}
			return nil
		}
	}
	if info.Main.Path == module {
		return nil
	}
	return fmt.Errorf("images: %s does not contain %s", bin, module)
}

// goOutput runs the go command in dir and returns its trimmed output.
func goOutput(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("images: go %s: %w\n%s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}
