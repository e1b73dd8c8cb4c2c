// Package rie runs a Lambda bootstrap under the AWS Lambda Runtime Interface
// Emulator (aws-lambda-rie, what `sam local invoke` runs inside its
// container) on loopback ports of its own, and invokes it.
package rie

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"time"
)

// Function is a bootstrap running under its own emulator.
type Function struct {
	URL string // the emulator's invoke URL
	cmd *exec.Cmd
	out *Buffer
}

// Start runs bootstrap under the emulator at rieBin with env added to this
// process's environment, and waits until it listens.
func Start(ctx context.Context, rieBin, bootstrap string, env []string) (*Function, error) {
	api, err := freeAddr()
	if err != nil {
		return nil, err
	}
	emu, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(rieBin,
		"--runtime-interface-emulator-address", emu,
		"--runtime-api-address", api,
		"--log-level", "error",
		bootstrap)
	cmd.Env = append(append(os.Environ(), "AWS_LAMBDA_FUNCTION_TIMEOUT=30"), env...)
	out := &Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", rieBin, err)
	}
	f := &Function{URL: "http://" + emu + "/2015-03-31/functions/function/invocations", cmd: cmd, out: out}
	for {
		c, err := net.DialTimeout("tcp", emu, time.Second)
		if err == nil {
			c.Close()
			return f, nil
		}
		select {
		case <-ctx.Done():
			f.Stop()
			return nil, fmt.Errorf("aws-lambda-rie did not listen on %s: %w\n%s", emu, ctx.Err(), out)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop ends the emulator and the bootstrap.
func (f *Function) Stop() {
	f.cmd.Process.Kill()
	f.cmd.Wait()
}

// Output is everything the function and the emulator printed so far.
func (f *Function) Output() string { return f.out.String() }

// Invoke sends payload and returns the function's answer.
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("invoke answered %d: %s", resp.StatusCode, b)
	}
	return b, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Buffer is a bytes.Buffer safe for the concurrent writes of a process's
// stdout and stderr.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
