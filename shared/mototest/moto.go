// Package mototest runs real AWS APIs for tests: moto_server on a free
// loopback port, driven through aws-sdk-go-v2, and a fault proxy in front
// of it. Each service has its helpers in a file of its own.
package mototest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting moto_server: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not start on %s: %v", endpoint, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	m := &Moto{Endpoint: endpoint}
	for _, kv := range m.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	m.Client = secretsmanager.NewFromConfig(m.Config(t))
	return m
}
