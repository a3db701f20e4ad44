package environments

import (
	"fmt"
	"strings"
	"testing"
)

func TestFileErrors(t *testing.T) {
	tests := []struct {
		name, content string
		want          []string
	}{
		{"duplicate host in both forms", "[hosts]\nfoo = bar\n[host:foo]\ncomponents = bar\n",
			[]string{"3: host foo is defined twice (first at line 2)\n  hint: remove one of the definitions"}},
		{"duplicate host in [hosts]", "[hosts]\nfoo = bar\n!foo = baz\n",
			[]string{"3: host foo is defined twice (first at line 2)"}},
		{"host section without components", "[host:a]\nplatform = x\n",
			[]string{"1: [host:a] has no components key\n  hint: add a line like `components = component1, component2`"}},
		{"empty component list", "[hosts]\na =\nb = ,\n  ,\n[host:c]\ncomponents =\n",
			[]string{"2: host a has no components\n  hint: list the components of a separated by commas or on indented lines",
				"3: host b has no components", "6: host c has no components"}},
		{"unknown host key", "[host:a]\ncomponents = x\nplatfrom = debian\n",
			[]string{"3: unknown key platfrom in [host:a]\n  hint: did you mean platform? [host:NAME] understands components, ignore, platform, target_directory, service_user, require_sudo, data-NAME"}},
		{"bad ignore", "[host:a]\ncomponents = x\nignore = perhaps\n", []string{"3: ignore = perhaps is not a boolean"}},
		{"bad host require_sudo", "[host:a]\ncomponents = x\nrequire_sudo = 2\n", []string{"3: require_sudo = 2 is not a boolean"}},
		{"empty data key", "[host:a]\ncomponents = x\ndata- = 1\n", []string{"3: data- without a name"}},
		{"bad host names", "[hosts]\n! = a\nb/c = a\n[host:x y]\ncomponents = a\n[host:]\ncomponents = a\n[host:a:b]\ncomponents = a\n[host:!d]\ncomponents = a\n",
			[]string{"2: a host without a name", `3: host name "b/c" contains / or :`, `4: host name "x y" contains whitespace`,
				"6: a host without a name", `8: host name "a:b" contains / or :`,
				"10: host name \"!d\" starts with !\n  hint: to ignore a host defined in a [host:NAME] section, write ignore = true"}},
		{"bad component entries", "[hosts]\na = x y, !, b:, :f\n",
			[]string{`2: entry "x y" of host a has whitespace in the component name` + "\n  hint: separate components with commas",
				`2: entry "!" of host a has no component name`, `2: entry "b:" of host a has an empty feature`,
				`2: entry ":f" of host a has no component name`}},
		{"no hosts", "[environment]\nconnect_method = local\n",
			[]string{"1: the environment has no hosts\n  hint: add a [hosts] section with lines like `myhost = component1, component2`"}},
		{"empty file", "", []string{"1: the environment has no hosts"}},
		{"empty hosts section", "[environment]\n\n[hosts]\n", []string{"3: the environment has no hosts"}},
		{"unknown sections", "[hosts]\na = b\n[host]\n[Environment]\n[hosts:web]\n[components:x]\n[DEFAULT]\n",
			[]string{"3: unknown section [host]\n  hint: did you mean hosts? valid sections: [environment], [hosts], [host:NAME], [component:NAME], [resolver]",
				"4: unknown section [Environment]\n  hint: did you mean environment?", "5: unknown section [hosts:web]\n  hint: did you mean host:web?",
				"6: unknown section [components:x]\n  hint: did you mean component:x?", "7: unknown section [DEFAULT]\n  hint: valid sections"}},
		{"override sections", "[hosts]\na = b\n[component:App]\nx = 1\n[component:app]\ny = 2\n[component:]\n",
			[]string{"5: [component:app] overrides component app a second time (first at line 3)", "7: [component:] does not name a component"}},
		{"resolver", "[hosts]\na = b\n[resolver]\nlocalhost =\n    thisisinvalid\n    127.0.0.2\n    ::2\nempty =\nx = 1.2.3.4.5, 10.0.0.1\n",
			[]string{"5: not a valid IP address: thisisinvalid\n  hint: each value line of a [resolver] entry is an IPv4 or IPv6 address",
				"8: resolver entry empty has no address", "9: not a valid IP address: 1.2.3.4.5"}},
		{"syntax errors", "[hosts]\na = b\nnot a key\n[hosts]\n[x\n",
			[]string{"3: not a section header, key = value, comment or continuation line",
				"4: section [hosts] is defined twice (first at line 1)", "5: a section header without a closing ]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachLayout(t, tt.content, func(t *testing.T, e *Environment, errs Errors, file string) {
				got := rendered(errs)
				if len(got) != len(tt.want) {
					t.Fatalf("got %d errors, want %d:\n%s", len(got), len(tt.want), errs)
				}
				for i := range got {
					if !strings.HasPrefix(got[i], tt.want[i]) {
						t.Errorf("error %d:\ngot  %s\nwant %s", i, got[i], tt.want[i])
					}
					if errs[i].Pos.File != file {
						t.Errorf("error %d in %s", i, errs[i].Pos.File)
					}
				}
			})
		})
	}
}

