#!/usr/bin/python3
"""Regenerate the golden outputs of the template corpus with Jinja2.

Run it from this directory with Debian's Jinja2 (apt-get install -y
python3-jinja2), not with another Python on PATH:

    cd starlib/jinja/testdata/golden && /usr/bin/python3 gen.py

Every case is NAME.j2, a template, and optionally NAME.ctx, its context: one
literal expression that Python and Starlark both evaluate to a dict (str,
int, float, True/False/None, lists, tuples, dicts, lambdas, struct(a=1) for
attribute access and addr("host", 80) for an address that prints as
host:port). The template is rendered with batou's settings (StrictUndefined,
keep_trailing_newline=True, line_statement_prefix="@@") and the output is
written to NAME.out. When rendering fails, NAME.err gets the exception type
and the template line Jinja2 reports, then the message:

    UndefinedError 3
    'foo' is undefined

The Go test (golden_test.go) renders the same cases with our engine and
compares byte for byte (for errors: that we fail, on the same line). A
NAME.known file marks a known difference; its text says why.
"""

import glob
import os
import sys
import traceback

import jinja2


class struct:
    """A value with attributes, like Starlark's struct(a=1)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


class addr:
    """An address: attributes host and port, printed as host:port."""

    def __init__(self, host, port):
        self.host = host
        self.port = port

    def __str__(self):
        return "%s:%d" % (self.host, self.port)

    def url(self, path="/"):
        return "http://%s:%d%s" % (self.host, self.port, path)


def environment():
    return jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        line_statement_prefix="@@",
    )


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def remove(path):
    if os.path.exists(path):
        os.remove(path)


def error_line(e):
    if isinstance(e, jinja2.TemplateSyntaxError):
        return e.lineno
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == "<template>"]
    return frames[-1].lineno if frames else 0


def render(case):
    source = read(case + ".j2")
    ctx = {}
    if os.path.exists(case + ".ctx"):
        ctx = eval(read(case + ".ctx"), {"struct": struct, "addr": addr})
    try:
        out = environment().from_string(source).render(**ctx)
    except Exception as e:  # every failure is a golden result
        remove(case + ".out")
        message = str(e).replace("\n", " ")
        write(case + ".err", "%s %d\n%s\n" % (type(e).__name__, error_line(e), message))
        return "error"
    remove(case + ".err")
    write(case + ".out", out)
    return "ok"


def main():
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    cases = sorted(p[: -len(".j2")] for p in glob.glob("*.j2"))
    for case in cases:
        print("%-40s %s" % (case, render(case)))
    print("jinja2 %s, %d cases" % (jinja2.__version__, len(cases)), file=sys.stderr)


if __name__ == "__main__":
    main()
