package components

import (
	"errors"
	"fmt"
	"strconv"
)

func fileKind() *Kind {
	return &Kind{
		Name:    "File",
		Namevar: "path",
		Doc: "File manages a file, a directory or a symlink. It does no work itself but adds, in this " +
			"order: Presence, Directory or Symlink (by ensure); Mode if mode is set; Content if ensure is " +
			"\"file\"; Owner if owner is set; Group if group is set. Without content= and source= the " +
			"content comes from the file of the definition directory named like the target (an error " +
			"when there is none). content=\"\" empties the file.",
		Attrs:  fileAttrs(),
		Expand: expandFile,
	}
}

func fileAttrs() []Attr {
	attrs := []Attr{pathAttr("the file, directory or symlink; relative paths are relative to the workdir"),
		{Name: "ensure", Type: TypeStr, Default: "file", Doc: `what the path must be: "file", "directory" or "symlink"`}}
	for _, a := range contentAttrs()[1:] {
		if a.Name == "source" {
			a.Doc = "a file of the project to take the content from, relative to the definition directory; " +
				`with ensure="directory" a directory of the project to copy (see Directory)`
		}
		attrs = append(attrs, a)
	}
	return append(attrs,
		Attr{Name: "mode", Type: TypeAny, Doc: "the mode, added as a Mode sub-component: " + modeForms},
		Attr{Name: "owner", Type: TypeAny, Doc: "the owner, a user name or id, added as an Owner sub-component"},
		Attr{Name: "group", Type: TypeAny, Doc: "the group, a group name or id, added as a Group sub-component"},
		leadingAttr(),
		Attr{Name: "link_to", Type: TypeStr, Default: "", Doc: `the link target for ensure="symlink"`},
	)
}

func expandFile(ctx ExpandContext, a Attrs) (Attrs, []Sub, error) {
	out, display, err := normPath(ctx, a, "path")
	if err != nil {
		return nil, nil, err
	}
	ensure, err := checkFileAttrs(out)
	if err != nil {
		return nil, nil, err
	}
	base, err := fileBase(out, ensure)
	if err != nil {
		return nil, nil, err
	}
	subs := append(make([]Sub, 0, 2), base) // room for the Content of a file
	if out["mode"] != nil {
		subs = append(subs, sub("Mode", out, Attrs{"mode": out["mode"]}))
	}
	if ensure == "file" {
		data, err := finalContent(ctx, out, breadcrumb{"File", display})
		if err != nil {
			return nil, nil, err
		}
		out["content"] = data
		content := sub("Content", out, Attrs{"content": data, "source": "", "is_template": false,
			"encoding": out["encoding"], "sensitive_data": out["sensitive_data"]})
		content.Final = true
		subs = append(subs, content)
	}
	return out, append(subs, fileOwnership(out)...), nil
}

// checkFileAttrs validates ensure, mode and the content attributes; it
// normalises mode to an int and returns ensure.
func checkFileAttrs(a Attrs) (string, error) {
	ensure, err := a.strOrNil("ensure")
	if err != nil {
		return "", err
	}
	switch ensure {
	case "":
		ensure = "file"
	case "file", "directory", "symlink":
	default:
		return "", fmt.Errorf(`ensure must be one of "file", "directory" or "symlink", not %s`, strconv.Quote(ensure))
	}
	if ensure != "file" && a["content"] != nil {
		return "", fmt.Errorf(`content= only applies to ensure="file", not ensure=%q`, ensure)
	}
	if a["mode"] != nil {
		m, err := parseMode(a["mode"])
		if err != nil {
			return "", err
		}
		a["mode"] = m
	}
	return ensure, checkContentAttrs(a)
}

// fileBase is the first sub-component: Presence, Directory or Symlink.
func fileBase(a Attrs, ensure string) (Sub, error) {
	switch ensure {
	case "directory":
		return sub("Directory", a, Attrs{"leading": a.flag("leading"), "source": a.str("source")}), nil
	case "symlink":
		if a.str("link_to") == "" {
			return Sub{}, errors.New(`ensure="symlink" needs link_to= (the link target)`)
		}
		return sub("Symlink", a, Attrs{"source": a.str("link_to")}), nil
	}
	return sub("Presence", a, Attrs{"leading": a.flag("leading")}), nil
}

// fileOwnership is the Owner and Group sub-components, when asked for.
func fileOwnership(a Attrs) []Sub {
	var subs []Sub
	if a["owner"] != nil {
		subs = append(subs, sub("Owner", a, Attrs{"owner": a["owner"]}))
	}
	if a["group"] != nil {
		subs = append(subs, sub("Group", a, Attrs{"group": a["group"]}))
	}
	return subs
}
