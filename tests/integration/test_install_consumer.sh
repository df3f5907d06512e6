#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Each install component, installed alone, and a consumer built against it both ways:
#   lib   libamd + headers + libamd.pc + the CMake package: nothing of amdcall or the CLI;
#         consumer.c linked shared and static, with pkg-config and with find_package(amd) -
#         the latter with pkg-config made unavailable to CMake;
#   call  libamdcall + its headers + libamdcall.pc + its CMake targets: consumer_call.c with
#         pkg-config (libamdcall) and find_package(amd COMPONENTS call), which must fail where
#         only `lib` is installed;
#   cli   bin/amd only; installed over `lib` (+ `call`), classify gives the build's answer.
# Then a -DAMD_BUILD_CALL=OFF configuration (kept in $AMD_BINARY_DIR/install-test-nocall so a
# re-run only rebuilds what changed): the CLI's classify / trace / bench run, `amd serve` says it
# is not in the build, and the lib consumers build against its install.
set -euo pipefail
: "${AMD_BINARY_DIR:?}" "${AMD_SOURCE_DIR:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
B=$AMD_BINARY_DIR
TD=$AMD_SOURCE_DIR/testdata
WAV=$TD/machine_beep_00000.wav
[ -f "$WAV" ] || WAV=$(ls "$TD"/*.wav | head -n1)

# A sanitizer build (-DAMD_SANITIZE=...) installs instrumented libraries: consumers must link
# the same sanitizer runtimes (ASan must come first in the library list), so pass the flags on.
san=$(sed -n 's/^AMD_SANITIZE:STRING=//p' "$B/CMakeCache.txt" 2>/dev/null || true)
sanflags=""
[ -n "$san" ] && sanflags="-fsanitize=${san//;/,}"
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$B/CMakeCache.txt" 2>/dev/null || true)
# CMake with no pkg-config at all: find_package(PkgConfig) fails, no pkg-config program.
nopc=(-DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON -DPKG_CONFIG_EXECUTABLE="$tmp/no-such-pkg-config")

libdir_of() { local d; d=$(ls -d "$1"/lib*/pkgconfig | head -n1); echo "${d%/pkgconfig}"; }

