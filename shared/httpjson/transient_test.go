package httpjson

import (
	"context"
	"fmt"
	"io"
	"testing"
)

func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		status          int
		err             error
		transient, late bool
	}{
		{0, io.ErrUnexpectedEOF, true, false},
		{0, fmt.Errorf("post: %w", context.DeadlineExceeded), false, true},
		{0, context.Canceled, false, false},
		{429, nil, true, false},
		{500, nil, true, false},
		{503, nil, true, false},
		{400, nil, false, false},
		{401, nil, false, false},
		{409, nil, false, false},
		{422, nil, false, false},
	} {
		if got := Transient(tc.status, tc.err); got != tc.transient {
			t.Errorf("Transient(%d, %v) = %v", tc.status, tc.err, got)
		}
		if got := TimedOut(tc.status, tc.err); got != tc.late {
			t.Errorf("TimedOut(%d, %v) = %v", tc.status, tc.err, got)
		}
	}
}
