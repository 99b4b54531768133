package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"

	"google.golang.org/protobuf/encoding/protowire"
)

// traceSetting is how a traced variant traces the bridge: the sampler
// (OTEL_TRACES_SAMPLER and its argument) and the untraced variant it is
// compared with. The bridge exports over OTLP/HTTP to "hookload
// otlp-receiver", a child of its own whose CPU is counted apart from the
// bridge's: a collector's work is not the bridge's cost.
type traceSetting struct {
	base, sampler, arg string
}

// traceEnv is what a hookbridge child's environment adds to the bench's
// own: tracing on, to the receiver at p.otlp, for a traced variant, and
// off for every other, whatever OTEL_* the bench runs with.
func traceEnv(v variant, p benchPorts) []string {
	if v.trace == nil {
		return []string{"OTEL_SDK_DISABLED=true"}
	}
	return []string{
		"OTEL_SDK_DISABLED=false", "OTEL_TRACES_EXPORTER=otlp",
		"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=",
		"OTEL_EXPORTER_OTLP_COMPRESSION=none", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION=",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=", fmt.Sprintf("OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:%d", p.otlp),
		"OTEL_TRACES_SAMPLER=" + v.trace.sampler, "OTEL_TRACES_SAMPLER_ARG=" + v.trace.arg,
	}
}

// otlpStats is what an OTLP receiver got: trace exports, the spans in
// them, their bytes, and the exports it could not decode.
type otlpStats struct {
	Exports uint64 `json:"exports"`
	Spans   uint64 `json:"spans"`
	Bytes   uint64 `json:"bytes"`
	Refused uint64 `json:"refused"`
}

// otlpReceiver is the traced variants' collector: an OTLP/HTTP endpoint
// (POST /v1/traces, protobuf) that counts the spans of each export
// and drops it; GET /stats gives the counts as JSON. It prints "listening
// on http://ADDR" once it accepts connections and stops on ctx's cancel.
func otlpReceiver(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("otlp-receiver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srv := newPlainServer()
	srv.Handler = otlpHandler(new(otlpCounts))
	return serveUntil(ctx, *listen, srv, stdout)
}

// otlpCounts are otlpStats counted by concurrent exports.
type otlpCounts struct{ exports, spans, bytes, refused atomic.Uint64 }

func (c *otlpCounts) stats() otlpStats {
	return otlpStats{Exports: c.exports.Load(), Spans: c.spans.Load(), Bytes: c.bytes.Load(), Refused: c.refused.Load()}
}

func otlpHandler(c *otlpCounts) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(c.stats())
	})
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<20))
		var spans int
		if err == nil {
			spans, err = countSpans(body)
		}
		if err != nil {
			c.refused.Add(1)
			http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
			return
		}
		c.exports.Add(1)
		c.spans.Add(uint64(spans))
		c.bytes.Add(uint64(len(body)))
		// An empty body is the empty ExportTraceServiceResponse: all accepted.
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	})
	return mux
}

// The field numbers of the OTLP messages countSpans walks through
// (opentelemetry/proto/trace/v1/trace.proto).
const (
	fieldResourceSpans protowire.Number = 1 // ExportTraceServiceRequest.resource_spans
	fieldScopeSpans    protowire.Number = 2 // ResourceSpans.scope_spans
	fieldSpans         protowire.Number = 2 // ScopeSpans.spans
)

// countSpans counts the spans of an OTLP ExportTraceServiceRequest without
// decoding them: the receiver shares the machine with the bridge it
// measures, and a full decode of every export cost it about a third of
// the bridge's own CPU per delivery.
func countSpans(export []byte) (int, error) {
	n := 0
	err := eachField(export, fieldResourceSpans, func(rs []byte) error {
		return eachField(rs, fieldScopeSpans, func(ss []byte) error {
			return eachField(ss, fieldSpans, func([]byte) error { n++; return nil })
		})
	})
	return n, err
}

// eachField calls f with the bytes of every length-delimited field num of
// the message b, skipping the others.
func eachField(b []byte, num protowire.Number, f func([]byte) error) error {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		if n == num && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(b)
			if l < 0 {
				return protowire.ParseError(l)
			}
			if err := f(v); err != nil {
				return err
			}
			b = b[l:]
			continue
		}
		l = protowire.ConsumeFieldValue(n, typ, b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
	}
	return nil
}

