package secrets

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
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

// Load fetches the current version's SecretString. Every error it returns
// is a *ConfigError (the operator must change the secret, SECRET_ID or the
// function's role) or an *UnavailableError (a passing fault); neither's
// message carries the SDK's text, which only Unwrap reaches.
//
// Whether the read ran out of time is decided by ctx itself: bound it (as
// Cache does with ReadTimeout) for the read to have a time limit.
func (m Manager) Load(ctx context.Context) ([]byte, error) {
	var last error // the error of the SDK's last attempt, which a timeout may hide
	out, err := m.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &m.ID}, recordAttempts(&last))
	if err != nil {
		return nil, classify(ctx, m.ID, err, last)
	}
	if out.SecretString == nil {
		return nil, configError("secret "+displayName(m.ID)+" has no SecretString (fill it with a JSON object)", nil)
	}
	return []byte(*out.SecretString), nil
}

// classify turns an error of GetSecretValue into a ConfigError or an
// UnavailableError. last is the error of the SDK's last attempt, if known:
// when the read runs out of time while the SDK waits to retry a throttled
// attempt, the error returned says only that the context ended.
func classify(ctx context.Context, id string, err, last error) error {
	name := displayName(id)
	var api smithy.APIError
	if errors.As(err, &api) {
		if msg := configProblem(name, api); msg != "" {
			return configError(msg, err)
		}
	}
	fault := FaultFailed
	switch {
	case isThrottle(err) || (ctx.Err() != nil && isThrottle(last)):
		fault = FaultThrottled
	case ctx.Err() != nil:
		// Decided by the read's own context, never by an error that
		// merely wraps context.DeadlineExceeded.
		fault = FaultTimeout
	case api != nil:
		fault = FaultFailed
	case isConnection(err):
		fault = FaultUnreachable
	}
	return &UnavailableError{Secret: name, Fault: fault, Err: err}
}

// configProblem is the operator's problem an API error names, or "" when the
// error is a passing fault.
func configProblem(name string, api smithy.APIError) string {
	code := api.ErrorCode()
	switch {
	case code == "ResourceNotFoundException":
		return "secret " + name + " does not exist (check SECRET_ID)"
	case code == "DecryptionFailure" || strings.HasPrefix(code, "KMS") ||
		(isAccessDenied(code) && strings.Contains(api.ErrorMessage(), "KMS")):
		return "secret " + name + " cannot be decrypted: the function's role needs kms:Decrypt on its key"
	case isAccessDenied(code):
		return "the function's role may not read secret " + name + " (secretsmanager:GetSecretValue)"
	case code == "InvalidRequestException":
		return "secret " + name + " cannot be read: Secrets Manager refused the request (is the secret scheduled for deletion?)"
	case code == "InvalidParameterException":
		return "secret " + name + " cannot be read: Secrets Manager rejected the request (check SECRET_ID)"
	case code == "UnrecognizedClientException" || code == "InvalidClientTokenId" ||
		code == "InvalidSignatureException" || code == "IncompleteSignature" ||
		code == "MissingAuthenticationToken" || code == "SignatureDoesNotMatch":
		return "secret " + name + " cannot be read: Secrets Manager refused the function's AWS credentials"
	}
	return ""
}

func isAccessDenied(code string) bool {
	return code == "AccessDeniedException" || code == "AccessDenied"
}

// throttleCodes are the codes AWS services use for throttling.
var throttleCodes = map[string]bool{
	"ThrottlingException": true, "Throttling": true, "ThrottledException": true,
	"RequestThrottledException": true, "TooManyRequestsException": true,
	"RequestLimitExceeded": true, "RequestThrottled": true, "SlowDown": true,
}

func isThrottle(err error) bool {
	var api smithy.APIError
	if err != nil && errors.As(err, &api) && throttleCodes[api.ErrorCode()] {
		return true
	}
	var re *smithyhttp.ResponseError
	return err != nil && errors.As(err, &re) && re.HTTPStatusCode() == 429
}

// isConnection reports a request that got no answer: refused, reset,
// closed, DNS or another network failure.
func isConnection(err error) bool {
	var send *smithyhttp.RequestSendError
	var netErr net.Error
	return errors.As(err, &send) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// recordAttempts makes the SDK's retryer report the error of each failed
// attempt into *last.
func recordAttempts(last *error) func(*secretsmanager.Options) {
	return func(o *secretsmanager.Options) {
		if r, ok := o.Retryer.(aws.RetryerV2); ok {
			o.Retryer = recordingRetryer{RetryerV2: r, last: last}
		}
	}
}

type recordingRetryer struct {
	aws.RetryerV2
	last *error
}

func (r recordingRetryer) IsErrorRetryable(err error) bool {
	*r.last = err
	return r.RetryerV2.IsErrorRetryable(err)
}
