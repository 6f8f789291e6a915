//go:build nodev

package app

import (
	"context"
	"errors"
	"io"
)

// Dev is not in a build made for production (-tags nodev): the simulators
// `incidentbot dev` runs against stay out of the binary that serves.
func Dev(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer, o DevOptions, info BuildInfo) error {
	return errors.New("this incidentbot was built for production (-tags nodev) and has no simulators: run `go run ./cmd/incidentbot dev` from the source")
}
