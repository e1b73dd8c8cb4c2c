// Package secretstest runs a real Secrets Manager API for tests: moto_server
// on a free loopback port, driven through aws-sdk-go-v2.
package secretstest

import (
	"context"
	"encoding/json"
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
	Client   *secretsmanager.Client
}

// Env is the environment a process needs to reach this moto with the
// SDK's standard configuration.
func (m *Moto) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + m.Endpoint,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_EC2_METADATA_DISABLED=true",
	}
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
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m.Client = secretsmanager.NewFromConfig(cfg)
	return m
}

// Put creates or overwrites the secret name with the JSON of v.
func (m *Moto) Put(t testing.TB, name string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	m.PutString(t, name, string(b))
}

// PutString creates or overwrites the secret name with s as it is.
func (m *Moto) PutString(t testing.TB, name, s string) {
	t.Helper()
	ctx := context.Background()
	_, err := m.Client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(s)})
	if err == nil {
		return
	}
	if _, err := m.Client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(s)}); err != nil {
		t.Fatalf("creating secret %s: %v", name, err)
	}
}
