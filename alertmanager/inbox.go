package alertmanager

import (
	"context"
	"time"
)

// InboxItem is one received webhook body, stored before it is acknowledged.
type InboxItem struct {
	ID         string // sortable: received order
	ReceivedAt time.Time
	Body       []byte // the raw, validated JSON body
}

// Inbox is the append-only store of received notifications.
type Inbox interface {
	// AppendInbox stores items with one insertMany; an item whose ID is already stored is skipped.
	AppendInbox(ctx context.Context, items []InboxItem) error
	// PendingInbox returns up to limit stored items, oldest first (by ID). Items are
	// appended in ID order (one writer per process, increasing IDs), so a store may
	// return them in insertion order.
	PendingInbox(ctx context.Context, limit int) ([]InboxItem, error)
	// RemoveInbox deletes applied items by ID.
	RemoveInbox(ctx context.Context, ids []string) error
}
