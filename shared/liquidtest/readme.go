package liquidtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brazezendesk/bridge/shared/lambdatest"
)

// Template returns the fenced code block that follows the line
// `<!-- template: NAME -->` in the module's README.md, without its fences.
// The test fails when the marker is missing or repeated, or when no fenced
// block follows it: what users are told to paste is what is tested.
func Template(t testing.TB, name string) string {
	t.Helper()
	path := filepath.Join(lambdatest.Root(t), "README.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the README: %v", err)
	}
	tmpl, err := extract(string(b), name)
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	return tmpl
}

type extractError string

func (e extractError) Error() string { return string(e) }

// extract finds the block after the marker for name in a Markdown text.
func extract(readme, name string) (string, error) {
	marker := "<!-- template: " + name + " -->"
	lines := strings.Split(strings.ReplaceAll(readme, "\r\n", "\n"), "\n")
	at := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == marker {
			if at >= 0 {
				return "", extractError("the marker " + marker + " appears more than once")
			}
			at = i
		}
	}
	if at < 0 {
		return "", extractError("no line " + marker + " (the template " + name + " is no longer marked, or was renamed)")
	}
	i := at + 1
	for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	if i == len(lines) || !strings.HasPrefix(strings.TrimSpace(lines[i]), "```") {
		return "", extractError("no fenced code block follows " + marker)
	}
	fence := strings.TrimSpace(lines[i])
	fence = fence[:len(fence)-len(strings.TrimLeft(fence, "`"))] // the backticks only
	var body []string
	for j := i + 1; j < len(lines); j++ {
		if strings.TrimSpace(lines[j]) == fence {
			if len(body) == 0 {
				return "", extractError("the code block after " + marker + " is empty")
			}
			return strings.Join(body, "\n") + "\n", nil
		}
		body = append(body, lines[j])
	}
	return "", extractError("the code block after " + marker + " is not closed")
}
