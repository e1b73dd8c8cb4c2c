package main

import (
	"fmt"
	"io"
)

// report prints what was checked, one line each, and for every problem
// what to do about it. Nothing printed comes from a secret's values.
type report struct {
	out    io.Writer
	failed int
	warned int
}

func (r *report) heading(format string, a ...any) {
	fmt.Fprintf(r.out, format+"\n", a...)
}

func (r *report) ok(format string, a ...any) {
	fmt.Fprintf(r.out, "  ok    "+format+"\n", a...)
}

// warn is something that works today but will not for long.
func (r *report) warn(what, fix string) {
	r.warned++
	fmt.Fprintf(r.out, "  WARN  %s\n        to do: %s\n", what, fix)
}

// fail is something that does not work.
func (r *report) fail(what, fix string) {
	r.failed++
	fmt.Fprintf(r.out, "  FAIL  %s\n        fix: %s\n", what, fix)
}

func (r *report) summary(name string, o options) {
	again := "make check-credentials FN=" + name
	if o.secrets != "" {
		again = "the check"
	}
	switch {
	case r.failed > 0:
		fmt.Fprintf(r.out, "%s: %d to fix; then run %s again.\n", name, r.failed, again)
	case r.warned > 0:
		fmt.Fprintf(r.out, "%s: works, with %d warning.\n", name, r.warned)
	default:
		fmt.Fprintf(r.out, "%s: all good.\n", name)
	}
}
