package deploys

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/incidentbot/incidentbot/incidents"
)

// ErrNotFound means no deployment has the ID; it is incidents.ErrNotFound,
// so either test answers alike.
var ErrNotFound = incidents.ErrNotFound

// Store keeps deployments and which deployment caused which incident.
type Store interface {
	// AddDeployment stores d under d.ID. When the ID is already stored it keeps
	// what is stored and reports false: a CI job that retries adds nothing.
	AddDeployment(ctx context.Context, d Deployment) (added bool, err error)
	// Deployment returns the deployment with id; ErrNotFound if none.
	Deployment(ctx context.Context, id string) (Deployment, error)
	// Deployments returns the deployments with At in [from, to), oldest first.
	Deployments(ctx context.Context, from, to time.Time) ([]Deployment, error)
	// SetCause records that deployment id caused incident, replacing an
	// earlier link of that incident.
	SetCause(ctx context.Context, incident int64, id string) error
	// Causes returns every incident's causing deployment, by incident number.
	Causes(ctx context.Context) (map[int64]string, error)
}

// WithID returns d with an ID: its own, or one derived from what it
// describes (service, environment, version, status, time), so that a
// sender who retries without an ID still records one deployment.
func (d Deployment) WithID() Deployment {
	if d.ID != "" {
		return d
	}
	h := sha256.New()
	for _, s := range []string{d.Service, d.Environment, d.Version, string(d.Status), d.At.UTC().Format(time.RFC3339Nano)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	d.ID = "d-" + hex.EncodeToString(h.Sum(nil))[:12]
	return d
}
