package main

import "errors"

// GenerateCmd is being built; see the open issues.
type GenerateCmd struct{}

// Run reports that the subcommand is not built yet.
func (c *GenerateCmd) Run(g *Globals) error { return errors.New("not built yet") }
