package environments

import (
	"fmt"
	"strings"
	"testing"
)

func TestEnvironmentSettings(t *testing.T) {
	tests := []struct {
		name, section, want string
	}{
		{"defaults", "", "ssh dom= user= sudo=false target=~/deployment platform= jobs=0 timeout=30"},
		{"local has no default target", "connect_method = local", "local dom= user= sudo=false target= platform= jobs=0 timeout=30"},
		{"local with target", "connect_method = local\ntarget_directory = /srv/x", "local dom= user= sudo=false target=/srv/x platform= jobs=0 timeout=30"},
		{"all", "connect_method = vagrant\nhost_domain = example.com\nservice_user = app\nrequire_sudo = yes\n" +
			"target_directory = /srv\nplatform = debian\njobs = 4\ntimeout = 5",
			"vagrant dom=example.com user=app sudo=true target=/srv platform=debian jobs=4 timeout=5"},
		{"platform defaults to host_domain", "host_domain = fcio.net", "ssh dom=fcio.net user= sudo=false target=~/deployment platform=fcio.net jobs=0 timeout=30"},
		{"connect_method any case", "connect_method = SSH", "ssh dom= user= sudo=false target=~/deployment platform= jobs=0 timeout=30"},
		{"spec comments", "connect_method = local            ; local | ssh | vagrant\ntimeout = 30 ; seconds",
			"local dom= user= sudo=false target= platform= jobs=0 timeout=30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachLayout(t, "[environment]\n"+tt.section+"\n"+minimal, func(t *testing.T, e *Environment, errs Errors, _ string) {
				if errs != nil {
					t.Fatal(errs)
				}
				got := fmt.Sprintf("%s dom=%s user=%s sudo=%v target=%s platform=%s jobs=%d timeout=%d",
					e.ConnectMethod, e.HostDomain, e.ServiceUser, e.RequireSudo, e.TargetDirectory, e.Platform, e.Jobs, e.Timeout)
				if got != tt.want {
					t.Errorf("got  %s\nwant %s", got, tt.want)
				}
			})
		})
	}
}

func TestRequireSudo(t *testing.T) {
	for value, want := range map[string]bool{"true": true, "True": true, "YES": true, "on": true, "1": true,
		"false": false, "False": false, "no": false, "Off": false, "0": false} {
		env, errs := Parse("dev", "e.cfg", []byte("[environment]\nrequire_sudo = "+value+"\n"+minimal))
		if errs != nil || env.RequireSudo != want || env.Hosts[0].RequireSudo != want {
			t.Errorf("require_sudo = %s: %v, %v", value, env.RequireSudo, errs)
		}
	}
}

func TestKeyPos(t *testing.T) {
	env, _ := Parse("dev", "e.cfg", []byte("[environment]\nhost_domain = x\ndevelop = /opt\n\njobs = 2\n"+minimal))
	if got := fmt.Sprint(env.KeyPos); got != "map[host_domain:e.cfg:2 jobs:e.cfg:5]" {
		t.Errorf("KeyPos = %s", got)
	}
}

func TestEnvironmentErrors(t *testing.T) {
	tests := []struct {
		name, section, want string
	}{
		{"connect_method", "connect_method = kitchen", "2: connect_method = kitchen is not a connect method\n  hint: use one of: local, ssh, vagrant"},
		{"require_sudo", "require_sudo = maybe", "2: require_sudo = maybe is not a boolean\n  hint: use true or false (yes/no, on/off and 1/0 work too)"},
		{"require_sudo empty", "require_sudo =", `2: require_sudo = "" is not a boolean`},
		{"jobs", "jobs = many", "2: jobs = many is not a positive whole number\n  hint: the number of hosts deployed at the same time, for example jobs = 4"},
		{"jobs zero", "jobs = 0", "2: jobs = 0 is not a positive whole number"},
		{"timeout", "timeout = -3", "2: timeout = -3 is not a positive whole number\n  hint: seconds to wait for a host to connect, for example timeout = 30"},
		{"several lines", "host_domain = a\n  b", "2: host_domain takes a single value, not several lines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachLayout(t, "[environment]\n"+tt.section+"\n"+minimal, func(t *testing.T, e *Environment, errs Errors, file string) {
				if len(errs) != 1 || !strings.HasPrefix(rendered(errs)[0], tt.want) {
					t.Fatalf("got %q\nwant %q", rendered(errs), tt.want)
				}
				if errs[0].Pos.File != file {
					t.Errorf("error in %s, want %s", errs[0].Pos.File, file)
				}
			})
		})
	}
}

func TestBadValuesKeepDefaults(t *testing.T) {
	env, errs := Parse("dev", "e.cfg", []byte("[environment]\nconnect_method = x\ntimeout = x\njobs = x\n"+minimal))
	if len(errs) != 3 || env.ConnectMethod != "ssh" || env.Timeout != 30 || env.Jobs != 0 {
		t.Errorf("%v %s %d %d", errs, env.ConnectMethod, env.Timeout, env.Jobs)
	}
}

func TestWarnings(t *testing.T) {
	content := "[environment]\ndevelop = /opt/batou\nupdate_method = rsync\nbranch = main\nrepository_url = x\n" +
		"require_v4 = True\nrequire_v6 = optional\nconect_method = ssh\n" +
		"[hosts]\nweb1 = app\n[host:web2]\ncomponents = app\nprovisioner = fc\nprovision-aliases = a\n" +
		"[vfs]\nsandbox = Developer\n[provisioner:default]\nmethod = fc-nixos-dev-vm\n"
	want := []string{
		"2: unknown key develop in [environment]; ignored",
		"3: update_method is a batou setting that this tool does not use; ignored",
		"4: branch is a batou setting that this tool does not use; ignored",
		"5: repository_url is a batou setting that this tool does not use; ignored",
		"6: require_v4 is a batou setting that this tool does not use; ignored",
		"7: require_v6 is a batou setting that this tool does not use; ignored",
		"8: unknown key conect_method in [environment]; ignored",
		"13: provisioning is not supported; provisioner is ignored",
		"14: provisioning is not supported; provision-aliases is ignored",
		"15: [vfs] is not supported; the section is ignored",
		"17: provisioning is not supported; [provisioner:default] is ignored",
	}
	eachLayout(t, content, func(t *testing.T, e *Environment, errs Errors, _ string) {
		if errs != nil {
			t.Fatal(errs)
		}
		if got := firstLines(e.Warnings); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if hint := e.Warnings[6].Hint; !strings.HasPrefix(hint, "did you mean connect_method? [environment] understands connect_method,") {
			t.Errorf("hint: %s", hint)
		}
	})
}
