package main

import "errors"

// BacktestCmd is being built; see the open issues.
type BacktestCmd struct{}

// Run reports that the subcommand is not built yet.
func (c *BacktestCmd) Run(g *Globals) error { return errors.New("not built yet") }
