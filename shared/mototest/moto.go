// Package mototest runs real AWS APIs for tests: moto_server on a free
// loopback port, driven through aws-sdk-go-v2, and a fault proxy in front
// of it. Each service has its helpers in a file of its own.
package mototest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Moto is a running moto_server.
type Moto struct {
	Endpoint string
	Client   *secretsmanager.Client // Secrets Manager's
}

// endpointVars are the SDK's standard variables naming each service's
// endpoint; moto serves them all on one port.
var endpointVars = []string{"AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS"}

// Env is the environment a process needs to reach this moto with the
// SDK's standard configuration.
func (m *Moto) Env() []string { return env(m.Endpoint) }

func env(endpoint string) []string {
	out := []string{
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_EC2_METADATA_DISABLED=true",
	}
	for _, v := range endpointVars {
		out = append(out, v+"="+endpoint)
	}
	return out
}

// Config is the SDK configuration this test process reaches moto with.
func (m *Moto) Config(t testing.TB) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Start runs moto_server for the length of the test. Without moto the test
// fails, saying what to install: a suite that skips it would pass without
// testing the real SDK path.
func Start(t testing.TB) *Moto {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Fatal("moto_server is not installed: install it with `pip install 'moto[server]'` (or `make tools`) and run the tests again")
	}
	endpoint, err := launch(t, bin)
	if err != nil {
		t.Fatal(err)
	}
	m := &Moto{Endpoint: endpoint}
	for _, kv := range m.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	m.Client = secretsmanager.NewFromConfig(m.Config(t))
	return m
}

// launch starts moto_server on a port the system picks (so that no two
// tests' motos can race for one) and reads the port from what it prints.
func launch(t testing.TB, bin string) (string, error) {
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", "0")
	out, err := cmd.StderrPipe()
	if err != nil {
		return "", err
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("starting moto_server: %w", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := runningOn.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		io.Copy(io.Discard, out) // keep moto from blocking on a full pipe
	}()
	select {
	case endpoint := <-found:
		return endpoint, nil
	case <-time.After(30 * time.Second):
		return "", errors.New("moto_server did not say where it runs within 30 s")
	}
}

var runningOn = regexp.MustCompile(`Running on (http://127\.0\.0\.1:\d+)`)
