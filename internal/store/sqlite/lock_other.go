//go:build !unix

package sqlite

import (
	"errors"
	"fmt"
	"os"
)

// errLocked means another process holds the lock.
var errLocked = errors.New("locked")

// lockFile only opens path: on platforms without flock the data dir is not
// protected against a second process.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	return f, nil
}

// tryLock does nothing on platforms without flock: a backup's temporary
// file is then not protected against a concurrent backup's cleanup.
func tryLock(*os.File) error { return nil }
