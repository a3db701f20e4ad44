package components

import (
	"errors"
	"fmt"
)

// sensitiveNote stands in for the diff of a file with sensitive_data=True,
// so that its content never leaves Verify.
const sensitiveNote = "(diff not shown: sensitive_data=True)\n"

func contentKind() *Kind {
	return &Kind{
		Name:    "Content",
		Namevar: "path",
		Doc: "Content makes a file hold exactly the given content. The content is a literal (content=), " +
			"a file of the project (source=) or, when neither is given, the file of the definition " +
			"directory named like the target. It is rendered as a template while the deployment is " +
			"configured; on the host the file is replaced atomically only when its bytes differ, " +
			"keeping its mode and owner. Changes are shown as a unified diff.",
		Attrs:     contentAttrs(),
		Expand:    expandContent,
		Verify:    verifyContent,
		Update:    updateContent,
		Writes:    "path",
		ReadAhead: "path",
	}
}

// contentAttrs are the attributes Content shares with File.
func contentAttrs() []Attr {
	return []Attr{
		pathAttr("the file; relative paths are relative to the workdir"),
		{Name: "content", Type: TypeAny, Doc: "the content, a string or bytes; \"\" empties the file. " +
			"After configure it holds the final (rendered) content, or a blob (sha256 and size) when that is larger than 64 KiB"},
		{Name: "source", Type: TypeStr, Default: "", Doc: "a file of the project to take the content from, relative to the definition directory"},
		{Name: "is_template", Type: TypeBool, Default: true, Doc: "render the content as a template; template_args are available as args"},
		{Name: "template_args", Type: TypeDict, Doc: "extra values for the template, available as args (args.name)"},
		{Name: "encoding", Type: TypeStr, Default: encUTF8, Doc: "the file's text encoding (utf-8, ascii, latin-1); None means binary: no template, no diff"},
		{Name: "sensitive_data", Type: TypeBool, Doc: "None: hide the diff when it shows a secret; True: never show a diff; False: always show it"},
	}
}

func expandContent(ctx ExpandContext, a Attrs) (Attrs, []Sub, error) {
	out, display, err := normPath(ctx, a, "path")
	if err == nil && ctx.Final() {
		return out, nil, nil // a File's: checked, and its content final
	}
	if err == nil {
		err = checkContentAttrs(out)
	}
	if err != nil {
		return nil, nil, err
	}
	data, err := finalContent(ctx, out, breadcrumb{"Content", display})
	if err != nil {
		return nil, nil, err
	}
	out["content"] = data
	return out, nil, nil
}

// checkContentAttrs validates the attributes File and Content share and
// normalises the encoding.
func checkContentAttrs(a Attrs) error {
	enc, err := normEncoding(a["encoding"])
	if err != nil {
		return err
	}
	a["encoding"] = encodingValue(enc)
	switch a["sensitive_data"].(type) {
	case nil, bool:
		return nil
	}
	return fmt.Errorf("sensitive_data must be True, False or None, not %s", typeName(a["sensitive_data"]))
}

// encodingValue is the encoding attribute value of a canonical encoding
// name: None for binary.
func encodingValue(enc string) any {
	if enc == "" {
		return nil
	}
	return enc
}

func verifyContent(ctx *Context, a Attrs) (Result, error) {
	p := ctx.hostPath(a.str("path"))
	if b, ok := a["content"].(Blob); ok {
		return verifyBlob(ctx, p, b)
	}
	have, err := ctx.readFile(p)
	var special *notRegularError
	switch {
	case err == nil && sameContent(have, a["content"]):
		return Result{}, nil
	case err == nil:
		return contentChange(a, p, have, "content differs"), nil
	case missing(ctx, err):
		return contentChange(a, p, nil, "file missing"), nil
	case errors.As(err, &special): // replaced by the update, as by Presence's
		return contentChange(a, p, nil, "not a regular file: "+describeMode(special.mode)), nil
	}
	return Result{}, fmt.Errorf("checking content of %s: %w", p, err)
}

// sameContent compares file bytes with a content attribute without copying.
func sameContent(have []byte, want any) bool {
	switch w := want.(type) {
	case string:
		return string(have) == w
	case []byte:
		return string(have) == string(w)
	}
	return len(have) == 0
}

// contentChange describes a needed content change, with a diff unless the
// content is binary or sensitive. The diff is made from the content
// attribute itself (no copy of a string).
func contentChange(a Attrs, path string, have []byte, reason string) Result {
	res := Result{NeedsUpdate: true, Reason: reason}
	enc, _ := a["encoding"].(string)
	want, ok := contentText(enc, a["content"])
	var diff string
	if ok {
		diff, ok = textDiffTo(path, enc, have, want)
	}
	switch {
	case !ok && have != nil:
		res.Reason = "binary content differs"
	case !ok:
	case a["sensitive_data"] == true:
		res.Diff, res.Sensitive = sensitiveNote, true
	default:
		res.Diff = diff
	}
	return res
}

// verifyBlob compares the file at p with content held by digest. There
// is no diff: the new content is not on the host.
func verifyBlob(ctx *Context, p string, b Blob) (Result, error) {
	same, err := ctx.fileHasBlob(p, b)
	switch {
	case err == nil && same:
		return Result{}, nil
	case err == nil:
		return Result{NeedsUpdate: true, Reason: "content differs (sha256 " + short(b.SHA256) + ")"}, nil
	case missing(ctx, err):
		return Result{NeedsUpdate: true, Reason: "file missing"}, nil
	}
	return Result{}, fmt.Errorf("checking content of %s: %w", p, err)
}

func updateContent(ctx *Context, a Attrs) error {
	p := ctx.hostPath(a.str("path"))
	if b, ok := a["content"].(Blob); ok {
		ctx.takeCreated(p) // streamed into a temporary file, not into the empty one
		return ctx.writeBlob(p, b, 0o644, true)
	}
	data := contentBytes(a["content"])
	if ctx.takeCreated(p) {
		if done, err := ctx.Atomic.fillCreated(p, data); done {
			return err
		}
	}
	if err := ctx.Atomic.WriteFile(p, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return nil
}
