//go:build !unix

package postmortem

import (
	"fmt"
	"os"
)

// lockDir opens the lock file; without flock only the in-process mutex
// keeps exports apart.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrExport, err)
	}
	return f, nil
}
