#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""House rule "functions < 150 lines" over the C sources of the libraries and the CLI
(libamd/src, cli): every top-level function, from the first line of its signature to its
closing brace, must be at most MAX_LINES long. Prints each one that is longer (file:line, name,
length) and exits 1.

The sources follow the project's brace style (clang-format: a function's braces alone at column
0). Before judging them the check proves it can fail: a doctored 151-line function, in both
brace styles, must be reported and a 150-line one must not.

  python3 tests/integration/test_function_length.py     (AMD_SOURCE_DIR set by ctest, else the repo)
"""
import os
import re
import sys

MAX_LINES = 150
SRC = os.environ.get("AMD_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIRS = ("libamd/src", "cli")
NAME = re.compile(r"(\w+)\s*\(")


def functions(text):
    """(first line, name, length) of each top-level function in C source @text."""
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        opens_here = line.endswith("{") and line[:1] not in ("", " ", "\t", "#", "/", "*") and "(" in line \
            and not line.lstrip().startswith(("struct", "typedef", "enum", "union", "static const", "const"))
        if line == "{" or opens_here:
            start = i
            if line == "{":  # the signature: back to its first line (the one at column 0)
                start = i - 1
                while start > 0 and lines[start][:1] in (" ", "\t"):
                    start -= 1
            m = NAME.search(lines[start])
            end = i + 1
            while end < len(lines) and lines[end] != "}" and not lines[end].startswith("};"):
                end += 1
            if m and not lines[start].lstrip().startswith(("struct", "typedef", "enum", "union")):
                out.append((start + 1, m.group(1), end - start + 1))
            i = end
        i += 1
    return out


def too_long(text):
    return [f for f in functions(text) if f[2] > MAX_LINES]


def self_check():
    body = lambda n: "\n".join("    x += %d;" % k for k in range(n))
    own_line = "static int f(int x)\n{\n" + body(MAX_LINES - 3) + "\n    return x;\n}\n"      # 151 lines
    same_line = "int g(int x) {\n" + body(MAX_LINES - 2) + "\n    return x;\n}\n"            # 151 lines
    at_limit = "static int h(int x)\n{\n" + body(MAX_LINES - 4) + "\n    return x;\n}\n"     # 150 lines
    table = "static const int t[] = {\n" + body(200).replace(";", ",") + "\n};\n"
    assert [f[1] for f in too_long(own_line)] == ["f"], too_long(own_line)
    assert [f[1] for f in too_long(same_line)] == ["g"], too_long(same_line)
    assert too_long(at_limit) == [] and functions(at_limit)[0][2] == MAX_LINES, functions(at_limit)
    assert too_long(table) == [], too_long(table)


def main():
    self_check()
    bad = []
    n = 0
    for d in DIRS:
        for root, _, files in os.walk(os.path.join(SRC, d)):
            for f in sorted(files):
                if not f.endswith(".c"):
                    continue
                path = os.path.join(root, f)
                with open(path, encoding="utf-8", errors="replace") as fh:
                    fns = functions(fh.read())
                n += len(fns)
                bad += [(os.path.relpath(path, SRC), line, name, length) for line, name, length in fns
                        if length > MAX_LINES]
    for path, line, name, length in sorted(bad, key=lambda b: -b[3]):
        print("%s:%d: %s is %d lines (the limit is %d: split it)" % (path, line, name, length, MAX_LINES))
    print("%d functions in %s, %d over %d lines" % (n, " ".join(DIRS), len(bad), MAX_LINES))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
