// Package discard gives the logger that writes nothing: the default of an
// Options.Logger left nil, and what tests pass (STYLE: the logger is
// passed in; tests pass a discard logger).
package discard

import (
	"io"

	"github.com/sirupsen/logrus"
)

// Logger returns a new logger that writes nothing. It is a fresh one each
// time, so a caller may send it somewhere after all (a test's -v output)
// without touching anyone else's. Use .Logger for a *logrus.Logger.
func Logger() *logrus.Entry {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return logrus.NewEntry(l)
}

// IfNil returns l, or Logger() when l is nil: for constructors whose
// logger is optional.
func IfNil(l *logrus.Entry) *logrus.Entry {
	if l == nil {
		return Logger()
	}
	return l
}
