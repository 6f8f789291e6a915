package app

import "github.com/incidentbot/incidentbot/paging"

// oncallJobKinds are appended to jobKinds: the paging engine's, the cover
// requests' and the handoffs'.
var oncallJobKinds = append(paging.JobKinds(), jobCoverRequest.Name, jobCoverTaken.Name, jobHandoffScan.Name, jobHandoff.Name, jobUsergroup.Name)
