//go:build !linux

package agent

// maxRSS is unknown where the units of getrusage differ (agents run on
// Linux; this keeps the controller building elsewhere).
func maxRSS() int64 { return 0 }
