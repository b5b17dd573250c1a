package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/pstest"

	"github.com/olympus-cloud/pulse/events/eventgen"
	psink "github.com/olympus-cloud/pulse/sinks/pubsub"
)

// TestReplicaKilledMidStream runs three `pulse run` processes on one
// subscription with their state in Redis, kills one with SIGKILL while
// traffic flows, and checks that after Pub/Sub redelivers its unacked
// messages every hourly window still reaches the brute-force figures:
// nothing the killed replica closed is lost.
func TestReplicaKilledMidStream(t *testing.T) {
	if raceEnabled {
		t.Skip("runs separate pulse processes; make test runs it without -race")
	}
	redisURL, prefix := requireRedis(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := pstest.NewServer()
	defer srv.Close()
	conn, err := psink.Connect(ctx, psink.Config{ProjectID: "pulse-test", EmulatorHost: srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A short ack deadline, so the killed replica's messages come back soon.
	if err := conn.EnsureSubscription(ctx, "orders", "pulse-orders", 10); err != nil {
		t.Fatal(err)
	}
	if err := conn.EnsureSubscription(ctx, "tenant-metrics", "test-metrics", 10); err != nil {
		t.Fatal(err)
	}

	bin := filepath.Join(t.TempDir(), "pulse")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var procs []*exec.Cmd
	for range 3 {
		cmd := exec.Command(bin, "run", "--project", "pulse-test", "--no-generate", "--state", "redis",
			"--redis-url", redisURL, "--redis-prefix", prefix, "--lease-shards", "16", "--lease-ttl", "3s",
			"--idle-timeout", "1s", "--http-addr", "127.0.0.1:0", "--streams", "4",
			"--bigquery-data-dir", filepath.Join(t.TempDir(), "rows"), "--log-level", "error", "--log-format", "json")
		cmd.Env = append(os.Environ(), "PUBSUB_EMULATOR_HOST="+srv.Addr)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, cmd)
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				_ = cmd.Process.Signal(syscall.SIGTERM) // graceful; the wait below bounds it
				done := make(chan struct{})
				go func() { _ = cmd.Wait(); close(done) }() // exit status of a test child: not needed
				select {
				case <-done:
				case <-time.After(30 * time.Second):
					_ = cmd.Process.Kill() // stuck: the test is over anyway
				}
			}
		})
	}
	metrics := &collected{}
	go func() {
		s := conn.Client.Subscriber("test-metrics")
		_ = s.Receive(ctx, func(_ context.Context, m *pubsub.Message) { // ends with ctx
			metrics.mu.Lock()
			metrics.msgs = append(metrics.msgs, m)
			metrics.mu.Unlock()
			m.Ack()
		})
	}()

	gen, err := eventgen.New(eventgen.Config{Seed: 23, Tenants: 6, Now: time.Now().Add(-2 * time.Hour), Duration: 6 * time.Hour,
		MaxEvents: 4000, LateShare: -1, MalformedShare: -1})
	if err != nil {
		t.Fatal(err)
	}
	truth := eventgen.NewTruth(time.Hour)
	publishGenerated(t, ctx, conn.Client, "orders", gen, truth.Add)

	// Kill the first replica once windows are flowing, with no chance to
	// drain: it started first, so it most likely holds the closing leases,
	// which must pass on.
	waitFor(t, 60*time.Second, "the first closed windows", func() bool { return metrics.len() > 20 })
	if err := procs[0].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = procs[0].Wait() // killed on purpose: its exit status says so

	want := truth.Windows()
	v := waitForTruth(t, metrics, want, 120*time.Second)
	// A close step the killed replica had published but not committed is
	// closed again by the next holder: the same ids, published twice, and
	// where redelivered events landed in between, a correction follows
	// (the figures above are each window's latest revision). Nothing it
	// committed is lost: every close is published before its commit.
	again := 0
	for _, msgs := range v.firsts {
		if len(msgs) > 1 {
			again++
		}
	}
	t.Logf("%d first results, %d published again after the kill", len(v.firsts), again)
}
