package ferrettest

import (
	"context"
	"log/slog"
	"maps"

	"github.com/sirupsen/logrus"
)

// slogHandler sends FerretDB's slog records to a logrus entry at debug level.
// FerretDB's own debug records (which dump every wire message, documents
// included) are dropped; its info, warnings and errors become debug lines, as
// they describe the embedded server's internals (connections opening and
// closing), not the bot's state.
type slogHandler struct {
	entry  *logrus.Entry
	fields logrus.Fields
	group  string
}

func newSlogHandler(entry *logrus.Entry) *slogHandler {
	return &slogHandler{entry: entry, fields: logrus.Fields{}}
}

// Enabled implements slog.Handler.
func (h *slogHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo && h.entry.Logger.IsLevelEnabled(logrus.DebugLevel)
}

// Handle implements slog.Handler.
func (h *slogHandler) Handle(_ context.Context, r slog.Record) error {
	fields := make(logrus.Fields, len(h.fields)+r.NumAttrs()+1)
	maps.Copy(fields, h.fields)
	fields["ferretdb_level"] = r.Level.String()
	r.Attrs(func(a slog.Attr) bool {
		addAttr(fields, h.group, a)
		return true
	})
	h.entry.WithFields(fields).Debug(r.Message)
	return nil
}

// WithAttrs implements slog.Handler.
func (h *slogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	fields := maps.Clone(h.fields)
	for _, a := range attrs {
		addAttr(fields, h.group, a)
	}
	return &slogHandler{entry: h.entry, fields: fields, group: h.group}
}

// WithGroup implements slog.Handler.
func (h *slogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &slogHandler{entry: h.entry, fields: h.fields, group: prefixed(h.group, name)}
}

func addAttr(fields logrus.Fields, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		g := group
		if a.Key != "" {
			g = prefixed(group, a.Key)
		}
		for _, ga := range a.Value.Group() {
			addAttr(fields, g, ga)
		}
		return
	}
	fields[prefixed(group, a.Key)] = a.Value.Any()
}

func prefixed(group, key string) string {
	if group == "" {
		return key
	}
	return group + "." + key
}
