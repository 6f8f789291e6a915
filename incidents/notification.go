package incidents

import "time"

// Notification is one Alertmanager group notification, already routed:
// what the service needs to open or update the group's incident.
type Notification struct {
	GroupKey          string            `json:"group_key"`
	Status            string            `json:"status"` // firing | resolved
	Receiver          string            `json:"receiver,omitempty"`
	Alerts            []Alert           `json:"alerts"`
	GroupLabels       map[string]string `json:"group_labels,omitempty"`
	CommonLabels      map[string]string `json:"common_labels,omitempty"`
	CommonAnnotations map[string]string `json:"common_annotations,omitempty"`
	ExternalURL       string            `json:"external_url,omitempty"`
	ReceivedAt        time.Time         `json:"received_at"`

	// Set by routing.
	Title            string `json:"title"`
	Severity         string `json:"severity"`
	Service          string `json:"service,omitempty"`
	EscalationPolicy string `json:"escalation_policy,omitempty"`
}
