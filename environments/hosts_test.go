package environments

import (
	"fmt"
	"strings"
	"testing"
)

// specExample is the example of SPEC.md section 4.
const specExample = `[environment]
connect_method = ssh            ; local | ssh | vagrant
host_domain = example.com       ; appended to host names for .fqdn and for ssh
service_user = app              ; run the agent as this user (sudo -n -u)
require_sudo = false
target_directory = ~/deployment ; where work/ lives on each host (local: the project dir)
platform = debian
jobs = 4
timeout = 30                    ; seconds for connecting a host

[hosts]
web1 = nginx, app
web2 = app, !worker             ; '!' configures but does not deploy a component
!db1 = postgres                 ; '!' before a host: configured, not connected

[host:web3]
components = app
platform = ubuntu
target_directory = /srv/web3    ; per-host override (lets several local hosts coexist)
data-rack = r12                 ; host.data["rack"]

[component:app]
port = 9090                     ; override, converted by the attribute's type

[resolver]
web1 = 10.0.0.5                 ; name resolution overrides for Address
`

// describeHost renders a host on one line.
func describeHost(h *Host) string {
	var comps []string
	for _, c := range h.Components {
		s := c.Name
		if c.Ignore {
			s = "!" + s
		}
		if len(c.Features) > 0 {
			s += ":" + strings.Join(c.Features, "+")
		}
		comps = append(comps, fmt.Sprintf("%s@%d", s, c.Pos.Line))
	}
	return fmt.Sprintf("%s@%d ignore=%v fqdn=%s platform=%s target=%s user=%s sudo=%v data=%v [%s]",
		h.Name, h.Pos.Line, h.Ignore, h.FQDN(), h.Platform, h.TargetDirectory, h.ServiceUser, h.RequireSudo, h.Data,
		strings.Join(comps, " "))
}

func TestSpecExample(t *testing.T) {
	want := []string{
		"web1@12 ignore=false fqdn=web1.example.com platform=debian target=~/deployment user=app sudo=false data=map[] [nginx@12 app@12]",
		"web2@13 ignore=false fqdn=web2.example.com platform=debian target=~/deployment user=app sudo=false data=map[] [app@13 !worker@13]",
		"db1@14 ignore=true fqdn=db1.example.com platform=debian target=~/deployment user=app sudo=false data=map[] [postgres@14]",
		"web3@16 ignore=false fqdn=web3.example.com platform=ubuntu target=/srv/web3 user=app sudo=false data=map[rack:r12] [app@17]",
	}
	eachLayout(t, specExample, func(t *testing.T, e *Environment, errs Errors, file string) {
		if errs != nil || len(e.Warnings) != 0 {
			t.Fatalf("errors %v, warnings %v", errs, e.Warnings)
		}
		var got []string
		for _, h := range e.Hosts {
			got = append(got, describeHost(h))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if h := e.Host("web3"); h == nil || h.KeyPos["platform"] != (Pos{file, 18}) {
			t.Errorf("Host(web3) = %v", h)
		}
		if e.Host("nope") != nil {
			t.Error("Host(nope) found a host")
		}
		s := e.Overrides["app"]
		if len(s) != 1 || s[0].Key != "port" || s[0].Value != "9090" || s[0].Pos != (Pos{file, 23}) || e.OverrideSections["app"] != (Pos{file, 22}) {
			t.Errorf("overrides: %v %v", s, e.OverrideSections)
		}
		if r := e.Resolver["web1"]; r == nil || fmt.Sprint(r.V4, r.V6) != "[10.0.0.5] []" || r.Pos.Line != 26 {
			t.Errorf("resolver: %+v", r)
		}
	})
}

func TestHostSettings(t *testing.T) {
	content := "[environment]\nconnect_method = local\nservice_user = svc\nrequire_sudo = true\n" +
		"[host:a]\ncomponents = x\nservice_user = other\nrequire_sudo = off\nignore = yes\ndata-b = 1\ndata-c =\n  two\n  lines\n" +
		"[host:b]\ncomponents = x\nignore = false\n"
	want := []string{
		"a@5 ignore=true fqdn=a platform= target= user=other sudo=false data=map[b:1 c:\ntwo\nlines] [x@6]",
		"b@14 ignore=false fqdn=b platform= target= user=svc sudo=true data=map[] [x@15]",
	}
	eachLayout(t, content, func(t *testing.T, e *Environment, errs Errors, _ string) {
		if errs != nil {
			t.Fatal(errs)
		}
		for i, h := range e.Hosts {
			if got := describeHost(h); got != want[i] {
				t.Errorf("got  %s\nwant %s", got, want[i])
			}
		}
	})
}

func TestComponentLists(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{"commas", "a, b,c", "a@2 b@2 c@2"},
		{"lines", "a\n    b\n    c", "a@2 b@3 c@4"},
		{"indented only", "\n    a\n    b", "a@3 b@4"},
		{"mixed", "a, b,\n    c\n    d, e", "a@2 b@2 c@3 d@4 e@4"},
		{"empty items dropped", "a,, b,\n\n    ,c,", "a@2 b@2 c@4"},
		{"lower-cased", "Hello, WORLD", "hello@2 world@2"},
		{"ignored", "!a, b", "!a@2 b@2"},
		{"features", "zeo:test, zeo:test2, web", "zeo:test+test2@2 web@2"},
		{"merged ignore", "zeo:a\n    !zeo:b\n    zeo:a", "!zeo:a+b@2"},
		{"spaces", " ! a : f , b ", "!a:f@2 b@2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, form := range []string{"[hosts]\nh = ", "[host:h]\ncomponents = "} {
				env, errs := Parse("dev", "e.cfg", []byte(form+tt.value+"\n"))
				if errs != nil {
					t.Fatal(errs)
				}
				got := describeHost(env.Hosts[0])
				got = got[strings.LastIndex(got, " [")+2 : len(got)-1]
				if got != tt.want {
					t.Errorf("%s: got %s, want %s", form, got, tt.want)
				}
			}
		})
	}
}

func TestFQDN(t *testing.T) {
	if got := (&Host{Name: "a"}).FQDN(); got != "a" {
		t.Errorf("FQDN without domain = %s", got)
	}
	if got := (&Host{Name: "a", HostDomain: "b.c"}).FQDN(); got != "a.b.c" {
		t.Errorf("FQDN = %s", got)
	}
	var e Environment
	if e.Host("x") != nil {
		t.Error("zero Environment has a host")
	}
}
