package secrets

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// GetSecretValueAPI is the one Secrets Manager call this package makes.
type GetSecretValueAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Manager loads a secret from AWS Secrets Manager by name or ARN.
type Manager struct {
	Client GetSecretValueAPI
	ID     string
}

// Name is the secret's id, which is not itself secret.
func (m Manager) Name() string { return m.ID }

// Load fetches the current version's SecretString.
func (m Manager) Load(ctx context.Context) ([]byte, error) {
	out, err := m.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &m.ID})
	if err != nil {
		var nf *smtypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return nil, fmt.Errorf("secret %s does not exist (check SECRET_ID)", m.ID)
		}
		return nil, fmt.Errorf("reading secret %s: %w", m.ID, err)
	}
	if out.SecretString == nil {
		return nil, fmt.Errorf("secret %s has no SecretString (fill it with a JSON object)", m.ID)
	}
	return []byte(*out.SecretString), nil
}
