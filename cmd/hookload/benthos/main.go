// Command benthos is Benthos 4.27 with only the components hookload's bench
// configures (an http_server input, Bloblang mappings, a switch and reject
// output, and a nats_jetstream output), for the bench's side by side
// comparison with hookbridge (variants e and e-plain). It is a module of its
// own so that Benthos's many dependencies stay out of hookbridge's go.mod;
// go.mod pins the version the bench names.
package main

import (
	"context"

	_ "github.com/benthosdev/benthos/v4/public/components/io"
	_ "github.com/benthosdev/benthos/v4/public/components/nats"
	_ "github.com/benthosdev/benthos/v4/public/components/pure"
	"github.com/benthosdev/benthos/v4/public/service"
)

func main() { service.RunCLI(context.Background()) }
