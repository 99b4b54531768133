// Command caddy is Caddy with its standard modules, as Caddy's own
// cmd/caddy/main.go builds it, for the caddy image of integration/images: the
// load balancer in front of several bridges (docker-compose.yml's cluster
// profile and the cluster chaos suite). It is a module of its own so that
// Caddy's dependencies stay out of hookbridge's go.mod; go.mod pins the
// version, which is the image's tag.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

func main() {
	caddycmd.Main()
}
