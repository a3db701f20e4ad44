package components

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// docPath is the user documentation of the component library.
const docPath = "../docs/components.md"

// attrTable renders the attribute table of a kind for docs/components.md.
func attrTable(k *Kind) string {
	var b strings.Builder
	b.WriteString("| attribute | default | meaning |\n|---|---|---|\n")
	for _, a := range k.Attrs {
		def := docDefault(a.Default)
		switch {
		case a.Name == k.Namevar:
			def = "first argument"
		case a.Required:
			def = "required"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", a.Name, def, strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(a.Doc))
	}
	return b.String()
}

func docDefault(v any) string {
	switch v := v.(type) {
	case nil:
		return "`None`"
	case bool:
		return map[bool]string{true: "`True`", false: "`False`"}[v]
	case string:
		return fmt.Sprintf("`%q`", v)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = fmt.Sprintf("%q", x)
		}
		return "`[" + strings.Join(parts, ", ") + "]`"
	}
	return fmt.Sprintf("`%v`", v)
}

var attrBlock = regexp.MustCompile("(?s)<!-- attrs: ([A-Za-z.]+) -->\n.*?<!-- /attrs -->")

// Every kind has a section in docs/components.md whose attribute table is
// the one the registry declares. BATOU_UPDATE_GOLDEN=1 rewrites the
// tables.
func TestComponentsDoc(t *testing.T) {
	data, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	r := Builtin()
	seen := map[string]bool{}
	updated := attrBlock.ReplaceAllStringFunc(doc, func(block string) string {
		name := attrBlock.FindStringSubmatch(block)[1]
		seen[name] = true
		k := r.Get(name)
		if k == nil {
			t.Errorf("docs/components.md has a table for %s, which is not a kind", name)
			return block
		}
		return "<!-- attrs: " + name + " -->\n" + attrTable(k) + "<!-- /attrs -->"
	})
	for _, name := range r.Names() {
		if !seen[name] || !strings.Contains(doc, "\n## `"+name+"(") {
			t.Errorf("docs/components.md lacks a section \"## `%s(...)`\" with an attribute table", name)
		}
	}
	if os.Getenv("BATOU_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(docPath, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if updated != doc {
		t.Errorf("the attribute tables of docs/components.md differ from the registry; run BATOU_UPDATE_GOLDEN=1 go test ./components -run TestComponentsDoc")
	}
}
