// Package runtime turns a project into plans. It loads the components
// (components/*.star) in a Starlark sandbox and the environment file, builds
// the root components of every host, runs configure to a fixed point
// (provide/require), orders the roots across hosts and compiles one plan
// per host.
//
// Configure is hermetic: it runs on the deploying machine, reads nothing
// outside the project and contacts no host.
package runtime
