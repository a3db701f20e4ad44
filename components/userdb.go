package components

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// passwdEntry is one line of /etc/passwd (or of getent passwd).
type passwdEntry struct {
	name          string
	uid, gid      int
	comment, home string
	shell         string
}

// groupEntry is one line of /etc/group (or of getent group).
type groupEntry struct {
	name    string
	gid     int
	members []string
}

// userDB reads users and groups: first the files (cheap, and what
// useradd writes), then getent, which also asks NSS (LDAP, sssd), which
// a static Go binary cannot do itself. The zero value reads the system's
// /etc/passwd and /etc/group.
type userDB struct {
	passwdFile, groupFile string // file paths; "" means /etc/passwd, /etc/group
	noGetent              bool
}

// errNoEntry is returned for a user or group that does not exist.
var errNoEntry = errors.New("no such entry")

func (db userDB) passwdPath() string {
	if db.passwdFile != "" {
		return db.passwdFile
	}
	return "/etc/passwd"
}

func (db userDB) groupPath() string {
	if db.groupFile != "" {
		return db.groupFile
	}
	return "/etc/group"
}

// user returns the entry of a user name or numeric uid.
func (db userDB) user(key string) (passwdEntry, error) {
	line, err := db.find(db.passwdPath(), "passwd", key, 2)
	if err != nil {
		return passwdEntry{}, err
	}
	f := strings.Split(line, ":")
	if len(f) < 7 {
		return passwdEntry{}, fmt.Errorf("malformed passwd entry %q", line)
	}
	uid, err1 := strconv.Atoi(f[2])
	gid, err2 := strconv.Atoi(f[3])
	if err1 != nil || err2 != nil {
		return passwdEntry{}, fmt.Errorf("malformed passwd entry %q", line)
	}
	return passwdEntry{name: f[0], uid: uid, gid: gid, comment: f[4], home: f[5], shell: f[6]}, nil
}

// group returns the entry of a group name or numeric gid.
func (db userDB) group(key string) (groupEntry, error) {
	line, err := db.find(db.groupPath(), "group", key, 2)
	if err != nil {
		return groupEntry{}, err
	}
	f := strings.Split(line, ":")
	if len(f) < 4 {
		return groupEntry{}, fmt.Errorf("malformed group entry %q", line)
	}
	gid, err := strconv.Atoi(f[2])
	if err != nil {
		return groupEntry{}, fmt.Errorf("malformed group entry %q", line)
	}
	g := groupEntry{name: f[0], gid: gid}
	if f[3] != "" {
		g.members = strings.Split(f[3], ",")
	}
	return g, nil
}

// groupsOf returns the names of the groups that list user as a member
// (supplementary groups), read from the group file.
func (db userDB) groupsOf(user string) ([]string, error) {
	f, err := os.Open(db.groupPath())
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 4 || fields[3] == "" {
			continue
		}
		for _, m := range strings.Split(fields[3], ",") {
			if m == user {
				out = append(out, fields[0])
			}
		}
	}
	return out, sc.Err()
}

// find returns the line of file whose name (field 0) or id (field idField)
// is key, falling back to getent database key.
func (db userDB) find(file, database, key string, idField int) (string, error) {
	if line, err := findLine(file, key, idField); err == nil || !errors.Is(err, errNoEntry) {
		return line, err
	}
	if db.noGetent {
		return "", errNoEntry
	}
	out, err := exec.Command("getent", database, key).Output()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == 2:
		return "", errNoEntry
	case errors.Is(err, exec.ErrNotFound):
		return "", errNoEntry
	case err != nil:
		return "", fmt.Errorf("getent %s %s: %w", database, key, err)
	}
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0]), nil
}

// findLine scans a colon-separated database file.
func findLine(file, key string, idField int) (string, error) {
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		return "", errNoEntry
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, numeric := strconv.Atoi(key)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) <= idField {
			continue
		}
		if fields[0] == key || (numeric == nil && fields[idField] == key) {
			return sc.Text(), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", errNoEntry
}
