package discard

import (
	"bytes"
	"testing"

	"github.com/sirupsen/logrus"
)

func TestLogger(t *testing.T) {
	a, b := Logger(), Logger()
	if a.Logger == b.Logger {
		t.Fatal("two calls share one logger; redirecting one would redirect the other")
	}
	var buf bytes.Buffer
	a.Logger.SetOutput(&buf)
	b.Error("not written")
	a.Error("written")
	if got := buf.String(); !bytes.Contains([]byte(got), []byte("written")) || bytes.Contains([]byte(got), []byte("not written")) {
		t.Errorf("output %q", got)
	}
}

func TestIfNil(t *testing.T) {
	mine := logrus.NewEntry(logrus.New())
	if IfNil(mine) != mine {
		t.Error("IfNil replaced a logger")
	}
	if IfNil(nil) == nil {
		t.Error("IfNil(nil) = nil")
	}
}
