package store

import "errors"

// DataDirInUse reports an error of Open that means another incidentbot
// process (a running serve) holds the embedded store's data dir.
func DataDirInUse(err error) bool {
	var e *dataDirInUseError
	return errors.As(err, &e)
}
