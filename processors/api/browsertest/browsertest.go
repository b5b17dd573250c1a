// Package browsertest starts headless Chromium for the dashboard's browser
// tests (processors/api and cmd/pulse). Test support only: the pulse
// binary does not import it.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// Chromium finds the browser, or skips the test (fails it under
// PULSE_REQUIRE_SERVICES=1, as in CI).
func Chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("PULSE_REQUIRE_SERVICES") == "1" {
		t.Fatal("chromium is not installed (apt-get install -y chromium) and PULSE_REQUIRE_SERVICES=1")
	}
	t.Skip("chromium is not installed: apt-get install -y chromium to run the dashboard browser test")
	return ""
}

// Open starts the headless Chromium at bin (see Chromium) with a window of
// width x height, a throwaway profile and no background traffic, and
// navigates to url. The first navigation starts the browser, so it carries
// no timeout; derive one from the returned context for the test's steps.
// The browser stops when the test ends.
func Open(t *testing.T, bin, url string, width, height int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(width, height))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelA)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(cancelB)
	if err := chromedp.Do(bctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	return bctx
}

// WriteArtifact writes a screenshot to the repository's testdata/artifacts
// (git-ignored), found from the test's directory, or to the test's temp
// dir when that fails.
func WriteArtifact(t *testing.T, name string, b []byte) {
	t.Helper()
	dir := t.TempDir()
	if root, err := repoRoot(); err == nil {
		if d := filepath.Join(root, "testdata", "artifacts"); os.MkdirAll(d, 0o755) == nil {
			dir = d
		}
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatalf("write %s: %v", p, err)
	}
	t.Logf("screenshot: %s (%d bytes)", p, len(b))
}

// repoRoot is the nearest directory holding go.mod, from the working
// directory (a test runs in its package's directory) up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", os.ErrNotExist
		}
		dir = up
	}
}
