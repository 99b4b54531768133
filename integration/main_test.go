package integration

import (
	"fmt"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// Before any testcontainers call, which reads its configuration once: no
	// reaper (its image cannot be pulled; every test cleans up itself), and
	// published ports are on 127.0.0.1.
	ConfigureTestcontainers()
	os.Exit(m.Run())
}

// deliveryIDs returns n distinct delivery ids.
func deliveryIDs(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%04d", prefix, i)
	}
	return ids
}
