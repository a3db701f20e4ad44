// Package starlib is everything Starlark sees: Component() and Attribute(),
// the component value that configure, verify and update receive as `self`,
// Address, the host and environment values, the fs and path modules, the
// constructors of the built-in component library and the template binding.
//
// The same values serve both sides of a deploy. On the deploying machine the
// runtime package evaluates configure (PhaseConfigure, hermetic: no files
// outside the project, no commands); on the target host the agent evaluates
// verify and update (PhaseHost) with the attributes from the plan.
package starlib
