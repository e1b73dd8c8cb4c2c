package secrets

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// FromEnv returns the source the environment names, and only that one:
// SECRET_ID, the Secrets Manager secret (name or ARN) a deployed function
// reads with the SDK's standard configuration (so
// AWS_ENDPOINT_URL_SECRETS_MANAGER works); or SECRETS_FILE, a local JSON file
// for runs without AWS. Never both, and never one in place of the other.
func FromEnv(ctx context.Context) (Source, error) {
	id := strings.TrimSpace(os.Getenv("SECRET_ID"))
	file := strings.TrimSpace(os.Getenv("SECRETS_FILE"))
	switch {
	case id != "" && file != "":
		return nil, errors.New("both SECRET_ID and SECRETS_FILE are set: set SECRET_ID in AWS, SECRETS_FILE only for local runs")
	case file != "":
		return File{Path: file}, nil
	case id == "":
		return nil, errors.New("SECRET_ID is not set (the name or ARN of the function's secret)")
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		// The SDK's text goes to the log through Unwrap, not to callers.
		return nil, &causedError{msg: "the AWS SDK configuration could not be loaded (check the AWS_ variables of the function)", cause: err}
	}
	return Manager{Client: secretsmanager.NewFromConfig(cfg), ID: id}, nil
}
