package webhook

import (
	"errors"
	"fmt"
	"net/http"
)

// InvalidError is a body a route cannot take, named by the field at fault.
// It is the caller's to fix, so it answers 400 and is never retried.
type InvalidError struct {
	Field string
	Msg   string
}

func (e *InvalidError) Error() string { return e.Msg }

// Invalid builds an InvalidError for field.
func Invalid(field, format string, args ...any) *InvalidError {
	return &InvalidError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// InvalidBody is the InvalidError for a body that could not be decoded,
// naming the field when the decoder's error does (a repeated key).
func InvalidBody(err error) *InvalidError {
	var f interface{ Field() string }
	if errors.As(err, &f) {
		return &InvalidError{Field: f.Field(), Msg: err.Error()}
	}
	return &InvalidError{Msg: err.Error()}
}

// BadRequest is the 400 answer for a body err refuses, naming the field
// when err is (or wraps) an InvalidError.
func BadRequest(err error) Response {
	var e *InvalidError
	if !errors.As(err, &e) {
		e = &InvalidError{Msg: err.Error()}
	}
	return Fail(&Error{Status: http.StatusBadRequest, Message: e.Msg, Field: e.Field})
}
