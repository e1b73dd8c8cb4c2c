package mototest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

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
