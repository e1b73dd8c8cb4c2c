package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/brazezendesk/bridge/shared/logging"
)

func TestLevel(t *testing.T) {
	tests := []struct {
		name string
		want slog.Level
	}{
		{"TRACE", slog.LevelDebug},
		{"DEBUG", slog.LevelDebug},
		{"INFO", slog.LevelInfo},
		{"WARN", slog.LevelWarn},
		{"WARNING", slog.LevelWarn},
		{"ERROR", slog.LevelError},
		{"FATAL", slog.LevelError},
		{"", slog.LevelInfo},
		{"junk", slog.LevelInfo},
		{"VERBOSE", slog.LevelInfo},
		{"-4", slog.LevelInfo},
		{"trace", slog.LevelDebug},
		{"debug", slog.LevelDebug},
		{"info", slog.LevelInfo},
		{"warn", slog.LevelWarn},
		{"error", slog.LevelError},
		{"fatal", slog.LevelError},
		{"Debug", slog.LevelDebug},
		{"wArN", slog.LevelWarn},
		{" ERROR ", slog.LevelError},
		{"debug\n", slog.LevelDebug},
		{"DE BUG", slog.LevelInfo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := logging.Level(tt.name); got != tt.want {
				t.Fatalf("Level(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func TestNew(t *testing.T) {
	tests := []struct {
		level string
		want  []string // messages that must come out, in order
	}{
		{"INFO", []string{"info", "warn", "error"}},
		{"", []string{"info", "warn", "error"}},
		{"junk", []string{"info", "warn", "error"}},
		{"DEBUG", []string{"debug", "info", "warn", "error"}},
		{"TRACE", []string{"debug", "info", "warn", "error"}},
		{"WARN", []string{"warn", "error"}},
		{"ERROR", []string{"error"}},
		{"FATAL", []string{"error"}},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			log := logging.New(&buf, tt.level)
			ctx := context.Background()
			log.DebugContext(ctx, "debug", "n", 1)
			log.InfoContext(ctx, "info", "n", 2)
			log.WarnContext(ctx, "warn", "n", 3)
			log.ErrorContext(ctx, "error", "n", 4)
			got := lines(t, &buf)
			var msgs []string
			for _, l := range got {
				msgs = append(msgs, l["msg"].(string))
			}
			if strings.Join(msgs, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("level %q logged %v, want %v", tt.level, msgs, tt.want)
			}
			for _, l := range got {
				if l["level"] != strings.ToUpper(l["msg"].(string)) {
					t.Errorf("line %v: level does not match", l)
				}
				if _, ok := l["time"]; !ok {
					t.Errorf("line %v has no time", l)
				}
				if _, ok := l["n"].(float64); !ok {
					t.Errorf("line %v lost its attribute", l)
				}
			}
		})
	}
}

func TestNewWritesJSONAttributes(t *testing.T) {
	var buf bytes.Buffer
	log := logging.New(&buf, "INFO")
	log.Info("request", "path", "/braze/tickets", "status", 201, "quote", `a"b`+"\n")
	got := lines(t, &buf)
	if len(got) != 1 {
		t.Fatalf("%d lines, want 1: %s", len(got), buf.String())
	}
	l := got[0]
	if l["msg"] != "request" || l["path"] != "/braze/tickets" || l["status"] != float64(201) || l["quote"] != "a\"b\n" || l["level"] != "INFO" {
		t.Fatalf("line = %v", l)
	}
	if !log.Enabled(context.Background(), slog.LevelInfo) || log.Enabled(context.Background(), slog.LevelDebug) {
		t.Fatal("INFO logger must enable info and not debug")
	}
}
