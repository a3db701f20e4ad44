// Package remote connects the hosts of an environment and drives their
// agents: it starts an agent per host (as a local child process, or over
// ssh), sends each host its plan, and schedules the roots across hosts
// along the dependency graph, one root at a time per host and hosts in
// parallel. Events from the agents are passed on as they arrive.
package remote
