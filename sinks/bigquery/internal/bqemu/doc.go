// Package bqemu starts goccy/bigquery-emulator for tests: found through
// $PULSE_BIGQUERY_EMULATOR or <repo>/bin/bigquery-emulator (a skip when
// absent, a failure when PULSE_REQUIRE_SERVICES=1; skipped under -short), on free loopback ports,
// with a file database so Stop and Restart keep the rows, ready when its
// REST API answers, killed in t.Cleanup. Only tests import it.
package bqemu
