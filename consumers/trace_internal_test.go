package consumers

import (
	"testing"

	"go.opentelemetry.io/otel/trace/noop"
)

// Tracing off is a nil tracer, which process checks before anything else:
// the untraced path is the one without tracing, allocation for allocation.
func TestTracerOffIsNil(t *testing.T) {
	if tracerOf(nil) != nil || tracerOf(noop.NewTracerProvider()) != nil {
		t.Error("a nil or no-op provider gives a tracer")
	}
}