// startReceiver starts this program as the variant's OTLP receiver.
func (b *benchRun) startReceiver(ctx context.Context, v variant, p benchPorts) (*child, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", p.otlp)
	c, err := b.start(v.key+"-otlp-receiver", nil, b.self, "otlp-receiver", "--listen", addr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(b.out, "started  hookload otlp-receiver --listen %s (pid %d)\n", addr, c.pid())
	return c, c.waitReady(ctx, b.f.readyLimit, "/healthz 200", func() bool { return httpOK("http://" + addr + "/healthz") })
}

// errNoSpans fails a traced round whose bridge exported nothing: it would
// have measured tracing off.
var errNoSpans = errors.New("the OTLP receiver got no spans")

// settleTraces stops the traced variant's bridge, which exports the spans
// it still holds as it stops, and reads what the receiver got over the
// whole round (warm-up and window).
func (b *benchRun) settleTraces(ctx context.Context, row *benchRow, p benchPorts, bridge *child) {
	bridge.stop(b.f.stopGrace)
	st, err := readOTLPStats(ctx, fmt.Sprintf("http://127.0.0.1:%d/stats", p.otlp))
	if err != nil {
		row.err = fmt.Errorf("otlp receiver: %w", err)
		return
	}
	row.otlp = &st
	fmt.Fprintf(b.out, "otlp     %d spans in %d exports (%s) for %d deliveries: %.2f spans, %.0f B per delivery; %d refused\n",
		st.Spans, st.Exports, fmtMiB(st.Bytes), row.answered, perDelivery(st.Spans, row.answered), perDelivery(st.Bytes, row.answered), st.Refused)
	if st.Spans == 0 {
		row.err = errNoSpans
	}
}

func readOTLPStats(ctx context.Context, url string) (otlpStats, error) {
	var st otlpStats
	return st, getJSON(ctx, url, &st)
}

func perDelivery(n, deliveries uint64) float64 {
	if deliveries == 0 {
		return 0
	}
	return float64(n) / float64(deliveries)
}

// printTracing compares each traced variant with its untraced base: the
// rate's ratio is the median of the ratios within a round, the CPU's is
// of the sums over every round.
func printTracing(w io.Writer, ss []*variantSummary, markdown bool) {
	head := []string{"variant", "req/s (median)", "× untraced", "CPU/req hookbridge", "× untraced", "CPU/req nats-server", "× untraced", "CPU/req otlp-receiver", "spans per delivery", "OTLP bytes per delivery"}
	var rows [][]string
	for _, s := range ss {
		if s.v.trace != nil && len(s.rounds) > 0 {
			rows = append(rows, tracingCells(s, find(ss, s.v.trace.base)))
		}
	}
	printSideTable(w, markdown, "tracing on against off (ratios within this run)", head, rows,
		"Tracing on against off: each traced variant beside the untraced one it repeats. The OTLP receiver is a child of its own (hookload otlp-receiver, which counts each export's spans and drops it); its CPU is not in the bridge's. Spans and bytes per delivery are over warm-up and window, after the bridge flushed at its stop.")
}

func tracingCells(s, base *variantSummary) []string {
	hbCPU, hbRatio := cpuAgainst(s, base, "hookbridge")
	nsCPU, nsRatio := cpuAgainst(s, base, "nats-server")
	var spans, bytes, answered uint64
	for _, r := range s.rounds {
		if r.otlp != nil {
			spans, bytes, answered = spans+r.otlp.Spans, bytes+r.otlp.Bytes, answered+r.answered
		}
	}
	return []string{s.v.key + " " + s.v.name, fmt.Sprintf("%.0f", s.rate), ratioCell(rateRatio(s, base)),
		hbCPU, hbRatio, nsCPU, nsRatio, cpuCell(s, "otlp-receiver"),
		fmt.Sprintf("%.2f", perDelivery(spans, answered)), fmt.Sprintf("%.0f", perDelivery(bytes, answered))}
}
