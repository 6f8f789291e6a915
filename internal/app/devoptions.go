package app

// DevOptions are `incidentbot dev`'s flags.
type DevOptions struct {
	// DataDir keeps the embedded store; empty: a new temporary directory.
	DataDir string
	// Config is a config file to run with instead of the sample one
	// (INCIDENTBOT_CONFIG when empty). Its paging providers are replaced by
	// the simulators, so nobody is texted for real.
	Config string
}
