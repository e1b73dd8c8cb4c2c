package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/brazezendesk/bridge/shared/mototest"
)

// stdin is a pipe-like file holding text, as `make secrets < file` gives.
func stdin(t *testing.T, text string) *os.File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func secret(t *testing.T, m *mototest.Moto, id string) map[string]string {
	t.Helper()
	out, err := m.Client.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	json.Unmarshal([]byte(*out.SecretString), &v)
	return v
}

func TestMergeKeepsOtherKeysAndPrintsNoValue(t *testing.T) {
	m := mototest.Start(t)
	const id = "bridge/braze-to-zendesk"
	// The template's initial value, as the stack generates it.
	m.Put(t, id, map[string]string{"braze_webhook_token": "generated-token", "zendesk_email": "", "zendesk_api_token": ""})
	var out bytes.Buffer
	err := run(context.Background(), []string{"-fn", "BrazeToZendeskFunction", "-stack", "bridge"},
		stdin(t, "zendesk_oauth_client_id = bridge_integration\nzendesk_oauth_client_secret=s3cr3t-client-secret\n"), &out, m.Client)
	if err != nil {
		t.Fatal(err)
	}
	got := secret(t, m, id)
	if got["braze_webhook_token"] != "generated-token" || got["zendesk_oauth_client_id"] != "bridge_integration" ||
		got["zendesk_oauth_client_secret"] != "s3cr3t-client-secret" || got["zendesk_email"] != "" || got["zendesk_api_token"] != "" {
		t.Errorf("secret = %v", got)
	}
	if o := out.String(); strings.Contains(o, "s3cr3t") || strings.Contains(o, "generated-token") || strings.Contains(o, "bridge_integration") ||
		!strings.Contains(o, "zendesk_oauth_client_id, zendesk_oauth_client_secret") ||
		!strings.Contains(o, "make check-credentials FN=BrazeToZendesk STACK=bridge") {
		t.Errorf("output = %q", o)
	}

	// Rotating one key later keeps the rest; an empty value keeps a key.
	out.Reset()
	if err := run(context.Background(), []string{"-fn", "BrazeToZendesk", "-stack", "bridge"},
		stdin(t, "zendesk_oauth_client_secret=rotated\nzendesk_oauth_client_id=\n"), &out, m.Client); err != nil {
		t.Fatal(err)
	}
	if got := secret(t, m, id); got["zendesk_oauth_client_secret"] != "rotated" || got["zendesk_oauth_client_id"] != "bridge_integration" || got["braze_webhook_token"] != "generated-token" {
		t.Errorf("after rotation: %v", got)
	}
}

// TestAPITokenKeysStillSettable: a deployment still on an API token can
// rotate it, by naming its keys.
func TestAPITokenKeysStillSettable(t *testing.T) {
	m := mototest.Start(t)
	const id = "bridge/zendesk-to-braze"
	m.Put(t, id, map[string]string{"braze_api_key": "k"})
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-fn", "ZendeskToBraze", "-stack", "bridge", "-keys", "zendesk_email, zendesk_api_token"},
		stdin(t, "zendesk_email=agent@acme.com\nzendesk_api_token=s3cr3t-zd-token\n"), &out, m.Client); err != nil {
		t.Fatal(err)
	}
	if got := secret(t, m, id); got["zendesk_email"] != "agent@acme.com" || got["zendesk_api_token"] != "s3cr3t-zd-token" || got["braze_api_key"] != "k" {
		t.Errorf("secret = %v", got)
	}
	if strings.Contains(out.String(), "s3cr3t") {
		t.Errorf("output = %q", out.String())
	}
}

func TestRefusals(t *testing.T) {
	m := mototest.Start(t)
	m.Put(t, "bridge/zendesk-to-braze", map[string]string{"braze_api_key": "k"})
	for _, tc := range []struct {
		name, in string
		args     []string
		want     string
	}{
		{"unknown function", "", []string{"-fn", "Other"}, "-fn must be"},
		{"a key the function does not read", "braze_webhook_token=x\n", []string{"-fn", "ZendeskToBraze", "-stack", "bridge"}, "not a key this function reads"},
		{"a key of the other function", "", []string{"-fn", "BrazeToZendesk", "-stack", "bridge", "-keys", "braze_api_key"}, "braze_api_key is not a key BrazeToZendesk reads"},
		{"an API-token key without -keys", "zendesk_api_token=x\n", []string{"-fn", "ZendeskToBraze", "-stack", "bridge"}, "name it with -keys"},
		{"no such stack", "braze_api_key=x\n", []string{"-fn", "ZendeskToBraze", "-stack", "nope"}, "reading nope/zendesk-to-braze"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tc.args, stdin(t, tc.in), &out, m.Client)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if got := secret(t, m, "bridge/zendesk-to-braze"); got["braze_api_key"] != "k" || len(got) != 1 {
		t.Errorf("a refused run changed the secret: %v", got)
	}
}
