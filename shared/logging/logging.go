// Package logging builds the JSON slog logger both functions use, at the
// level Lambda's advanced logging controls set in AWS_LAMBDA_LOG_LEVEL.
package logging

import (
	"io"
	"log/slog"
	"strings"
)

// Level maps Lambda's log level names (TRACE, DEBUG, INFO, WARN, ERROR,
// FATAL) to slog levels; anything else, including empty, is INFO.
func Level(name string) slog.Level {
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "TRACE", "DEBUG":
		return slog.LevelDebug
	case "WARN", "WARNING":
		return slog.LevelWarn
	case "ERROR", "FATAL":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// New returns a JSON logger writing to w at the named level.
func New(w io.Writer, level string) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: Level(level)}))
}
