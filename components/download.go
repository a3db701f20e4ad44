package components

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

func downloadKind() *Kind {
	return &Kind{
		Name:    "Download",
		Namevar: "url",
		Doc: "Download fetches a file from an http, https or file URL to target and makes sure it has the " +
			"given checksum. The file is streamed to a temporary file next to the target and hashed while " +
			"it is written; only when the checksum matches is it renamed into place, so a failed or corrupt " +
			"download leaves nothing behind. Verify hashes the target. A password in the URL is used for " +
			"basic authentication and shown as *** in output.",
		Attrs: []Attr{
			{Name: "url", Type: TypeStr, Required: true, Doc: "an http://, https:// or file:// URL"},
			{Name: "target", Type: TypeStr, Doc: "the file to write; relative paths are relative to the workdir; " +
				"default: the last segment of the URL's path"},
			{Name: "checksum", Type: TypeStr, Required: true, Doc: `"sha256:<hex>" (also sha512, sha1 and md5)`},
			{Name: "timeout", Type: TypeInt, Default: int64(600), Doc: "seconds the whole download may take"},
		},
		Expand: expandDownload,
		Verify: verifyDownload,
		Update: updateDownload,
		Writes: "target",
	}
}

// hashes are the checksum algorithms Download and Extract accept.
var hashes = map[string]func() hash.Hash{"sha256": sha256.New, "sha512": sha512.New, "sha1": sha1.New, "md5": md5.New}

// parseChecksum splits "sha256:<hex>" and checks it.
func parseChecksum(s string) (algo, sum string, err error) {
	algo, sum, ok := strings.Cut(s, ":")
	newHash := hashes[algo]
	if !ok || newHash == nil {
		return "", "", fmt.Errorf(`checksum must look like "sha256:<hex>" (or sha512, sha1, md5), not %q`, s)
	}
	sum = strings.ToLower(sum)
	if _, err := hex.DecodeString(sum); err != nil || len(sum) != 2*newHash().Size() {
		return "", "", fmt.Errorf("checksum: %q is not a %s digest (%d hex digits)", sum, algo, 2*newHash().Size())
	}
	return algo, sum, nil
}

func expandDownload(ctx ExpandContext, a Attrs) (Attrs, []Sub, error) {
	u, err := url.Parse(a.str("url"))
	if err != nil {
		return nil, nil, fmt.Errorf("url: %w", stripURLError(err))
	}
	switch u.Scheme {
	case "http", "https", "file":
	default:
		return nil, nil, fmt.Errorf("url: scheme %q is not supported; use http, https or file", u.Scheme)
	}
	if _, _, err := parseChecksum(a.str("checksum")); err != nil {
		return nil, nil, err
	}
	out := Attrs{}
	for k, v := range a {
		out[k] = v
	}
	target := a.str("target")
	if target == "" {
		target = path.Base(u.Path)
		if target == "." || target == "/" {
			return nil, nil, fmt.Errorf("target= is needed: the URL %s has no file name", maskURL(u))
		}
	}
	out["target"] = ctx.Map(target)
	out[DisplayAttr] = maskURL(u)
	return out, nil, nil
}

// maskURL is the URL for output: a password is shown as ***.
func maskURL(u *url.URL) string {
	if _, has := u.User.Password(); has {
		c := *u
		c.User = url.UserPassword(u.User.Username(), "***")
		return strings.Replace(c.String(), "%2A%2A%2A", "***", 1)
	}
	return u.String()
}

// stripURLError keeps the reason of a url.Error without its URL, which
// may hold a password.
func stripURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// hashFile returns the hex digest of a file.
func hashFile(p, algo string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := hashes[algo]()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func verifyDownload(ctx *Context, a Attrs) (Result, error) {
	p := ctx.hostPath(a.str("target"))
	algo, want, err := parseChecksum(a.str("checksum"))
	if err != nil {
		return Result{}, err
	}
	have, err := hashFile(p, algo)
	switch {
	case err != nil && missing(ctx, err):
		return Result{NeedsUpdate: true, Reason: "file missing"}, nil
	case err != nil:
		return Result{}, fmt.Errorf("checking %s: %w", p, err)
	case have != want:
		return Result{NeedsUpdate: true, Reason: fmt.Sprintf("checksum differs: %s:%s", algo, have)}, nil
	}
	return Result{}, nil
}

func updateDownload(ctx *Context, a Attrs) error {
	u, err := url.Parse(a.str("url"))
	if err != nil {
		return fmt.Errorf("url: %w", stripURLError(err))
	}
	algo, want, err := parseChecksum(a.str("checksum"))
	if err != nil {
		return err
	}
	timeout := time.Duration(600) * time.Second
	if s, ok := a["timeout"].(int64); ok && s > 0 {
		timeout = time.Duration(s) * time.Second
	}
	p := ctx.hostPath(a.str("target"))
	if _, err := os.Stat(filepath.Dir(p)); err != nil {
		return fmt.Errorf("downloading to %s: %w (hint: a Directory(..., leading=True) before the Download creates it)", p, err)
	}
	body, err := openURL(u, timeout)
	if err != nil {
		return err
	}
	defer body.Close()
	have, err := writeVerified(ctx.Atomic, p, body, algo, want)
	if errors.Is(err, errChecksum) {
		return fmt.Errorf("checksum mismatch for %s: expected %s:%s, got %s:%s; nothing was written "+
			"(hint: if the file changed on purpose, update checksum=)", maskURL(u), algo, want, algo, have)
	}
	if err != nil {
		return fmt.Errorf("downloading %s to %s: %w", maskURL(u), p, err)
	}
	return nil
}

// openURL starts reading an http(s) or file URL.
func openURL(u *url.URL, timeout time.Duration) (io.ReadCloser, error) {
	if u.Scheme == "file" {
		f, err := os.Open(u.Path)
		if err != nil {
			return nil, fmt.Errorf("downloading %s: %w", maskURL(u), err)
		}
		return f, nil
	}
	client := &http.Client{Timeout: timeout}
	resp, err := client.Get(u.String())
	if err != nil {
		return nil, fmt.Errorf("downloading %s: %w", maskURL(u), stripURLError(err))
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("downloading %s: the server answered %s", maskURL(u), resp.Status)
	}
	return resp.Body, nil
}

// errChecksum marks a download whose content has the wrong checksum.
var errChecksum = errors.New("checksum mismatch")

// writeVerified streams r into a temporary file next to p while hashing
// it, and renames it to p only when the digest is want. It returns the
// digest it found.
func writeVerified(w Atomic, p string, r io.Reader, algo, want string) (string, error) {
	tmp := tmpName(p)
	if err := w.note(tmp); err != nil {
		return "", err
	}
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("removing leftover temporary file: %w", err)
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("creating temporary file: %w", err)
	}
	h := hashes[algo]()
	_, err = io.Copy(io.MultiWriter(f, h), r)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	have := hex.EncodeToString(h.Sum(nil))
	if err == nil && have != want {
		err = errChecksum
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return have, err
}