func TestResolverValues(t *testing.T) {
	env, errs := Parse("dev", "e.cfg", []byte(minimal+"[resolver]\nwww.example.com =\n    3.2.1.4\n    ::2\n    ::ffff:1.2.3.4\n  5.6.7.8, fe80::1\n"))
	if errs != nil {
		t.Fatal(errs)
	}
	r := env.Resolver["www.example.com"]
	if got := fmt.Sprint(r.V4, r.V6); got != "[3.2.1.4 5.6.7.8] [::2 ::ffff:1.2.3.4 fe80::1]" {
		t.Errorf("got %s", got)
	}
}

func TestOverrides(t *testing.T) {
	env, errs := Parse("dev", "e.cfg", []byte(minimal+"[component:Hello]\nb = 2\na = x\n  y\npath = /srv/{{host.name}} ; c\n[component:empty]\n"))
	if errs != nil {
		t.Fatal(errs)
	}
	var got []string
	for _, s := range env.Overrides["hello"] {
		got = append(got, fmt.Sprintf("%s=%q@%d", s.Key, s.Value, s.Pos.Line))
	}
	if strings.Join(got, " ") != `b="2"@4 a="x\ny"@5 path="/srv/{{host.name}}"@7` {
		t.Errorf("got %s", got)
	}
	if s, ok := env.Overrides["empty"]; !ok || s == nil || len(s) != 0 || env.OverrideSections["empty"].Line != 8 {
		t.Errorf("empty section: %v %v", s, env.OverrideSections)
	}
}

// broken has many problems at once.
const broken = `[environment]
connect_method = telnet
jobs = lots
develop = /opt/batou

[hosts]
web1 = app
web1x = 
!web1 = db

[host:web2]
platform = x
colour = red

[superfluous]
[component:app]
port = 1
[resolver]
a = nope
garbage line
`

func TestManyErrorsAtOnce(t *testing.T) {
	want := `%[1]s:2: connect_method = telnet is not a connect method
  hint: use one of: local, ssh, vagrant
%[1]s:3: jobs = lots is not a positive whole number
  hint: the number of hosts deployed at the same time, for example jobs = 4
%[1]s:8: host web1x has no components
  hint: list the components of web1x separated by commas or on indented lines
%[1]s:9: host web1 is defined twice (first at line 7)
  hint: remove one of the definitions
%[1]s:11: [host:web2] has no components key
  hint: add a line like ` + "`components = component1, component2`" + `
%[1]s:13: unknown key colour in [host:web2]
  hint: [host:NAME] understands components, ignore, platform, target_directory, service_user, require_sudo, data-NAME
%[1]s:15: unknown section [superfluous]
  hint: valid sections: [environment], [hosts], [host:NAME], [component:NAME], [resolver]
%[1]s:19: not a valid IP address: nope
  hint: each value line of a [resolver] entry is an IPv4 or IPv6 address
%[1]s:20: not a section header, key = value, comment or continuation line
  hint: a continuation line must be indented deeper than its key; a comment starts with # or ;`
	eachLayout(t, broken, func(t *testing.T, e *Environment, errs Errors, file string) {
		if got, want := errs.Error(), fmt.Sprintf(want, file); got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
		if len(e.Warnings) != 1 || len(e.Hosts) != 3 || e.Overrides["app"] == nil {
			t.Errorf("partial environment: warnings %v, hosts %d, overrides %v", e.Warnings, len(e.Hosts), e.Overrides)
		}
		for i := 0; i < 3; i++ {
			if _, again := load(t, project(t, map[string]string{file: broken}), "dev"); again.Error() != errs.Error() {
				t.Fatal("errors differ between runs")
			}
		}
	})
}

func TestErrorRendering(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Pos: Pos{"a.cfg", 3}, Msg: "m", Hint: "h"}, "a.cfg:3: m\n  hint: h"},
		{&Error{Pos: Pos{"a.cfg", 0}, Msg: "m"}, "a.cfg: m"},
		{&Error{Msg: "m"}, "m"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
	es := Errors{{Pos: Pos{"b", 1}, Msg: "x"}, {Pos: Pos{"a", 9}, Msg: "y"}, {Pos: Pos{"a", 2}, Msg: "z"}, {Pos: Pos{"a", 2}, Msg: "w"}}
	sortErrors(es)
	if got := es.Error(); got != "a:2: z\na:2: w\na:9: y\nb:1: x" {
		t.Errorf("sorted: %q", got)
	}
}
