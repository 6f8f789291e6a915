//go:build race

package web

// raceDetector: bcrypt is about 20 times slower under the race detector.
const raceDetector = true