# lib_consumers PREFIX FLAGS: consumer.c four ways against PREFIX; all print the same line.
lib_consumers() {
    local prefix=$1 flags=$2 libdir w=$tmp/w-$RANDOM
    libdir=$(libdir_of "$prefix")
    mkdir -p "$w"
    test -f "$prefix/include/amd/amd.h" || fail "headers not installed in $prefix"
    test -f "$libdir/libamd.a" || fail "static library not installed in $prefix"
    # Public headers never include dependency headers.
    if grep -lE '#include <(fftw3|speex/|sndfile|microhttpd|curl/|sqlite3|jansson|re\.h)' "$prefix"/include/amd/*.h; then
        fail "a public header includes a dependency header"
    fi
    local out1 out2 out3 out4
    # 1. pkg-config, shared and static
    cc $flags -o "$w/pc" "$AMD_SOURCE_DIR/tests/install/consumer.c" \
        $(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs libamd)
    out1=$(LD_LIBRARY_PATH="$libdir" "$w/pc")
    cc $flags -o "$w/pc-static" "$AMD_SOURCE_DIR/tests/install/consumer.c" -I"$prefix/include" \
        "$libdir/libamd.a" $(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --static --libs-only-l libamd | sed 's/-lamd\b//')
    out2=$("$w/pc-static")
    # 2. find_package, shared and static, without pkg-config
    for kind in shared static; do
        local st=OFF; [ $kind = static ] && st=ON
        cmake -S "$AMD_SOURCE_DIR/tests/install" -B "$w/cm-$kind" -DCMAKE_PREFIX_PATH="$prefix" \
            -DAMD_CONSUMER_STATIC=$st "${nopc[@]}" -DCMAKE_C_FLAGS="$flags" \
            -DCMAKE_EXE_LINKER_FLAGS="$flags" >"$w/cm-$kind.log" 2>&1 || { cat "$w/cm-$kind.log"; fail "find_package ($kind) in $prefix"; }
        cmake --build "$w/cm-$kind" >>"$w/cm-$kind.log" 2>&1 || { cat "$w/cm-$kind.log"; fail "build ($kind)"; }
    done
    out3=$(LD_LIBRARY_PATH="$libdir" "$w/cm-shared/consumer")
    out4=$("$w/cm-static/consumer")
    echo "  pkg-config: $out1 | static: $out2 | find_package: $out3 | static: $out4"
    [ "$out1" = "$out2" ] && [ "$out1" = "$out3" ] && [ "$out1" = "$out4" ] || fail "consumers disagree"
    if ldd "$w/cm-static/consumer" | grep -q libamd; then fail "static consumer links libamd.so"; fi
}

# only_these PREFIX PATTERN...: every installed file matches one of the extended regexes
only_these() {
    local prefix=$1; shift
    local files bad
    files=$(cd "$prefix" && find . -type f -o -type l | sed 's#^\./##' | sort)
    bad=$(echo "$files" | grep -vE "$(IFS='|'; echo "$*")" || true)
    [ -z "$bad" ] || fail "component installed unexpected files in $prefix: $bad"
}

echo "== component lib"
cmake --install "$B" --prefix "$tmp/lib" --component lib >/dev/null
only_these "$tmp/lib" '^lib[^/]*/libamd\.(so|so\.[0-9.]+|a)$' '^include/amd/(amd|version|error|log|model|detector|params)\.h$' \
    '^lib[^/]*/pkgconfig/libamd\.pc$' '^lib[^/]*/cmake/amd/amd(Config|ConfigVersion|Targets|Targets-[a-z]+)\.cmake$' \
    '^share/amd/models/[^/]+\.amdm$'
lib_consumers "$tmp/lib" "$sanflags"

if [ -e "$B/libamd/libamdcall.so" ]; then
    echo "== component call"
    cmake --install "$B" --prefix "$tmp/callonly" --component call >/dev/null
    only_these "$tmp/callonly" '^lib[^/]*/libamdcall\.(so|so\.[0-9.]+)$' '^include/amd/(call|server|host)\.h$' \
        '^lib[^/]*/pkgconfig/libamdcall\.pc$' '^lib[^/]*/cmake/amd/amdcallTargets(-[a-z]+)?\.cmake$'
    # find_package(amd COMPONENTS call) where only lib is installed: a clear failure
    if cmake -S "$AMD_SOURCE_DIR/tests/install" -B "$tmp/nocall-cm" -DCMAKE_PREFIX_PATH="$tmp/lib" \
        -DAMD_CONSUMER_CALL=ON "${nopc[@]}" >"$tmp/nocall-cm.log" 2>&1; then
        fail "find_package(amd COMPONENTS call) succeeded without the call component"
    fi
    P=$tmp/full
    for c in lib call cli; do cmake --install "$B" --prefix "$P" --component $c >/dev/null; done
    libdir=$(libdir_of "$P")
    cc $sanflags -o "$tmp/call-pc" "$AMD_SOURCE_DIR/tests/install/consumer_call.c" \
        $(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs libamdcall)
    o1=$(LD_LIBRARY_PATH="$libdir" "$tmp/call-pc" "$tmp/pc.db")
    cmake -S "$AMD_SOURCE_DIR/tests/install" -B "$tmp/call-cm" -DCMAKE_PREFIX_PATH="$P" -DAMD_CONSUMER_CALL=ON \
        "${nopc[@]}" -DCMAKE_C_FLAGS="$sanflags" -DCMAKE_EXE_LINKER_FLAGS="$sanflags" >"$tmp/call-cm.log" 2>&1 \
        || { cat "$tmp/call-cm.log"; fail "find_package(amd COMPONENTS call)"; }
    cmake --build "$tmp/call-cm" >>"$tmp/call-cm.log" 2>&1 || { cat "$tmp/call-cm.log"; fail "call consumer build"; }
    o2=$(LD_LIBRARY_PATH="$libdir" "$tmp/call-cm/consumer_call" "$tmp/cm.db")
    echo "  pkg-config: $o1 | find_package: $o2"
    [ "$o1" = "$o2" ] || fail "call consumers disagree"
else
    echo "== component call: not built (-DAMD_BUILD_CALL=OFF)"
    P=$tmp/full
    for c in lib cli; do cmake --install "$B" --prefix "$P" --component $c >/dev/null; done
fi

echo "== component cli"
cmake --install "$B" --prefix "$tmp/clionly" --component cli >/dev/null
only_these "$tmp/clionly" '^bin/amd$'
libdir=$(libdir_of "$P")
want=$("$B/cli/amd" classify --format json "$WAV")
got=$(LD_LIBRARY_PATH="$libdir" "$P/bin/amd" classify --format json "$WAV")
[ "$want" = "$got" ] || fail "installed amd classify differs: $got vs $want"
echo "  installed amd classify: same answer as the build"

echo "== -DAMD_BUILD_CALL=OFF (library + CLI only)"
N=$B/install-test-nocall
cmake -S "$AMD_SOURCE_DIR" -B "$N" -DCMAKE_BUILD_TYPE="${btype:-RelWithDebInfo}" -DAMD_BUILD_CALL=OFF \
    -DAMD_BUILD_TESTS=OFF -DAMD_BUILD_BENCH=OFF -DAMD_BUILD_EXAMPLES=OFF >"$tmp/nocall.log" 2>&1 \
    || { cat "$tmp/nocall.log"; fail "configure with -DAMD_BUILD_CALL=OFF"; }
cmake --build "$N" -j2 >>"$tmp/nocall.log" 2>&1 || { tail -30 "$tmp/nocall.log"; fail "build with -DAMD_BUILD_CALL=OFF"; }
[ ! -e "$N/libamd/libamdcall.so" ] || fail "amdcall built although -DAMD_BUILD_CALL=OFF"
if ldd "$N/cli/amd" | grep -q amdcall; then fail "the CLI links amdcall"; fi
got=$("$N/cli/amd" classify --format json "$WAV")
[ "$want" = "$got" ] || fail "amd classify without amdcall differs: $got vs $want"
"$N/cli/amd" trace "$WAV" --csv "$tmp/t.csv" --svg "$tmp/t.svg" >/dev/null || fail "amd trace"
[ -s "$tmp/t.csv" ] && [ -s "$tmp/t.svg" ] || fail "amd trace wrote nothing"
"$N/cli/amd" bench "$TD/manifest.csv" --mode enable --format json >"$tmp/bench.json" || fail "amd bench"
grep -q '"accuracy' "$tmp/bench.json" || fail "amd bench printed no accuracy"
set +e
"$N/cli/amd" serve --listen 127.0.0.1:0 >"$tmp/serve.out" 2>&1
rc=$?
set -e
[ $rc -eq 2 ] && grep -q "not available" "$tmp/serve.out" && grep -q "AMD_BUILD_CALL=OFF" "$tmp/serve.out" \
    || fail "amd serve without the call server: rc $rc, $(cat "$tmp/serve.out")"
"$N/cli/amd" --help | grep -q "serve .*not in this build" || fail "amd --help does not say serve is absent"
echo "  classify = the full build's; trace, bench run; serve: $(cat "$tmp/serve.out")"
for c in lib cli; do cmake --install "$N" --prefix "$tmp/nocall" --component $c >/dev/null; done
[ -z "$(find "$tmp/nocall" -name '*amdcall*')" ] || fail "amdcall files installed"
lib_consumers "$tmp/nocall" ""
echo "PASS"
