//go:build !linux

package components

// renameNoReplace renames oldpath to newpath unless newpath exists.
func renameNoReplace(oldpath, newpath string) error {
	return renameIfMissing(oldpath, newpath)
}
