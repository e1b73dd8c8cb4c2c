// Package lambdatest runs a function's real bootstrap binary under the AWS
// Lambda Runtime Interface Emulator (what `sam local invoke` runs inside its
// container) and invokes it with API Gateway events.
package lambdatest

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/rie"
)

// Root is the module's root folder, found from the test's working folder.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's folder")
		}
		dir = parent
	}
}

// RIE finds aws-lambda-rie: $AWS_LAMBDA_RIE, the Makefile's bin/, then PATH.
func RIE(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("AWS_LAMBDA_RIE"); p != "" {
		return p
	}
	if p := filepath.Join(Root(t), "bin", "aws-lambda-rie"); fileExists(p) {
		return p
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	t.Fatal("aws-lambda-rie is not installed: run `make tools` (it installs the pinned emulator into bin/)")
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

var builds sync.Map // package path → built binary, once per test process

// Build compiles ./functions/<name> the way the Makefile does (for this
// machine's architecture, so the emulator can run it) and returns its path.
func Build(t testing.TB, name string) string {
	t.Helper()
	if p, ok := builds.Load(name); ok {
		return p.(string)
	}
	dir, err := os.MkdirTemp("", "bootstrap-"+name)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", out, "./functions/"+name)
	cmd.Dir = Root(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", name, err, b)
	}
	builds.Store(name, out)
	return out
}

// Function is a bootstrap running under its own emulator.
type Function struct{ *rie.Function }

// Start runs bootstrap under a fresh emulator with env added to this
// process's environment, on ports of its own, for the length of the test.
func Start(t testing.TB, bootstrap string, env ...string) *Function {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f, err := rie.Start(ctx, RIE(t), bootstrap, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.Stop()
		if t.Failed() {
			t.Logf("function output:\n%s", f.Output())
		}
	})
	return &Function{f}
}

// Logs is everything the function and emulator printed so far.
func (f *Function) Logs() string { return f.Output() }

// Invoke sends an API Gateway event and decodes the function's response.
func (f *Function) Invoke(t testing.TB, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Function.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	var out events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(b, &out); err != nil || out.StatusCode == 0 {
		t.Fatalf("the function did not answer an API Gateway response: %s", b)
	}
	return out
}

// LoadEvent reads an API Gateway v2 event file, such as events/*.json.
func LoadEvent(t testing.TB, path string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return ev
}

// JSON decodes a response's body, failing the test when it is not JSON.
func JSON(t testing.TB, r events.APIGatewayV2HTTPResponse) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("response body is not JSON: %q", r.Body)
	}
	return m
}

// EventFiles returns the events/ files whose names start with prefix, and
// fails the test unless each one has an entry in want: a sample added to
// events/ must be given an expectation, and one removed must be noticed.
func EventFiles[V any](t testing.TB, prefix string, want map[string]V) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(Root(t), "events", prefix+"*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := want[filepath.Base(f)]; !ok {
			t.Errorf("events/%s has no expectation in the test", filepath.Base(f))
		}
	}
	if len(files) != len(want) {
		t.Fatalf("events/ has %d %s files, the test expects %d", len(files), prefix, len(want))
	}
	return files
}

// Quiet sends this process's stdout nowhere for the length of a test or
// benchmark: a function built in process writes its EMF metric lines
// there, which would bury a benchmark's table.
func Quiet(t testing.TB) {
	t.Helper()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = null
	t.Cleanup(func() { os.Stdout = stdout; null.Close() })
}
