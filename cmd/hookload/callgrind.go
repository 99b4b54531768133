package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The ways a callgrind dump cannot be read.
var (
	errNoTotals = errors.New("callgrind dump: no totals: or summary: line")
	errNoIr     = errors.New("callgrind dump: the events: line has no Ir (instructions)")
	errBadCount = errors.New("callgrind dump: the instruction count is not a number")
)

// callgrind is valgrind's callgrind tool and the program that asks a
// process running under it to dump its counters.
type callgrind struct{ valgrind, control string }

// findCallgrind finds valgrind and callgrind_control on PATH.
func findCallgrind(lookPath func(string) (string, error)) (callgrind, error) {
	var c callgrind
	var errs []error
	for _, p := range []struct {
		name string
		dst  *string
	}{{"valgrind", &c.valgrind}, {"callgrind_control", &c.control}} {
		bin, err := lookPath(p.name)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.name, err))
		}
		*p.dst = bin
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("instructions needs valgrind's callgrind (the Debian package valgrind: apt-get install valgrind): %w", err)
	}
	return c, nil
}

// command is the command line running bin with args under callgrind, its
// dumps written into dir as cg.out.<pid>.<part>. Nothing is counted at
// start-up that the caller does not throw away with the first dump.
func (c callgrind) command(dir, bin string, args ...string) []string {
	return append([]string{"--tool=callgrind", "--callgrind-out-file=" + filepath.Join(dir, "cg.out.%p"), bin}, args...)
}

// callgrindEnv is what a Go program needs to run under valgrind: the signals of
// asynchronous preemption and valgrind's signal handling do not mix.
var callgrindEnv = []string{"GODEBUG=asyncpreemptoff=1"}

// dump asks the process pid running under callgrind to write what it
// counted since it started or since its last dump (callgrind zeroes its
// counters on every dump), and returns the dump's path (the part-th of
// the process) and the instructions in it.
// callgrind_control answers once the file is written; the file is still
// waited for, briefly, in case it is not complete yet.
func (c callgrind) dump(ctx context.Context, pid int, dir string, part int) (string, uint64, error) {
	out, err := exec.CommandContext(ctx, c.control, "-d", strconv.Itoa(pid)).CombinedOutput()
	if err == nil && !bytes.Contains(out, []byte("OK.")) {
		// It exits 0 when it finds no such process, saying so.
		err = errors.New("no dump")
	}
	if err != nil {
		return "", 0, fmt.Errorf("callgrind_control -d %d: %w: %s", pid, err, bytes.TrimSpace(out))
	}
	path := filepath.Join(dir, fmt.Sprintf("cg.out.%d.%d", pid, part))
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := readDumpFile(path)
		if err == nil || time.Now().After(deadline) {
			return path, n, err
		}
		select {
		case <-ctx.Done():
			return "", 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func readDumpFile(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := readInstructions(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// readInstructions reads the instructions (the Ir event) a callgrind dump
// counted: its totals: line, or its summary: line if it has no totals.
// The events: line says which column is Ir; without one, Ir is the only
// event (callgrind's default).
func readInstructions(r io.Reader) (uint64, error) {
	col := 0
	var totals, summary string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20) // function names can be long
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "events:"):
			col = -1
			for i, e := range strings.Fields(strings.TrimPrefix(line, "events:")) {
				if e == "Ir" {
					col = i
					break
				}
			}
		case strings.HasPrefix(line, "totals:"):
			totals = strings.TrimPrefix(line, "totals:")
		case strings.HasPrefix(line, "summary:"):
			summary = strings.TrimPrefix(line, "summary:")
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("callgrind dump: %w", err)
	}
	if col < 0 {
		return 0, errNoIr
	}
	counts := totals
	if counts == "" {
		counts = summary
	}
	fields := strings.Fields(counts)
	if len(fields) == 0 {
		return 0, errNoTotals
	}
	if col >= len(fields) {
		return 0, fmt.Errorf("%w: %d counts for event %d", errBadCount, len(fields), col+1)
	}
	n, err := strconv.ParseUint(fields[col], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", errBadCount, fields[col])
	}
	return n, nil
}
