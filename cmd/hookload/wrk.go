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
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// wrk drives the bench's variants instead of hookload's own runner when
// --load wrk is given: the issue that sets the targets measured with wrk,
// which costs a fraction of the CPU per request that a Go client does, so
// the rate ratios between servers are not compressed by the load tool
// competing with them for the same two cores.

// wrkThreads is wrk's -t: one thread per core of this 2-core machine, as
// the issue ran it.
const wrkThreads = 2

// wrkTimeout is wrk's --timeout. wrk sizes its latency histogram by it
// (8 bytes per microsecond, allocated lazily), and counts an answer slower
// than it as a timeout.
const wrkTimeout = 10 * time.Second

// wrkScript is the Lua script wrk runs. The requests are pre-formatted by
// hookload (as wrk.format would lay them out) into a data file of records
// "<length>\n<request>", and each thread keeps, in init, only its share:
// record k belongs to thread k%threads+1, so no delivery goes out twice
// unless a thread runs out and wraps, which done reports. setup numbers
// the threads; done prints, after wrk's own summary, the exact run time,
// each thread's share and requests started, and wrk's latency histogram.
// A thread's first request waits on the gate, a FIFO, until hookload has
// seen every thread ready: otherwise the first thread would send while the
// next one reads its share, before wrk's clock starts, and its requests
// would count in a window that leaves that time out.
//
// Arguments: the thread count, the data file and the gate.
const wrkScript = `-- hookload bench: sends pre-generated, signed deliveries, each once.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  local count = tonumber(args[1])
  gate = args[3]
  local f = assert(io.open(args[2], "rb"))
  local started = os.clock()
  reqs, share, sent, wrapped = {}, 0, 0, 0
  local k = 0
  while true do
    local line = f:read("*l")
    if not line then break end
    local n = tonumber(line)
    if k % count == id - 1 then
      share = share + 1
      reqs[share] = f:read(n)
    else
      f:seek("cur", n)
    end
    k = k + 1
  end
  f:close()
  if share == 0 then error("hookload-wrk: thread " .. id .. " has no deliveries") end
  io.stderr:write(string.format("hookload-wrk ready %d %d %.3f\n", id, share, os.clock() - started))
end

function request()
  sent = sent + 1
  -- wrk runs a thread as soon as its init is done, before it calls the
  -- next one's; a thread's first request therefore waits, on the gate (a
  -- FIFO hookload opens once every thread is ready), for the last init.
  -- wrk calls thread 1's request once before running it, to check it.
  if not released and not (id == 1 and sent == 1) then
    local g = assert(io.open(gate, "r"))
    g:close()
    released = true
  end
  if sent > share then wrapped = 1 end
  return reqs[(sent - 1) % share + 1]
end

function done(summary, latency, requests)
  io.write(string.format("hookload-wrk summary %.0f %.0f\n", summary.duration, summary.requests))
  for _, t in ipairs(threads) do
    io.write(string.format("hookload-wrk thread %d %.0f %.0f\n", t:get("id"), t:get("share"), t:get("sent")))
  end
  for i = 1, #latency do
    local v, c = latency(i)
    io.write(string.format("hookload-wrk latency %.0f %.0f\n", v, c))
  end
end
`

