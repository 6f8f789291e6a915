//go:build !race

package postmortem

const raceDetector = false
