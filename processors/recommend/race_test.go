//go:build race

package recommend

// raceEnabled skips measurements the race detector would slow tenfold.
const raceEnabled = true
