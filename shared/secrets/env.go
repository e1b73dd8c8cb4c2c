package secrets

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// FromEnv returns the Secrets Manager source named by SECRET_ID, with the
// SDK's standard configuration (so AWS_ENDPOINT_URL_SECRETS_MANAGER works).
func FromEnv(ctx context.Context) (Source, error) {
	id := strings.TrimSpace(os.Getenv("SECRET_ID"))
	if id == "" {
		return nil, errors.New("SECRET_ID is not set (the name or ARN of the function's secret)")
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, errors.New("the AWS SDK configuration could not be loaded: " + err.Error())
	}
	return Manager{Client: secretsmanager.NewFromConfig(cfg), ID: id}, nil
}
