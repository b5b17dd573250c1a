package main

import (
	"fmt"
	"net"
	"strconv"

	"cloud.google.com/go/pubsub/v2/pstest"
)

// PubsubEmulatorCmd is `pulse pubsub-emulator`: the in-process Pub/Sub
// server (the client library's pstest), standalone. Clients reach it with
// PUBSUB_EMULATOR_HOST. It keeps everything in memory; pstest drops
// undelivered messages older than 10 minutes.
type PubsubEmulatorCmd struct {
	Host string `name:"host" default:"127.0.0.1" help:"Address to listen on."`
	Port int    `name:"port" default:"8085" help:"Port to listen on (0 picks a free one)."`
}

// Run serves until SIGINT/SIGTERM.
func (c *PubsubEmulatorCmd) Run(g *Globals) error {
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("--port %d is not a TCP port", c.Port)
	}
	srv := pstest.NewServerWithAddress(net.JoinHostPort(c.Host, strconv.Itoa(c.Port)))
	g.Log.Info().Str("addr", srv.Addr).Msg("pub/sub emulator listening")
	fmt.Printf("export PUBSUB_EMULATOR_HOST=%s\n", srv.Addr)
	<-g.Ctx.Done()
	return srv.Close()
}
