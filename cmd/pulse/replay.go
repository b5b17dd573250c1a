package main

import "errors"

// ReplayCmd is being built; see the open issues.
type ReplayCmd struct{}

// Run reports that the subcommand is not built yet.
func (c *ReplayCmd) Run(g *Globals) error { return errors.New("not built yet") }
