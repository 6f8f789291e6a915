package templates

import "strings"

// labels are the words templates look up with label: event types, statuses
// and action states. A key with no entry is shown as itself.
var labels = map[Locale]map[string]string{
	EN: {
		"declared": "Declared", "alert_fired": "Alert fired", "alert_resolved": "Alert resolved",
		"status_changed": "Status", "severity_changed": "Severity", "role_assigned": "Role",
		"note": "Note", "action": "Action item", "paged": "Paged", "acknowledged": "Acknowledged",
		"message_pinned": "Pinned", "postmortem_written": "Postmortem", "postmortem_status": "Postmortem", "resolved": "Resolved",
		"reopened": "Reopened", "storm_group": "Alert group joined", "slack": "Slack",
		"draft": "Draft", "in-review": "In review", "final": "Final",
		"commander":          "Commander",
		"incident:triggered": "triggered", "incident:investigating": "investigating", "incident:identified": "identified",
		"incident:monitoring": "monitoring", "incident:resolved": "resolved", "incident:reopened": "reopened",
		"classified": "Classified", "report_drafted": "Report drafted", "report_submitted": "Report submitted",
		"report_reminder": "Report due", "report_overdue": "Report overdue",
	},
	RU: {
		"declared": "Объявлен", "alert_fired": "Сработал алерт", "alert_resolved": "Алерт снят",
		"status_changed": "Статус", "severity_changed": "Уровень", "role_assigned": "Роль",
		"note": "Заметка", "action": "Задача", "paged": "Вызов", "acknowledged": "Подтверждено",
		"message_pinned": "Закреплено", "postmortem_written": "Постмортем", "postmortem_status": "Постмортем", "resolved": "Решён",
		"reopened": "Открыт снова", "storm_group": "Группа алертов присоединилась", "slack": "Slack",
		"draft": "Черновик", "in-review": "На рецензии", "final": "Окончательный",
		"commander":          "Руководитель",
		"incident:triggered": "сработал", "incident:investigating": "расследуется", "incident:identified": "причина найдена",
		"incident:monitoring": "наблюдение", "incident:resolved": "решён", "incident:reopened": "открыт снова",
		"classified": "Классифицирован", "report_drafted": "Черновик отчёта", "report_submitted": "Отчёт отправлен",
		"report_reminder": "Срок отчёта", "report_overdue": "Отчёт просрочен",
	},
}

func (f formatter) label(key string) string { return Word(f.loc, key) }

// Word is the locale's word for an event type, a status or an action
// state; a key it does not know is returned as it is.
func Word(loc Locale, key string) string {
	if s, ok := labels[loc][key]; ok {
		return s
	}
	if s, ok := strings.CutPrefix(key, "incident:"); ok {
		return s
	}
	return key
}
