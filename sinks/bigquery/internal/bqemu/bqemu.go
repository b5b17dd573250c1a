package bqemu

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// Project is the project id the emulator serves.
const Project = "pulse-test"

// Emulator is a goccy/bigquery-emulator process started by a test.
type Emulator struct {
	bin, db          string
	port, grpcPort   int
	cmd              *exec.Cmd
	exited           chan struct{}
	URL              string // REST endpoint, for option.WithEndpoint
	Project, Dataset string
}

// emulatorBinary finds the emulator: $PULSE_BIGQUERY_EMULATOR, else
// <repo>/bin/bigquery-emulator. Without one the test is skipped, unless
// PULSE_REQUIRE_SERVICES=1 makes that a failure.
func Binary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("BigQuery emulator tests skipped in -short mode")
	}
	bin := os.Getenv("PULSE_BIGQUERY_EMULATOR")
	if bin == "" {
		if root, err := repoRoot(); err == nil {
			bin = filepath.Join(root, "bin", "bigquery-emulator")
		}
	}
	if st, err := os.Stat(bin); err == nil && !st.IsDir() {
		return bin
	}
	msg := "BigQuery emulator not found: set PULSE_BIGQUERY_EMULATOR or build bin/bigquery-emulator (cd tools/bigquery-emulator && go build -o ../../bin/bigquery-emulator github.com/goccy/bigquery-emulator/cmd/bigquery-emulator)"
	if os.Getenv("PULSE_REQUIRE_SERVICES") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "events")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start starts an emulator on free ports with a file database (so
// it can be stopped and restarted without losing rows) and waits until it
// answers.
func Start(t testing.TB, dataset string) *Emulator {
	t.Helper()
	e := &Emulator{
		bin:      Binary(t),
		db:       filepath.Join(t.TempDir(), "bq.db"),
		port:     freePort(t),
		grpcPort: freePort(t),
		Project:  Project,
		Dataset:  dataset,
	}
	e.URL = "http://127.0.0.1:" + strconv.Itoa(e.port)
	e.Restart(t)
	t.Cleanup(func() {
		e.Stop()
		if t.Failed() {
			if b, err := os.ReadFile(e.db + ".log"); err == nil {
				t.Logf("emulator log (tail):\n%s", tail(b, 4000))
			}
		}
	})
	return e
}

// Restart starts the process again (after Stop) on the same ports and
// database file, and waits until it answers.
func (e *Emulator) Restart(t testing.TB) {
	t.Helper()
	e.cmd = exec.Command(e.bin, "--project", e.Project, "--dataset", e.Dataset,
		"--host", "127.0.0.1", "--port", strconv.Itoa(e.port), "--grpc-port", strconv.Itoa(e.grpcPort),
		"--database", e.db)
	logf, err := os.OpenFile(e.db+".log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	e.cmd.Stdout = logf
	e.cmd.Stderr = logf
	if err := e.cmd.Start(); err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	e.exited = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) {
		_ = c.Wait() // exit status of a killed emulator is expected noise
		logf.Close()
		close(done)
	}(e.cmd, e.exited)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(e.URL + "/projects/" + e.Project + "/datasets")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-e.exited:
			t.Fatal("emulator exited during start")
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("emulator not ready after 60s")
		}
	}
}

// Stop kills the emulator (SIGKILL, as a crash) and waits for it to exit.
func (e *Emulator) Stop() {
	if e.cmd == nil || e.cmd.Process == nil {
		return
	}
	select {
	case <-e.exited:
		return
	default:
	}
	_ = e.cmd.Process.Kill() // may race with a natural exit; Wait reports it
	<-e.exited
}

// Logger is a zerolog logger for tests: warnings into the test log with -v,
// else nothing.
func Logger(t testing.TB) zerolog.Logger {
	if testing.Verbose() {
		return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	}
	return zerolog.Nop()
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
