package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/incidentbot/incidentbot/evidence"
	"github.com/incidentbot/incidentbot/incidents"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/discard"
	"github.com/incidentbot/incidentbot/internal/store"
	"github.com/incidentbot/incidentbot/postmortem"
)

// chainSource is what `incidentbot verify` and `incidentbot evidence` read.
type chainSource interface {
	GetIncident(ctx context.Context, number int64) (*incidents.Incident, error)
	// ListIncidents returns incidents newest first (Before and Limit page them).
	ListIncidents(ctx context.Context, opts incidents.ListOptions) ([]*incidents.Incident, error)
	// TimelineChain returns an incident's events in chain order (Seq 1, 2,
	// 3, …), each with its Seq and Hash as stored.
	TimelineChain(ctx context.Context, number int64) ([]incidents.Event, error)
}

// openReadOnly opens the store for a command beside a running serve, as
// export-postmortems does: the embedded store is read from a consistent
// snapshot without its lock.
func openReadOnly(ctx context.Context, env config.Env) (store.Store, func(), error) {
	st, err := store.OpenReadOnly(ctx, store.Options{
		URI: env.MongoDBURI, Database: env.MongoDBDatabase, DataDir: env.DataDir, Logger: discard.Logger(),
	})
	if err != nil {
		return nil, nil, err
	}
	return st, func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		st.Close(cctx)
	}, nil
}

// Verify runs `incidentbot verify [--incident N]` (number 0: every
// incident): it recomputes each timeline's hash chain, prints what it
// checked, and fails naming the first changed, inserted or removed event
// of each broken chain.
func Verify(ctx context.Context, getenv func(string) string, number int64, stdout io.Writer) error {
	st, closeStore, err := openReadOnly(ctx, config.LoadEnv(getenv, nil))
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	defer closeStore()
	return verifyChains(ctx, st, number, stdout)
}

// verifyPage is how many incidents verify lists at a time.
const verifyPage = 500

// verifyChains verifies the chain of incident number (0: of every incident,
// oldest first), one line per incident, then a total.
func verifyChains(ctx context.Context, src chainSource, number int64, w io.Writer) error {
	numbers := []int64{number}
	if number == 0 {
		var err error
		if numbers, err = incidentNumbers(ctx, src); err != nil {
			return fmt.Errorf("verify: %w", err)
		}
	} else if _, err := src.GetIncident(ctx, number); err != nil {
		return fmt.Errorf("verify: incident #%d: %w", number, err)
	}
	events, broken := 0, 0
	var first error
	for _, n := range numbers {
		chain, err := src.TimelineChain(ctx, n)
		if err != nil {
			return fmt.Errorf("verify: the timeline of incident #%d: %w", n, err)
		}
		checked, err := incidents.VerifyChain(n, chain)
		events += checked
		if err != nil {
			broken++
			if first == nil {
				first = err
			}
			fmt.Fprintf(w, "BROKEN\t%v (%d of %d events verified before it)\n", err, checked, len(chain))
			continue
		}
		fmt.Fprintf(w, "ok\tincident #%d: %d events, chain intact\n", n, checked)
	}
	fmt.Fprintf(w, "verified %d events of %d incidents: %d chains intact, %d broken\n", events, len(numbers), len(numbers)-broken, broken)
	if broken > 0 {
		return fmt.Errorf("verify: %d of %d timelines do not verify; the first: %w", broken, len(numbers), first)
	}
	return nil
}