// writeWrkData writes ds as wrk requests to path, for host (the Host
// header, "127.0.0.1:8080"), in the record layout wrkScript reads.
func writeWrkData(path, host string, ds []delivery) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var req bytes.Buffer
	for i := range ds {
		req.Reset()
		formatWrkRequest(&req, host, &ds[i])
		fmt.Fprintf(w, "%d\n", req.Len())
		w.Write(req.Bytes())
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// formatWrkRequest lays d out as an HTTP/1.1 request, as wrk.format does:
// request line, Host, the delivery's headers (in a fixed order), its
// Content-Length, and the body.
func formatWrkRequest(b *bytes.Buffer, host string, d *delivery) {
	fmt.Fprintf(b, "POST %s HTTP/1.1\r\nHost: %s\r\n", d.path, host)
	keys := make([]string, 0, len(d.header))
	for k := range d.header {
		if k != "Host" && k != "Content-Length" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range d.header[k] {
			fmt.Fprintf(b, "%s: %s\r\n", k, v)
		}
	}
	fmt.Fprintf(b, "Content-Length: %d\r\n\r\n", len(d.body))
	b.Write(d.body)
}

// wrkConfig is one wrk run.
type wrkConfig struct {
	Bin      string // wrk
	Dir      string // where the script and data are written
	Name     string // the files' base name ("warm", "main")
	URL      string // "http://127.0.0.1:8080"
	Conns    int
	Threads  int
	Duration time.Duration
	// Log, when set, gets wrk's output as it was printed.
	Log io.Writer
}

// wrkResult is one wrk run's figures: wrk's summary, read from its output.
type wrkResult struct {
	Requests uint64        // answers wrk read in full
	Duration time.Duration // wrk's run time, from its start after every thread's init
	Non2xx   uint64        // "Non-2xx or 3xx responses": wrk counts a status above 399
	// Socket errors as wrk counts them; Timeout also counts answers slower
	// than wrk's --timeout.
	Connect, Read, Write, Timeout uint64
	P50, P75, P90, P99, Max       time.Duration
	// From the script's done: the requests each thread started (a thread's
	// first is started once more by wrk to check the script's request, and
	// never sent) and its share of the deliveries, and wrk's latencies.
	Sent, Share []uint64
	Latency     histogram
	// InitCPU is the slowest thread's init (reading its share) in CPU
	// time; no thread sends before every init is done (the gate).
	InitCPU time.Duration
	// CPU is wrk's user and system time from the moment every thread was
	// ready (when ready was called) to its exit.
	CPU time.Duration
}

// sentTotal is the requests every thread started.
func (r *wrkResult) sentTotal() uint64 {
	var n uint64
	for _, s := range r.Sent {
		n += s
	}
	return n
}

// wrapped reports whether a thread ran out of its share and sent
// deliveries again.
func (r *wrkResult) wrapped() bool {
	for i := range r.Sent {
		if i < len(r.Share) && r.Sent[i] > r.Share[i] {
			return true
		}
	}
	return false
}

// ok2xx is the answers wrk did not count as failed: 2xx (or 3xx, which no
// target gives).
func (r *wrkResult) ok2xx() uint64 { return r.Requests - min(r.Non2xx, r.Requests) }

func (r *wrkResult) socketErrors() uint64 { return r.Connect + r.Read + r.Write + r.Timeout }

func (r *wrkResult) rate() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Duration.Seconds()
}

// statusLine is the answers as the bench's status column shows them.
func (r *wrkResult) statusLine() string {
	s := fmt.Sprintf("2xx %d", r.ok2xx())
	if r.Non2xx > 0 {
		s += fmt.Sprintf(", non-2xx %d", r.Non2xx)
	}
	if r.socketErrors() > 0 {
		s += fmt.Sprintf(", socket errors: connect %d, read %d, write %d, timeout %d", r.Connect, r.Read, r.Write, r.Timeout)
	}
	return s
}

// sentSet marks, of ds as written for threads threads, the deliveries r
// says were started: thread t's j-th request is record j*threads+t-1.
func (r *wrkResult) sentSet(ds []delivery, threads int) checkSet {
	states := make([]deliveryState, len(ds))
	for t, sent := range r.Sent {
		for j := uint64(0); j < sent; j++ {
			k := int(j)*threads + t
			if k >= len(ds) {
				break
			}
			states[k].sent = true
		}
	}
	return checkSet{ds: ds, states: states}
}

