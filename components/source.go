package components

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// rawContent is a File's or Content's content before rendering: literal
// text, or the bytes of a source file of the project.
type rawContent struct {
	text  string // literal content given as a string
	data  []byte // literal bytes or a source file
	isStr bool   // text is set, data is not
	name  string // template name for errors: the source file or <content of ...>
	asset bool   // data is the file of the project name (ReadAsset)
}

// finalContent computes the content a file must have, from content= or
// source= (or the implicit source named like the target), rendered as a
// template when is_template is set and the encoding is not None. label is
// the component's breadcrumb, for the template name of literal content.
//
// Content larger than InlineMax becomes a Blob (unless it is sensitive):
// a source file that is taken as it is (encoding None, or is_template
// False) is hashed without being read into memory; other content is
// computed first.
func finalContent(ctx ExpandContext, a Attrs, label breadcrumb) (any, error) {
	enc, err := normEncoding(a["encoding"])
	if err != nil {
		return nil, err
	}
	if b, ok := a["content"].(Blob); ok {
		return b, nil // final already (a File passes it on to its Content)
	}
	if (enc == "" || !a.flag("is_template")) && a["sensitive_data"] != true {
		if b := largeSource(ctx, a); b != nil {
			return *b, nil
		}
	}
	raw, err := contentSource(ctx, a, label)
	if err != nil {
		return nil, err
	}
	var out any
	switch {
	case enc == "" && raw.isStr:
		out = []byte(raw.text)
	case enc == "":
		out = raw.data
	case !a.flag("is_template"):
		out, err = plainContent(enc, raw)
	default:
		out, err = renderContent(ctx, a, enc, raw)
	}
	if err != nil {
		return nil, err
	}
	return blobContent(ctx, a, out, raw.name), nil
}

// largeSource returns the source file (source=, or the implicit one) as a
// Blob when it is larger than InlineMax and no content= is given; else
// nil, and contentSource reads it (and reports what is wrong).
func largeSource(ctx ExpandContext, a Attrs) *Blob {
	if a["content"] != nil {
		return nil
	}
	source, _ := a["source"].(string)
	if source == "" {
		display, _ := a[DisplayAttr].(string)
		if display == "" {
			display = a.str("path")
		}
		source = filepath.Base(display)
	}
	b, err := ctx.LargeAsset(source)
	if err != nil {
		return nil
	}
	return b
}

// plainContent encodes literal text; bytes are taken as they are.
func plainContent(enc string, raw rawContent) (any, error) {
	if !raw.isStr {
		return finalValue(enc, raw.data), nil
	}
	v, err := encodeFinal(enc, raw.text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", raw.name, err)
	}
	return v, nil
}

// renderContent decodes, renders and encodes the content.
func renderContent(ctx ExpandContext, a Attrs, enc string, raw rawContent) (any, error) {
	text, err := rawText(ctx, enc, raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", raw.name, err)
	}
	args, _ := a["template_args"].(map[string]any)
	if args == nil {
		args = map[string]any{}
	}
	out, err := ctx.Render(raw.name, text, args)
	if err != nil {
		return nil, err
	}
	v, err := encodeFinal(enc, out)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", raw.name, err)
	}
	return v, nil
}

// rawText is the raw content as text in encoding enc.
func rawText(ctx ExpandContext, enc string, raw rawContent) (string, error) {
	switch {
	case raw.isStr:
		return raw.text, nil
	case raw.asset:
		return ctx.ReadText(raw.name, enc)
	}
	return DecodeText(enc, raw.data)
}

// breadcrumb is the label of a component of a kind for a path as the user
// wrote it, File('x'); made only when a message or name needs it.
type breadcrumb struct{ kind, display string }

func (b breadcrumb) String() string { return b.kind + "('" + b.display + "')" }

// contentSource finds the raw content: content=, source=, or the implicit
// source named like the target's basename in the defdir.
func contentSource(ctx ExpandContext, a Attrs, label breadcrumb) (rawContent, error) {
	source, err := a.strOrNil("source")
	if err != nil {
		return rawContent{}, err
	}
	content := a["content"]
	switch c := content.(type) {
	case nil:
	case string:
		if source == "" {
			return rawContent{text: c, isStr: true, name: "<content of " + label.String() + ">"}, nil
		}
	case []byte:
		if source == "" {
			return rawContent{data: c, name: "<content of " + label.String() + ">"}, nil
		}
	default:
		return rawContent{}, fmt.Errorf("content must be a string or bytes, not %s", typeName(c))
	}
	if content != nil {
		return rawContent{}, errors.New("give either content= or source=, not both")
	}
	if source != "" {
		return readSource(ctx, source)
	}
	return implicitSource(ctx, a)
}

func readSource(ctx ExpandContext, source string) (rawContent, error) {
	data, err := ctx.ReadAsset(source)
	if err != nil {
		return rawContent{}, fmt.Errorf("source %s: %w", source, err)
	}
	return rawContent{data: data, name: source, asset: true}, nil
}

// implicitSource reads the file of the defdir named like the target.
func implicitSource(ctx ExpandContext, a Attrs) (rawContent, error) {
	display, _ := a[DisplayAttr].(string)
	if display == "" {
		display = a.str("path")
	}
	name := filepath.Base(display)
	data, err := ctx.ReadAsset(name)
	if errors.Is(err, fs.ErrNotExist) {
		return rawContent{}, fmt.Errorf("missing implicit template file %s; hint: pass content=... or source=...", name)
	}
	if err != nil {
		return rawContent{}, fmt.Errorf("implicit source %s: %w", name, err)
	}
	return rawContent{data: data, name: name, asset: true}, nil
}
