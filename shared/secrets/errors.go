package secrets

import (
	"errors"
	"strings"
)

// ConfigError is a secret that is missing, unreadable or lacks keys: the
// operator's to fix, answered as a 500 that names the problem. Its message
// never carries a value nor the SDK's error text; the SDK's error, when there
// is one, is only reachable through Unwrap, for the operator's log.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Fault is the kind of passing failure that kept a secret from being read.
type Fault int

// The faults an UnavailableError names.
const (
	FaultFailed      Fault = iota // Secrets Manager answered with an error of its own (5xx, an unknown code)
	FaultThrottled                // Secrets Manager is throttling the function
	FaultTimeout                  // no answer before the read's time ran out
	FaultUnreachable              // connection refused or reset, DNS, TLS: no answer at all
)

func (f Fault) String() string {
	switch f {
	case FaultThrottled:
		return "Secrets Manager is throttling"
	case FaultTimeout:
		return "Secrets Manager did not answer in time"
	case FaultUnreachable:
		return "Secrets Manager could not be reached"
	default:
		return "Secrets Manager failed"
	}
}

// UnavailableError is a secret that could not be read because of a passing
// fault (throttling, a timeout, Secrets Manager down or unreachable):
// answered as a 503 with Retry-After, since a retry can succeed without
// anyone changing anything.
//
// Error() is a fixed sentence naming the secret and the kind of fault, safe
// to send to a caller. The underlying error (the SDK's, with request ids,
// ARNs and account ids) is kept only for Unwrap, so that an operator's log
// line can carry it.
type UnavailableError struct {
	Secret string // the secret's id as shown to callers: a name, never an ARN
	Fault  Fault
	Err    error // the cause; never part of Error()
}

func (e *UnavailableError) Error() string {
	return "the secret " + e.Secret + " could not be read: " + e.Fault.String() + "; retry later"
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// causedError is a sanitized message that keeps the error behind it for
// Unwrap: the message goes to the caller, the cause only to the log.
type causedError struct {
	msg   string
	cause error
}

func (e *causedError) Error() string { return e.msg }
func (e *causedError) Unwrap() error { return e.cause }

func configError(msg string, cause error) *ConfigError {
	if cause == nil {
		return &ConfigError{Err: errors.New(msg)}
	}
	return &ConfigError{Err: &causedError{msg: msg, cause: cause}}
}

// typed returns err as it is when it is a ConfigError or an
// UnavailableError, and wraps any other error from a source in a
// ConfigError: a source other than Secrets Manager (a local file) fails only
// in ways its operator must fix.
func typed(err error) error {
	if err == nil || isTyped(err) {
		return err
	}
	return &ConfigError{Err: err}
}

func isTyped(err error) bool {
	var ce *ConfigError
	var ue *UnavailableError
	return errors.As(err, &ce) || errors.As(err, &ue)
}

// displayName is how a secret id appears in messages a caller can read. A
// name appears as it is; an ARN (which holds the region and account id) is
// shortened to the secret's name, which is still enough for an operator to
// recognise SECRET_ID.
func displayName(id string) string {
	if !strings.HasPrefix(id, "arn:") {
		return id
	}
	if _, name, ok := strings.Cut(id, ":secret:"); ok && name != "" {
		return name
	}
	return "named by SECRET_ID"
}
