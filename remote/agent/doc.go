// Package agent is the host side of a deploy. The agent reads a plan from
// its standard input, takes the per-host lock, deploys the roots it is told
// to (sub-components first, then verify, then update when needed, then
// verify again for built-in kinds) and streams events back as JSON lines.
//
// The same binary serves every transport: connect_method = local runs it as
// a child process, ssh runs it on the remote host.
package agent