// runWrk writes ds and the script to cfg.Dir, runs wrk on them for
// cfg.Duration, and returns its figures. ready, when set, is called once
// every wrk thread has read its share, just before wrk's clock starts.
func runWrk(ctx context.Context, cfg wrkConfig, ds []delivery, ready func()) (*wrkResult, error) {
	if len(ds) < cfg.Threads {
		return nil, fmt.Errorf("wrk: %d deliveries for %d threads", len(ds), cfg.Threads)
	}
	script := filepath.Join(cfg.Dir, "wrk.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o600); err != nil {
		return nil, err
	}
	data := filepath.Join(cfg.Dir, cfg.Name+".wrk")
	host := strings.TrimPrefix(strings.TrimPrefix(cfg.URL, "http://"), "https://")
	if err := writeWrkData(data, host, ds); err != nil {
		return nil, err
	}
	defer os.Remove(data)
	gate := filepath.Join(cfg.Dir, cfg.Name+".gate")
	_ = os.Remove(gate)
	if err := syscall.Mkfifo(gate, 0o600); err != nil {
		return nil, fmt.Errorf("wrk: the gate: %w", err)
	}
	defer os.Remove(gate)
	secs := max(int(cfg.Duration.Round(time.Second)/time.Second), 1)
	// A wrk that outlives its run by this much is stuck (a thread waiting
	// on a gate that was never opened, say): it is killed, and the run
	// fails.
	ctx, cancel := context.WithTimeout(ctx, time.Duration(secs)*time.Second+wrkTimeout+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cfg.Bin, "-t"+strconv.Itoa(cfg.Threads), "-c"+strconv.Itoa(cfg.Conns),
		"-d"+strconv.Itoa(secs)+"s", "--timeout", strconv.Itoa(int(wrkTimeout/time.Second))+"s", "--latency",
		"-s", script, cfg.URL+"/", strconv.Itoa(cfg.Threads), data, gate)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting wrk: %w", err)
	}
	var (
		mu       sync.Mutex
		atReady  time.Duration
		initCPU  time.Duration
		errLines []string
		opened   *os.File
	)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(stderr)
		readyThreads := 0
		for sc.Scan() {
			var id, share int
			var secs float64
			if n, _ := fmt.Sscanf(sc.Text(), "hookload-wrk ready %d %d %f", &id, &share, &secs); n == 3 {
				mu.Lock()
				initCPU = max(initCPU, time.Duration(secs*float64(time.Second)))
				mu.Unlock()
				if readyThreads++; readyThreads == cfg.Threads {
					cpu, _ := procCPU(cmd.Process.Pid)
					if ready != nil {
						ready()
					}
					// Open for reading and writing: never blocks, and
					// lets every reader's open through until wrk exits.
					g, err := os.OpenFile(gate, os.O_RDWR, 0)
					mu.Lock()
					atReady, opened = cpu, g
					if err != nil {
						errLines = append(errLines, "opening the gate: "+err.Error())
					}
					mu.Unlock()
				}
				continue
			}
			mu.Lock()
			if len(errLines) < 10 {
				errLines = append(errLines, sc.Text())
			}
			mu.Unlock()
		}
	}()
	<-readDone
	werr := cmd.Wait()
	if opened != nil {
		opened.Close()
	}
	if cfg.Log != nil {
		cfg.Log.Write(stdout.Bytes())
	}
	if werr != nil || len(errLines) > 0 && !strings.Contains(stdout.String(), "hookload-wrk summary") {
		return nil, fmt.Errorf("wrk: %v: %s", werr, strings.Join(errLines, "; "))
	}
	res, err := parseWrkOutput(stdout.String())
	if err != nil {
		return nil, err
	}
	if len(res.Sent) != cfg.Threads {
		return nil, fmt.Errorf("wrk: the script reported %d threads, want %d", len(res.Sent), cfg.Threads)
	}
	st := cmd.ProcessState
	res.CPU = st.UserTime() + st.SystemTime() - atReady
	res.InitCPU = initCPU
	return res, nil
}

