package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batou-go/batou/runtime/plan"
)

const blobApp = `
def _configure(self):
    self += File("built.conf", content = self.expand("pw={{ component.password }}\n") + "x" * 70000)
    self += File("tmpl.conf", content = "pw={{ component.password }}\n" + "y" * 70000)
    self += File("short.conf", content = "s={{ component.short }}\n" + "z" * 70000)
    self += File("marked.conf", content = "v" * 70000, sensitive_data = True)
    self += File("big.conf", content = "w" * 70000)
    self += File("small.conf", content = "pw={{ component.password }}\n")

App = Component(configure = _configure, attrs = {
    "password": Attribute(str),
    "short": Attribute(str),
    "users": Attribute(list),
})
`

// TestSensitiveContentNeverTravelsByDigest: a digest of content that
// holds a secret would let whoever reads the plan test guesses of a short
// secret, so such content stays inline (and masked wherever it is shown),
// however large; other large content travels as a blob.
func TestSensitiveContentNeverTravelsByDigest(t *testing.T) {
	dir, keys := secretProject(t, secretValues)
	if err := os.WriteFile(filepath.Join(dir, "components/app/component.star"), []byte(blobApp), 0o644); err != nil {
		t.Fatal(err)
	}
	m := loadSecretProject(t, dir, keys)
	plans := compiled(t, m)
	contents := map[string]plan.Value{}
	plans[0].Roots[0].Node.Walk(func(n *plan.Node) {
		if n.Kind == "Content" {
			contents[n.Label] = n.Attrs["content"]
		}
	})
	for _, name := range []string{"built.conf", "tmpl.conf", "short.conf", "marked.conf", "small.conf"} {
		switch c := contents["Content('"+name+"')"].(type) {
		case plan.Blob:
			t.Errorf("%s travels by digest, but it is sensitive", name)
		case string:
			if name != "small.conf" && len(c) < 70000 {
				t.Errorf("%s holds %d bytes", name, len(c))
			}
		default:
			t.Errorf("%s: content is %T", name, c)
		}
	}
	b, isBlob := contents["Content('big.conf')"].(plan.Blob)
	if !isBlob || b.Size != 70000 || b.Source.Data != strings.Repeat("w", 70000) {
		t.Fatalf("big.conf: %T, want a blob of 70000 bytes", contents["Content('big.conf')"])
	}
	masked, _ := plans[0].Masked(plan.NewMasker(plans[0].Secrets...)).Marshal()
	if strings.Contains(string(masked), "sEcReT") || strings.Contains(string(masked), "s=ab") || !strings.Contains(string(masked), `"$blob"`) {
		t.Errorf("masked plan shows a secret, or no blob")
	}
}
