package lambdatest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// BuildPackage compiles the main package at pkg (a path from the module's
// root, such as "./shared/lambdaio/internal/fakefn") the way Build compiles
// a function, and returns the binary's path: for tests that run a bootstrap
// of their own under the emulator.
func BuildPackage(t testing.TB, pkg string) string {
	t.Helper()
	key := "pkg:" + pkg // apart from Build's function names
	if p, ok := builds.Load(key); ok {
		return p.(string)
	}
	dir, err := os.MkdirTemp("", "bootstrap-"+strings.NewReplacer("/", "-", ".", "").Replace(pkg))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", out, pkg)
	cmd.Dir = Root(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", pkg, err, b)
	}
	builds.Store(key, out)
	return out
}

// InvokeRaw sends payload as it is, whatever kind of event it is, and
// returns the function's answer as it is: for an error the runtime
// reports, that is its {"errorMessage", "errorType"} object.
func (f *Function) InvokeRaw(t testing.TB, payload []byte) []byte {
	t.Helper()
	b, err := f.Function.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
