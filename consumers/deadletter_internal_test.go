package consumers

import (
	"errors"
	"strings"
	"testing"
)

func TestReasonHeader(t *testing.T) {
	if got, want := reasonHeader("exhausted", errors.New("always failing")), "exhausted: always failing"; got != want {
		t.Errorf("reasonHeader = %q, want %q", got, want)
	}
	long := errors.New(strings.Repeat("x", 5000))
	got := reasonHeader("permanent", long)
	if len(got) != maxReasonLen || !strings.HasPrefix(got, "permanent: xxx") {
		t.Errorf("a long cause gives a %d-byte reason starting %.14q; want %d bytes starting with the reason", len(got), got, maxReasonLen)
	}
}
