package incidents

// NewMemStore exports the test fake to the external test package, which runs
// the conformance suite (incidentstest imports incidents, so the suite cannot
// run from inside the package).
func NewMemStore() Store { return newMemStore() }
