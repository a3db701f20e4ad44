// Package environments reads the environment files of a batou project:
// environments/<name>/environment.cfg, or the older one-file form
// environments/<name>.cfg.
//
// [Load] turns a file into an [Environment]: the settings of its
// [environment] section, its hosts from [hosts] and [host:NAME] with the
// components each deploys, the attribute overrides of [component:NAME]
// sections and the name resolution overrides of [resolver]. It checks
// everything it can check without knowing the project's components and
// returns every problem at once, each at its file and line, so that the
// caller can add its own findings (unknown component names, unknown
// attributes) and show them all together. [Environment.MergeSecrets] adds
// the overrides and host data of a decrypted secrets file.
//
// The package fixes some of batou's quirks on purpose: `require_sudo =
// false` is false, component lists may mix commas and line breaks,
// resolver entries are classified by parsing the address, and unknown
// keys in [environment] are reported as warnings instead of being
// ignored silently.
package environments
