package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/batou-go/batou/runtime/plan"
)

// In a first deploy's run of Files, once one was found missing the next
// ones are created without looking first (components.CreateIfMissing).
// What stands at the path of one of them after all is deployed as ever,
// on one core as on two: a file with the same content is left alone, one
// with other content rewritten, a dangling symlink replaced by the file,
// a directory replaced (Presence says what it was), a symlink to a file
// with the same content followed. The first file is large, so that on two
// cores the writers are ahead of the deploy (they write those files
// ahead too, without looking, after finding the ones before missing).
func TestFirstDeployFindsWhatStandsThere(t *testing.T) {
	names := make([]string, 40)
	for i := range names {
		names[i] = fmt.Sprintf("f%02d.conf", i)
	}
	content := func(i int) string {
		if i == 0 {
			return aheadContent(0)
		}
		return fmt.Sprintf("line %d\n", i)
	}
	var want []string
	for i, name := range names {
		file := "Files > File('" + name + "') > "
		created := "@@ -0,0 +1 @@\n+" + content(i)
		switch i {
		case 0:
			want = append(want, file+"Presence('"+name+"') file missing ", file+"Content('"+name+"') content differs ")
		case 5, 17:
		case 8:
			want = append(want, file+"Content('"+name+"') content differs @@ -1 +1 @@\n-old\n+"+content(i))
		case 14:
			want = append(want, file+"Presence('"+name+"') not a regular file: a directory ",
				file+"Content('"+name+"') content differs "+created)
		default:
			want = append(want, file+"Presence('"+name+"') file missing ",
				file+"Content('"+name+"') content differs "+created)
		}
	}
	for _, cores := range []int{1, 2} {
		target := t.TempDir()
		dangling := filepath.Join(t.TempDir(), "nowhere")
		for name, data := range map[string]string{"f05.conf": content(5), "f08.conf": "old\n", "f17.target": content(17)} {
			if err := os.WriteFile(filepath.Join(target, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.MkdirAll(filepath.Join(target, "f14.conf", "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(dangling, filepath.Join(target, "f11.conf")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("f17.target", filepath.Join(target, "f17.conf")); err != nil {
			t.Fatal(err)
		}
		old := runtime.GOMAXPROCS(cores)
		events := deployFiles(t, filePlan(target, names, content))
		runtime.GOMAXPROCS(old)
		var got []string
		for _, e := range events {
			switch e.Type {
			case plan.EventError:
				t.Errorf("%d cores: error: %s %s", cores, e.Path, e.Message)
			case plan.EventComponent:
				_, diff, _ := strings.Cut(e.Diff, "@@")
				if diff != "" && !strings.Contains(e.Path, names[0]) {
					diff = "@@" + diff
				} else {
					diff = ""
				}
				got = append(got, e.Path+" "+e.Message+" "+diff)
			}
		}
		if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
			t.Errorf("%d cores: events:\n%s\nwant:\n%s", cores, g, w)
		}
		for i, name := range names {
			p := filepath.Join(target, name)
			info, err := os.Lstat(p)
			data, _ := os.ReadFile(p)
			if err != nil || string(data) != content(i) || (i != 17) != info.Mode().IsRegular() {
				t.Errorf("%d cores: %s: %v, %q", cores, name, err, data)
			}
		}
		if tmps := tempFiles(t, target); len(tmps) > 0 {
			t.Errorf("%d cores: temporary files left: %v", cores, tmps)
		}
		if _, err := os.Lstat(dangling); !os.IsNotExist(err) {
			t.Errorf("%d cores: the dangling symlink's target was created: %v", cores, err)
		}
	}
}