// incidentNumbers lists every incident's number, oldest first, a page at a time.
func incidentNumbers(ctx context.Context, src chainSource) ([]int64, error) {
	var out []int64
	opts := incidents.ListOptions{Limit: verifyPage}
	for {
		page, err := src.ListIncidents(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, inc := range page {
			out = append(out, inc.Number)
		}
		if len(page) < verifyPage {
			break
		}
		opts.Before = page[len(page)-1].Number
	}
	slices.Reverse(out)
	return out, nil
}

// Evidence runs `incidentbot evidence N --out FILE`: a signed archive of
// incident N, with the key of evidence.signing_key_file, written atomically.
func Evidence(ctx context.Context, getenv func(string) string, number int64, out string, stdout io.Writer, info BuildInfo) error {
	env := config.LoadEnv(getenv, nil)
	cfg, err := env.LoadConfig()
	if err != nil {
		return err
	}
	if cfg.Evidence.SigningKeyFile == "" {
		return errors.New("evidence: evidence.signing_key_file is not set in the config (make a key with: incidentbot evidence keygen --out evidence.key)")
	}
	key, err := evidence.LoadPrivateKey(cfg.Evidence.SigningKeyFile)
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	st, closeStore, err := openReadOnly(ctx, env)
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	defer closeStore()
	in, err := evidenceInput(ctx, st, st, number, time.Now(), info)
	if err != nil {
		return err
	}
	m, err := evidence.WriteFile(out, in, key)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: incident #%d, %d events (chain head %d %s), signed with key %s\n",
		out, m.Incident, m.Events, m.ChainHead.Seq, m.ChainHead.Hash, m.KeyID)
	for _, f := range m.Files {
		fmt.Fprintf(stdout, "  %s\t%d bytes\tsha256 %s\n", f.Name, f.Size, f.SHA256)
	}
	return nil
}

// postmortemReader reads a postmortem record (postmortem.Store has it).
type postmortemReader interface {
	Postmortem(ctx context.Context, number int64) (postmortem.Record, error)
}

// evidenceInput gathers what incident n's archive holds.
func evidenceInput(ctx context.Context, src chainSource, pms postmortemReader, n int64, now time.Time, info BuildInfo) (evidence.Input, error) {
	inc, err := src.GetIncident(ctx, n)
	if err != nil {
		return evidence.Input{}, fmt.Errorf("evidence: incident #%d: %w", n, err)
	}
	chain, err := src.TimelineChain(ctx, n)
	if err != nil {
		return evidence.Input{}, fmt.Errorf("evidence: the timeline of incident #%d: %w", n, err)
	}
	in := evidence.Input{Incident: inc, Timeline: chain, CreatedAt: now, Tool: info.String()}
	rec, err := pms.Postmortem(ctx, n)
	switch {
	case err == nil && len(rec.Markdown) > 0:
		in.Postmortem = rec.Markdown
	case err != nil && !errors.Is(err, incidents.ErrNotFound):
		return evidence.Input{}, fmt.Errorf("evidence: the postmortem of incident #%d: %w", n, err)
	}
	return in, nil
}

// EvidenceVerify runs `incidentbot evidence verify FILE --public-key KEY`:
// offline, without the store or the config.
func EvidenceVerify(path, publicKey string, stdout io.Writer) error {
	pub, err := evidence.LoadPublicKey(publicKey)
	if err != nil {
		return fmt.Errorf("evidence verify: %w", err)
	}
	res, err := evidence.VerifyFile(path, pub)
	if err != nil {
		return err
	}
	m := res.Manifest
	fmt.Fprintf(stdout, "ok: %s: incident #%d, %d files and %d chained events verified; signed with key %s on %s by %s\n",
		path, m.Incident, len(m.Files), res.Events, m.KeyID, m.CreatedAt.Format(time.RFC3339), m.Tool)
	return nil
}

// EvidenceKeygen runs `incidentbot evidence keygen --out KEY`: a new
// Ed25519 key pair, KEY (private, PKCS #8 PEM, 0600) and KEY.pub.
func EvidenceKeygen(out string, stdout io.Writer) error {
	pub, err := evidence.GenerateKeyFiles(out)
	if err != nil {
		return fmt.Errorf("evidence keygen: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (private: set evidence.signing_key_file to it) and %s.pub (public: give it to whoever checks archives); key %s\n",
		out, out, evidence.KeyID(pub))
	return nil
}
