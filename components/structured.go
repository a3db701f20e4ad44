package components

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
)

// structuredFormat is what JSONContent and YAMLContent differ in: how a
// source file is parsed and how data is written.
type structuredFormat struct {
	kind  string // "JSONContent"
	parse func(data []byte) (any, error)
	write func(v any, a Attrs) (string, error)
}

func jsonContentKind() *Kind {
	f := structuredFormat{kind: "JSONContent", parse: parseJSON, write: func(v any, a Attrs) (string, error) {
		return writePyJSON(v, a.flag("human_readable"))
	}}
	k := structuredKind(f, "JSONContent writes data as JSON: sorted keys, 4-space indent (human_readable=False: "+
		"compact), non-ASCII text as \\u escapes and no final newline, byte for byte as batou (Python's json.dumps) "+
		"wrote it.")
	k.Attrs = append(k.Attrs, Attr{Name: "human_readable", Type: TypeBool, Default: true,
		Doc: "indent with 4 spaces; False writes compact JSON without spaces"})
	return k
}

func yamlContentKind() *Kind {
	f := structuredFormat{kind: "YAMLContent", parse: parseYAML, write: func(v any, _ Attrs) (string, error) {
		return writeYAML(v)
	}}
	return structuredKind(f, "YAMLContent writes data as YAML in block style with sorted keys and "+
		"2-space indent; strings are quoted only when they would otherwise read as something else. "+
		"A source file may use the common YAML subset (block and flow collections, quoted and block "+
		"scalars, comments); anchors, aliases, tags and several documents are refused.")
}

// structuredKind is the kind shared by JSONContent and YAMLContent.
func structuredKind(f structuredFormat, doc string) *Kind {
	return &Kind{
		Name:    f.kind,
		Namevar: "path",
		Doc: doc + " The data comes from data= or from a source file of the project (source=, or the file " +
			"of the definition directory named like the target); override= is merged over it (dicts " +
			"recursively, lists concatenated, anything else replaced). The file is written like Content: " +
			"atomically, only when it differs, with a diff.",
		Attrs: []Attr{
			pathAttr("the file; relative paths are relative to the workdir"),
			{Name: "data", Type: TypeAny, Doc: "the data to write: dicts, lists, strings, numbers, booleans and None"},
			{Name: "source", Type: TypeStr, Default: "", Doc: "a file of the project to parse instead of data=, relative to the definition directory"},
			{Name: "override", Type: TypeDict, Doc: "a dict merged over the data"},
			{Name: "sensitive_data", Type: TypeBool, Doc: "None: hide the diff when it shows a secret; True: never show a diff; False: always show it"},
		},
		Expand:    func(ctx ExpandContext, a Attrs) (Attrs, []Sub, error) { return expandStructured(f, ctx, a) },
		Verify:    verifyContent,
		Update:    updateContent,
		Writes:    "path",
		ReadAhead: "path",
	}
}

func expandStructured(f structuredFormat, ctx ExpandContext, a Attrs) (Attrs, []Sub, error) {
	out, _, err := normPath(ctx, a, "path")
	if err != nil {
		return nil, nil, err
	}
	if err := checkContentAttrs(out); err != nil {
		return nil, nil, err
	}
	data, err := structuredData(f, ctx, out)
	if err != nil {
		return nil, nil, err
	}
	if ov, ok := out["override"].(map[string]any); ok {
		data = mergeData(data, ov)
	}
	text, err := f.write(data, out)
	if err != nil {
		return nil, nil, fmt.Errorf("data: %w", err)
	}
	out["content"], out["encoding"] = blobContent(ctx, out, text, f.kind), encUTF8
	return out, nil, nil
}

// structuredData is data=, or the parsed source file (source= or the file
// of the defdir named like the target).
func structuredData(f structuredFormat, ctx ExpandContext, a Attrs) (any, error) {
	source, err := a.strOrNil("source")
	if err != nil {
		return nil, err
	}
	if a["data"] != nil {
		if source != "" {
			return nil, errors.New("give either data= or source=, not both")
		}
		return a["data"], nil
	}
	implicit := source == ""
	if implicit {
		display, _ := a[DisplayAttr].(string)
		source = filepath.Base(display)
	}
	raw, err := ctx.ReadAsset(source)
	switch {
	case implicit && errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("no data: data= and source= are not given and there is no file %s next to the component; hint: pass data=... or source=...", source)
	case err != nil:
		return nil, fmt.Errorf("source %s: %w", source, err)
	}
	v, err := f.parse(raw)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", source, err)
	}
	return v, nil
}

// mergeData merges over into base as batou's dict_merge does: dicts are
// merged recursively, lists concatenated, anything else is replaced. base
// is not changed.
func mergeData(base, over any) any {
	switch o := over.(type) {
	case map[string]any:
		b, ok := base.(map[string]any)
		if !ok {
			return o
		}
		out := make(map[string]any, len(b)+len(o))
		for k, v := range b {
			out[k] = v
		}
		for k, v := range o {
			if old, ok := out[k]; ok {
				out[k] = mergeData(old, v)
			} else {
				out[k] = v
			}
		}
		return out
	case []any:
		if b, ok := base.([]any); ok {
			return append(append([]any{}, b...), o...)
		}
	}
	return over
}

// sortedKeys returns the keys of m sorted by code point, as Python sorts
// str keys (UTF-8 byte order is code point order).
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
