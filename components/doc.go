// Package components holds the built-in component kinds (File, Directory,
// Symlink, ...) in plain Go, and a registry of them.
//
// A Kind has two halves. Expand runs on the deploying machine while the model
// is configured: it checks and normalises the attributes and returns the
// sub-components the kind is made of. Verify and Update run on the target
// host inside the agent: Verify reports whether the system matches the
// attributes, Update makes it so. Neither half knows about Starlark; values
// are plain Go values (see Attrs).
//
// # File kinds
//
// File, Presence, Directory, Content, Mode, Owner, Group, Symlink and Purge
// follow batou.lib.file and keep its attribute names. Their Expand maps the
// path namevar to the path used on the host (relative paths join the
// workdir; ~ stays and is expanded on the host) and keeps the path as the
// user wrote it in DisplayAttr, which is passed on to sub-components for
// their breadcrumbs. Templates are rendered in Expand: after Expand the
// content attribute of File and Content holds the final content (a string
// when it is UTF-8 text, bytes otherwise). Directory's source tree is read
// in Expand too and travels in the files attribute. Files are written with
// Context.Atomic and only when their bytes differ.
//
// # Other kinds
//
// JSONContent and YAMLContent render data in Expand and are then written
// like Content. Download, Extract, git.Clone, Command, users.User,
// users.Group, apt.Package, systemd.Unit/Service/Timer, cron.CronJob and
// logrotate.RotatedLogfile verify against the host and drive a system
// tool only where one is needed (git, systemctl, useradd, apt-get,
// dpkg-query, crontab, xz). A kind says in the registry what the agent
// should do for it besides Verify and Update: ReadAhead (a file its
// verify reads whole), Writes (the path to flush after the root), Prepare
// (one query for all its components of a root) and Finish (deferred work
// after the root, such as a systemd daemon-reload). docs/components.md
// documents every kind; a test keeps its attribute tables in sync with
// the registry.
//
// # Deliberate differences from batou
//
//   - content="" empties the file (batou ignored an empty content).
//   - Content writes atomically (temporary file, fsync, rename, directory
//     fsync) and keeps the file's mode and, as root, its owner.
//   - A missing source= or implicit source is an error at configure time;
//     batou delayed such a source to verify.
//   - Mode on a symlink is an error (batou silently did nothing); Mode also
//     accepts s/S/t/T in ls-style strings ("rwsr-xr-x").
//   - Owner and Group change the symlink itself (lchown) rather than its
//     target; in predict mode an unknown name means "would change" (it may be
//     created earlier in the deploy), otherwise it is an error.
//   - Directory copies its source natively instead of running rsync: content
//     and permission bits are compared exactly, symlinks are copied as links,
//     exclude takes glob patterns and delete=True removes extra entries.
//   - Presence and Directory replace whatever stands in their way, as batou
//     does, but remove it directly instead of renaming it first.
//   - The encodings supported are utf-8, ascii and latin-1 (and None).
//   - The Symlink namevar is path (batou: target).
package components
