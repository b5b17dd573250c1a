package main

import "errors"

// PubsubEmulatorCmd is being built; see the open issues.
type PubsubEmulatorCmd struct{}

// Run reports that the subcommand is not built yet.
func (c *PubsubEmulatorCmd) Run(g *Globals) error { return errors.New("not built yet") }
