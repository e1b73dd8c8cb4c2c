// Package lambdatest runs a function's real bootstrap binary under the AWS
// Lambda Runtime Interface Emulator (what `sam local invoke` runs inside its
// container) and invokes it with API Gateway events.
package lambdatest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
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
type Function struct {
	URL  string // the emulator's invoke URL
	logs *syncBuffer
}

// Start runs bootstrap under a fresh emulator with env added to this
// process's environment, on ports of its own, for the length of the test.
func Start(t testing.TB, bootstrap string, env ...string) *Function {
	t.Helper()
	rie := RIE(t)
	api, emu := freePort(t), freePort(t)
	cmd := exec.Command(rie,
		"--runtime-interface-emulator-address", emu,
		"--runtime-api-address", api,
		"--log-level", "error",
		bootstrap)
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "AWS_LAMBDA_FUNCTION_TIMEOUT=30")
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting aws-lambda-rie: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("function output:\n%s", logs.String())
		}
	})
	f := &Function{URL: "http://" + emu + "/2015-03-31/functions/function/invocations", logs: logs}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", emu, time.Second)
		if err == nil {
			c.Close()
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("aws-lambda-rie did not listen on %s:\n%s", emu, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Logs is everything the function and emulator printed so far.
func (f *Function) Logs() string { return f.logs.String() }

// InvokeRaw sends payload and returns the function's raw answer.
func (f *Function) InvokeRaw(t testing.TB, payload []byte) []byte {
	t.Helper()
	resp, err := http.Post(f.URL, "application/json", bytes.NewReader(payload))
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke answered %d: %s", resp.StatusCode, b)
	}
	return b
}

// Invoke sends an API Gateway event and decodes the function's response.
func (f *Function) Invoke(t testing.TB, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var out events.APIGatewayV2HTTPResponse
	b := f.InvokeRaw(t, payload)
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

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Env formats k=v pairs.
func Env(kv ...string) []string {
	var out []string
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, fmt.Sprintf("%s=%s", kv[i], strings.TrimSpace(kv[i+1])))
	}
	return out
}
