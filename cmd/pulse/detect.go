package main

import "errors"

// DetectCmd is being built; see the open issues.
type DetectCmd struct{}

// Run reports that the subcommand is not built yet.
func (c *DetectCmd) Run(g *Globals) error { return errors.New("not built yet") }
