// Package components holds the built-in component kinds (File, Directory,
// Symlink, ...) in plain Go, and a registry of them.
//
// A Kind has two halves. Expand runs on the deploying machine while the model
// is configured: it checks and normalises the attributes and returns the
// sub-components the kind is made of. Verify and Update run on the target
// host inside the agent: Verify reports whether the system matches the
// attributes, Update makes it so. Neither half knows about Starlark; values
// are plain Go values (see Attrs).
package components
