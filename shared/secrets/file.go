package secrets

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// File loads a secret from a local JSON file, for local runs.
type File struct{ Path string }

// Name is the file's path.
func (f File) Name() string { return f.Path }

// Load reads the file afresh, so edits apply on the next refetch.
func (f File) Load(context.Context) ([]byte, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("secrets file %s does not exist", f.Path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading secrets file %s: %w", f.Path, err)
	}
	return b, nil
}
