package main

import (
	"net"
	"net/http"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdHttpserve serves the files below DIR over HTTP on a loopback port
// until the script ends, and sets $HTTP to its base URL. Paths below
// /private/ need basic authentication as user "deploy" with password
// "s3cret".
//
//	httpserve DIR
func cmdHttpserve(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: httpserve DIR")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	files := http.FileServer(http.Dir(ts.MkAbs(args[0])))
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/private/") {
			if u, p, ok := r.BasicAuth(); !ok || u != "deploy" || p != "s3cret" {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		files.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	ts.Defer(func() { _ = srv.Close() })
	ts.Setenv("HTTP", "http://"+ln.Addr().String())
}
