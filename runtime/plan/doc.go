// Package plan defines the versioned records exchanged between the machine
// that deploys and the agent on each host: the compiled Plan (the desired
// state of one host), the attribute values inside it, the requests the
// controller sends and the events the agent streams back.
//
// Everything here is plain data with a stable JSON form. The package imports
// the standard library only, so both sides can depend on it.
package plan
