// Package remote connects the hosts of an environment and drives their
// agents: it starts an agent per host through the host's Transport (a
// local child process, or over the user's OpenSSH client, directly or as
// vagrant says), sends each host its plan, and schedules the roots across
// hosts along the dependency graph, one root at a time per host and hosts
// in parallel. Hosts that ssh resolves to the same connection share ssh
// master connections. Events from the agents are passed on as they
// arrive.
package remote
