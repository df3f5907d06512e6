#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The ABI of the built libamd.so against the committed baseline (libamd/abi/libamd.abi), with
libabigail (Debian abigail-tools): only additive changes pass.

Additive, and accepted:
  - functions or variables added;
  - enumerators added (abidiff itself files these as harmless);
  - members appended at the end of amd_result / amd_frame_info, the structs the library fills
    and whose filled size it reports in struct_size (detector.h, "ABI growth").
Anything else abidiff reports fails: a removed or changed function, a member moved, removed or
retyped, any change to a struct the caller allocates (amd_config), an enumerator's value changed.
abidiff's exit status: bit 1 error, bit 2 usage error, bit 4 an ABI change (judged by the rules
above from its --leaf-changes-only report), bit 8 an incompatible change (always fails).

Before judging the real build, the judge proves it can fail: doctored copies of the current ABI
(a function removed, a member moved, a member appended to amd_config) must be rejected, and
additive ones (a function added, a member appended to amd_result) accepted.

  python3 tests/integration/test_abi.py            (AMD_SOURCE_DIR, AMD_BINARY_DIR set: ctest)
  python3 tests/integration/test_abi.py --update   rewrite the baseline from the build
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ.get("AMD_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("AMD_BINARY_DIR") or os.path.join(SRC, "build")
BASELINE = os.path.join(SRC, "libamd", "abi", "libamd.abi")
HEADERS = os.path.join(SRC, "libamd", "include", "amd")
GROWABLE = {"amd_result", "amd_frame_info"}


def abidw(lib, out):
    """The ABI of @lib as libabigail XML: public-header types only, no build paths."""
    subprocess.run(["abidw", "--headers-dir", HEADERS, "--drop-private-types", "--no-corpus-path",
                    "--no-comp-dir-path", "--short-locs", "--type-id-style", "hash",
                    "--out-file", out, lib], check=True)


def judge(old, new):
    """(ok, why, report) for the change from ABI file @old to @new."""
    p = subprocess.run(["abidiff", "--leaf-changes-only", old, new], capture_output=True, text=True)
    report = p.stdout + p.stderr
    if p.returncode & 3:
        return False, "abidiff failed (exit %d)" % p.returncode, report
    if p.returncode & 8:
        return False, "incompatible change (abidiff exit bit 8)", report
    if p.returncode == 0:
        return True, "no change", report
    bad = []
    section, old_size = None, None
    for line in report.splitlines():
        if not line.strip() or re.match(r"(Leaf changes|Changed leaf|Removed/Changed/Added)", line):
            continue
        m = re.match(r"'(struct|union|enum|typedef|class) (\w+) at [^']*' changed:$", line)
        if m:
            section, old_size = ("growable" if m.group(1) == "struct" and m.group(2) in GROWABLE
                                 else "other:" + m.group(2)), None
            if section.startswith("other"):
                bad.append(line)
            continue
        m = re.match(r"(Function|Variable) symbols changes summary: (\d+) Removed", line)
        if m:
            if int(m.group(2)):
                bad.append(line)
            continue
        if re.match(r"\d+ Added (function|variable)s?( symbols? not referenced by debug info)?:$", line):
            section = "added"
            continue
        if re.match(r"\d+ (Removed|Changed)", line) or re.match(r"\d+ .*(Removed|Changed).*:$", line):
            section = "other"
            bad.append(line)
            continue
        body = line.strip()
        if section == "added" and body.startswith("[A] "):
            continue
        if section == "growable":
            m = re.match(r"type size changed from (\d+) to (\d+) \(in bits\)$", body)
            if m and int(m.group(2)) > int(m.group(1)):
                old_size = int(m.group(1))
                continue
            if re.match(r"\d+ data member insertions?:$", body):
                continue
            m = re.match(r"'.*', at offset (\d+) \(in bits\)", body)
            if m and old_size is not None and int(m.group(1)) >= old_size:
                continue
        bad.append(line)
    if bad:
        return False, "not additive: " + " | ".join(x.strip() for x in bad[:6]), report
    return True, "additive change", report


def doctor(xml, out, edit):
    with open(xml) as f:
        s = f.read()
    t = edit(s)
    assert t != s, "doctoring did not apply to " + out
    with open(out, "w") as f:
        f.write(t)
    return out


def struct_block(s, name):
    return re.search(r"(<class-decl name='%s' size-in-bits=')(\d+)('.*?)(\s*</class-decl>)" % name, s, re.S)


def append_member(s, name):
    m = struct_block(s, name)
    size = int(m.group(2))
    tid = re.search(r"<var-decl name='\w+' type-id='([^']+)'", m.group(3)).group(1)
    member = ("\n      <data-member access='public' layout-offset-in-bits='%d'>\n        <var-decl "
              "name='added_later' type-id='%s' visibility='default' filepath='detector.h' line='1' "
              "column='1'/>\n      </data-member>" % (size, tid))
    return s[:m.start()] + m.group(1) + str(size + 64) + m.group(3) + member + m.group(4) + s[m.end():]


def move_member(s, name):
    m = struct_block(s, name)
    blk = re.sub(r"(layout-offset-in-bits=')(\d+)('>\s*<var-decl name='answered_by')",
                 lambda k: k.group(1) + str(int(k.group(2)) + 32) + k.group(3), m.group(3))
    return s[:m.start()] + m.group(1) + m.group(2) + blk + m.group(4) + s[m.end():]


def remove_function(s, fn):
    s = re.sub(r"\s*<elf-symbol name='%s'[^>]*/>" % fn, "", s)
    return re.sub(r"<function-decl name='%s'.*?</function-decl>" % fn, "", s, flags=re.S)


def add_function(s, fn, new):
    sym = re.search(r"<elf-symbol name='%s'[^>]*/>" % fn, s).group(0)
    decl = re.search(r"<function-decl name='%s'.*?</function-decl>" % fn, s, re.S).group(0)
    s = s.replace(sym, sym + "\n    " + sym.replace(fn, new), 1)
    return s.replace(decl, decl + "\n    " + decl.replace(fn, new), 1)


def self_test(cur, tmp):
    cases = [
        ("function removed", lambda s: remove_function(s, "amd_detector_reset"), False),
        ("amd_result member moved", lambda s: move_member(s, "amd_result"), False),
        ("amd_config member appended", lambda s: append_member(s, "amd_config"), False),
        ("function added", lambda s: add_function(s, "amd_detector_reset", "amd_detector_later"), True),
        ("amd_result member appended", lambda s: append_member(s, "amd_result"), True),
        ("amd_frame_info member appended", lambda s: append_member(s, "amd_frame_info"), True),
    ]
    failures = 0
    for i, (what, edit, want) in enumerate(cases):
        ok, why, report = judge(cur, doctor(cur, os.path.join(tmp, "doctored%d.abi" % i), edit))
        print("self-test %-32s %-8s (%s)" % (what + ":", "accepted" if ok else "rejected", why))
        if ok != want:
            print(report)
            failures += 1
    return failures


def main():
    lib = os.path.join(BIN, "libamd", "libamd.so")
    if not shutil.which("abidw") or not shutil.which("abidiff"):
        print("skip: libabigail's abidw / abidiff not installed (Debian abigail-tools)")
        return 77
    if not os.path.exists(lib):
        print("skip: %s not built" % lib)
        return 77
    cache = os.path.join(BIN, "CMakeCache.txt")
    if os.path.exists(cache) and re.search(r"^CMAKE_BUILD_TYPE:STRING=(Release|MinSizeRel)$",
                                           open(cache).read(), re.M):
        print("skip: a build without debug info carries no types to compare (use RelWithDebInfo/Debug)")
        return 77
    if "--update" in sys.argv[1:]:
        abidw(lib, BASELINE)
        print("wrote %s from %s" % (BASELINE, lib))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        cur = os.path.join(tmp, "current.abi")
        abidw(lib, cur)
        if self_test(cur, tmp):
            print("FAIL: the ABI judge does not tell additive from incompatible changes")
            return 1
        ok, why, report = judge(BASELINE, cur)
        print("baseline %s vs %s: %s" % (os.path.relpath(BASELINE, SRC), lib, why))
        if not ok:
            print(report)
            print("FAIL: incompatible ABI change. If intended: bump AMD_SOVERSION (libamd/CMakeLists.txt)"
                  " and update the baseline (libamd/abi/README.md).")
            return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
