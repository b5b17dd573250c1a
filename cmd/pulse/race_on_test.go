//go:build race

package main

// raceEnabled says the race detector is on: timing-bound end-to-end tests
// run without it (make test runs them in a second pass).
const raceEnabled = true
