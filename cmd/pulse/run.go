package main

import "errors"

// RunCmd is being built; see the open issues.
type RunCmd struct{}

// Run reports that the subcommand is not built yet.
func (c *RunCmd) Run(g *Globals) error { return errors.New("not built yet") }