var (
	wrkRequestsRE = regexp.MustCompile(`(?m)^\s*(\d+) requests in ([0-9.]+[a-z]+), `)
	wrkLatencyRE  = regexp.MustCompile(`(?m)^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)\s+\S+\s*$`)
	wrkPctRE      = regexp.MustCompile(`(?m)^\s*(50|75|90|99)%\s+(\S+)\s*$`)
	wrkSocketRE   = regexp.MustCompile(`(?m)^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)\s*$`)
	wrkNon2xxRE   = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses: (\d+)\s*$`)
)

// errWrkOutput is wrk's output lacking what the bench reads from it.
var errWrkOutput = errors.New("wrk output")

// parseWrkOutput reads wrk 4's summary (run with --latency) and, when
// present, the lines the bench's script prints after it. The summary's
// run time has 10 ms resolution; the script's is exact and wins.
func parseWrkOutput(out string) (*wrkResult, error) {
	r := &wrkResult{}
	m := wrkRequestsRE.FindStringSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("%w: no \"N requests in T\" line", errWrkOutput)
	}
	var err error
	if r.Requests, err = strconv.ParseUint(m[1], 10, 64); err != nil {
		return nil, fmt.Errorf("%w: requests %q: %v", errWrkOutput, m[1], err)
	}
	if r.Duration, err = time.ParseDuration(m[2]); err != nil {
		return nil, fmt.Errorf("%w: duration %q: %v", errWrkOutput, m[2], err)
	}
	if m := wrkLatencyRE.FindStringSubmatch(out); m != nil {
		if r.Max, err = time.ParseDuration(m[3]); err != nil {
			return nil, fmt.Errorf("%w: latency max %q: %v", errWrkOutput, m[3], err)
		}
	}
	pcts := wrkPctRE.FindAllStringSubmatch(out, -1)
	if len(pcts) != 4 {
		return nil, fmt.Errorf("%w: %d latency percentiles, want 50, 75, 90, 99 (run with --latency)", errWrkOutput, len(pcts))
	}
	for _, p := range pcts {
		d, err := time.ParseDuration(p[2])
		if err != nil {
			return nil, fmt.Errorf("%w: %s%% %q: %v", errWrkOutput, p[1], p[2], err)
		}
		*map[string]*time.Duration{"50": &r.P50, "75": &r.P75, "90": &r.P90, "99": &r.P99}[p[1]] = d
	}
	if m := wrkSocketRE.FindStringSubmatch(out); m != nil {
		for i, dst := range []*uint64{&r.Connect, &r.Read, &r.Write, &r.Timeout} {
			*dst, _ = strconv.ParseUint(m[i+1], 10, 64)
		}
	}
	if m := wrkNon2xxRE.FindStringSubmatch(out); m != nil {
		r.Non2xx, _ = strconv.ParseUint(m[1], 10, 64)
	}
	return r, r.parseScriptLines(out)
}

// parseScriptLines reads the lines the bench's script's done prints.
func (r *wrkResult) parseScriptLines(out string) error {
	for line := range strings.SplitSeq(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "hookload-wrk" {
			continue
		}
		nums := make([]uint64, 0, 3)
		for _, s := range f[2:] {
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return fmt.Errorf("%w: %q: %v", errWrkOutput, line, err)
			}
			nums = append(nums, n)
		}
		switch {
		case f[1] == "summary" && len(nums) == 2:
			if nums[1] != r.Requests {
				return fmt.Errorf("%w: the script counted %d requests, the summary %d", errWrkOutput, nums[1], r.Requests)
			}
			r.Duration = time.Duration(nums[0]) * time.Microsecond
		case f[1] == "thread" && len(nums) == 3:
			if int(nums[0]) != len(r.Sent)+1 {
				return fmt.Errorf("%w: thread %d out of order", errWrkOutput, nums[0])
			}
			r.Share, r.Sent = append(r.Share, nums[1]), append(r.Sent, nums[2])
		case f[1] == "latency" && len(nums) == 2:
			r.Latency.recordN(nums[0], nums[1])
		default:
			return fmt.Errorf("%w: %q", errWrkOutput, line)
		}
	}
	return nil
}

// wrkVersion is wrk's version line ("wrk debian/4.1.0-3+b2 [epoll]").
func wrkVersion(ctx context.Context, bin string) string {
	out, _ := exec.CommandContext(ctx, bin, "-v").CombinedOutput() // exits 1 after the usage
	first, _, _ := strings.Cut(string(out), "\n")
	first, _, _ = strings.Cut(first, " Copyright")
	return strings.TrimSpace(first)
}
