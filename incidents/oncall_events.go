package incidents

// Timeline event types of paging, beside EventPaged and EventAcknowledged.
const (
	// EventDeclined is a paged person declining: the next level is paged at once.
	EventDeclined EventType = "declined"
	// EventUnacknowledged is the end of an escalation that nobody acknowledged.
	EventUnacknowledged EventType = "unacknowledged"
)
