package main

import "errors"

// BqCmd is being built; see the open issues.
type BqCmd struct{}

// Run reports that the subcommand is not built yet.
func (c *BqCmd) Run(g *Globals) error { return errors.New("not built yet") }
