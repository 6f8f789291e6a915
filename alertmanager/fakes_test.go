package alertmanager

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/incidentbot/incidentbot/incidents"
	"github.com/sirupsen/logrus"
)

// memInbox is an in-memory Inbox.
type memInbox struct {
	mu        sync.Mutex
	items     map[string]InboxItem
	batches   [][]InboxItem // every AppendInbox call
	removes   [][]string
	gate      chan struct{} // when set, AppendInbox waits until it is closed
	appendErr error
	removeErr error
	noRemove  bool // RemoveInbox succeeds but deletes nothing (a broken store)
}

var _ Inbox = (*memInbox)(nil)

func newMemInbox() *memInbox { return &memInbox{items: map[string]InboxItem{}} }

func (m *memInbox) AppendInbox(ctx context.Context, items []InboxItem) error {
	m.mu.Lock()
	gate := m.gate
	m.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.batches = append(m.batches, slices.Clone(items))
	if m.appendErr != nil {
		return m.appendErr
	}
	for _, it := range items {
		if _, dup := m.items[it.ID]; !dup {
			m.items[it.ID] = it
		}
	}
	return nil
}

func (m *memInbox) PendingInbox(ctx context.Context, limit int) ([]InboxItem, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]string, 0, len(m.items))
	for id := range m.items {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out []InboxItem
	for _, id := range ids[:min(limit, len(ids))] {
		out = append(out, m.items[id])
	}
	return out, nil
}

func (m *memInbox) RemoveInbox(ctx context.Context, ids []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.removes = append(m.removes, slices.Clone(ids))
	if m.removeErr != nil {
		return m.removeErr
	}
	if m.noRemove {
		return nil
	}
	for _, id := range ids {
		delete(m.items, id)
	}
	return nil
}

func (m *memInbox) batchSizes() []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int
	for _, b := range m.batches {
		out = append(out, len(b))
	}
	return out
}

func (m *memInbox) ids() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for id := range m.items {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// fakeService applies batches as incidents.Service.IngestBatch does: in
// order, all or nothing, the failing group named in the error. fail decides
// per notification; call counts the notifications tried.
type fakeService struct {
	mu      sync.Mutex
	got     []incidents.Notification
	batches [][]string
	fail    func(n incidents.Notification, call int) error
	call    int
}

func (s *fakeService) IngestBatch(ctx context.Context, ns []incidents.Notification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for _, n := range ns {
		s.call++
		if s.fail != nil {
			if err := s.fail(n, s.call); err != nil {
				return fmt.Errorf("group %s: %w", n.GroupKey, err)
			}
		}
		keys = append(keys, n.GroupKey)
	}
	s.got = append(s.got, ns...)
	s.batches = append(s.batches, keys)
	return nil
}

func (s *fakeService) groupKeys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, n := range s.got {
		out = append(out, n.GroupKey)
	}
	return out
}

var errStoreDown = errors.New("store down")

// syncBuffer is a bytes.Buffer safe for concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTestLogger(t testing.TB) (*logrus.Entry, *syncBuffer) {
	buf := &syncBuffer{}
	l := logrus.New()
	l.SetOutput(buf)
	l.SetFormatter(&logrus.JSONFormatter{})
	l.SetLevel(logrus.DebugLevel)
	return logrus.NewEntry(l), buf
}
