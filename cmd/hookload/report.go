package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// printRun prints one run's figures as text.
func printRun(w io.Writer, label string, rc runConfig, r *runResult) {
	fmt.Fprintf(w, "%-8s %d requests (%d first sends, %d replays) in %s = %.0f req/s over %d connections (%d dialled)\n",
		label, r.Requests, r.Firsts, r.Replays, r.Elapsed.Round(time.Millisecond), r.rate(), rc.Conns, r.Dials)
	fmt.Fprintf(w, "latency  p50 %s  p90 %s  p99 %s  max %s  (mean %s, %d answered)\n",
		fmtDur(r.Latency.quantile(0.50)), fmtDur(r.Latency.quantile(0.90)), fmtDur(r.Latency.quantile(0.99)),
		fmtDur(r.Latency.maxValue()), fmtDur(r.Latency.mean()), r.Latency.n)
	fmt.Fprintf(w, "status   %s\n", statusLine(r.Status))
	if r.Wrapped {
		fmt.Fprintf(w, "note     the %d pre-generated deliveries were sent more than once (a plain target does not dedup)\n", len(r.States))
	}
	if r.Exhausted {
		fmt.Fprintf(w, "note     the %d pre-generated deliveries ran out after %s: the figures are over that time (raise --max-pool or give --requests)\n",
			len(r.States), r.Elapsed.Round(time.Millisecond))
	}
	if r.Unexpected > 0 {
		fmt.Fprintf(w, "UNEXPECTED %d answers", r.Unexpected)
		if len(r.Errors) > 0 {
			fmt.Fprintf(w, "; e.g. %s", strings.Join(r.Errors, "; "))
		}
		fmt.Fprintln(w)
	}
}

func printLoadMarkdown(w io.Writer, rc runConfig, lr *loadRun, rep *checkReport) {
	r := lr.main
	fmt.Fprintln(w, "| conns | requests | duration | req/s | p50 | p90 | p99 | max | status | check |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
	check := "off"
	if rep != nil {
		check = fmt.Sprintf("lost %d, duplicated %d, lost acks %d", rep.Lost, rep.Duplicated, rep.LostAck)
		if !rep.ok() {
			check = "**FAIL** " + check
		}
	}
	fmt.Fprintf(w, "| %d | %d | %s | %.0f | %s | %s | %s | %s | %s | %s |\n",
		rc.Conns, r.Requests, r.Elapsed.Round(time.Millisecond), r.rate(),
		fmtDur(r.Latency.quantile(0.5)), fmtDur(r.Latency.quantile(0.9)), fmtDur(r.Latency.quantile(0.99)),
		fmtDur(r.Latency.maxValue()), statusLine(r.Status), check)
}

// fmtDur prints a latency with three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.3gs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.3gms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%dµs", d/time.Microsecond)
	}
}

func fmtCPU(d time.Duration) string {
	return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond))
}

func fmtMiB(b uint64) string {
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func printMarkdownTable(w io.Writer, head []string, rows [][]string) {
	fmt.Fprintln(w, "| "+strings.Join(head, " | ")+" |")
	sep := make([]string, len(head))
	for i := range sep {
		sep[i] = "---"
	}
	fmt.Fprintln(w, "|"+strings.Join(sep, "|")+"|")
	for _, r := range rows {
		cells := make([]string, len(head))
		copy(cells, r)
		for i := range cells {
			cells[i] = strings.ReplaceAll(cells[i], "|", `\|`)
		}
		fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |")
	}
}

func printAligned(w io.Writer, head []string, rows [][]string) {
	width := make([]int, len(head))
	all := append([][]string{head}, rows...)
	for _, r := range all {
		for i, c := range r {
			if i < len(width) {
				width[i] = max(width[i], len([]rune(c)))
			}
		}
	}
	for _, r := range all {
		var sb strings.Builder
		for i, c := range r {
			if i >= len(width) {
				break
			}
			sb.WriteString(c)
			sb.WriteString(strings.Repeat(" ", width[i]-len([]rune(c))+2))
		}
		fmt.Fprintln(w, strings.TrimRight(sb.String(), " "))
	}
}
