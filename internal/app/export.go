package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/postmortem"
	"github.com/incidentbot/incidentbot/templates"
)

// exportPostmortems runs `incidentbot export-postmortems --dir DIR`: every
// stored postmortem, as the bot last wrote it, goes to dir through the
// exporter (edit protection, index, a git commit in a work tree).
func exportPostmortems(ctx context.Context, getenv func(string) string, dir string, stdout io.Writer) error {
	env := config.LoadEnv(getenv, nil)
	cfg, err := env.LoadConfig()
	if err != nil {
		return err
	}
	// Reading needs no lock: beside a running serve, the embedded store is
	// read from a consistent snapshot.
	st, closeStore, err := openReadOnly(ctx, env)
	if err != nil {
		return fmt.Errorf("export-postmortems: %w", err)
	}
	defer closeStore()
	loc := templates.EN
	if cfg.Locale != "" {
		if loc, err = templates.ParseLocale(cfg.Locale); err != nil {
			return fmt.Errorf("export-postmortems: locale: %w", err)
		}
	}
	return exportFrom(ctx, st, dir, loc, time.Now, stdout)
}

// exportFrom writes every postmortem of src to dir and reports each file.
func exportFrom(ctx context.Context, src postmortem.Store, dir string, loc templates.Locale, now func() time.Time, stdout io.Writer) error {
	recs, err := src.Postmortems(ctx, true)
	if err != nil {
		return fmt.Errorf("export-postmortems: %w", err)
	}
	drafts := make([]*postmortem.Draft, 0, len(recs))
	for _, r := range recs {
		if len(r.Markdown) > 0 {
			drafts = append(drafts, r.Draft())
		}
	}
	res, err := postmortem.NewExporter(dir, postmortem.ExportOptions{Locale: loc}, now).Export(ctx, drafts...)
	if err != nil {
		return fmt.Errorf("export-postmortems: %w", err)
	}
	for _, w := range res.Files {
		switch w.State {
		case postmortem.Conflict:
			fmt.Fprintf(stdout, "%s\t%s (someone edited %s since the bot wrote it; it was left alone)\n", w.State, w.Path, w.Edited)
		default:
			fmt.Fprintf(stdout, "%s\t%s\n", w.State, w.Path)
		}
	}
	fmt.Fprintf(stdout, "%s\t%s\n", res.Index.State, res.Index.Path)
	if res.Commit != "" {
		fmt.Fprintf(stdout, "committed %s\n", res.Commit)
	}
	fmt.Fprintf(stdout, "%d postmortems exported to %s\n", len(drafts), dir)
	return nil
}
