#!/usr/bin/env bash
# Installs the built tree into a temporary prefix, then builds a consumer program against it
# twice: with pkg-config (libamd.pc) and with CMake's find_package(amd) -> amd::amd.
set -euo pipefail
: "${AMD_BINARY_DIR:?}" "${AMD_SOURCE_DIR:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
cmake --install "$AMD_BINARY_DIR" --prefix "$prefix" >/dev/null
libdir=$(ls -d "$prefix"/lib*/pkgconfig | head -n1); libdir=${libdir%/pkgconfig}
test -f "$prefix/include/amd/amd.h" || { echo "FAIL: headers not installed"; exit 1; }
test -f "$libdir/libamd.a" || { echo "FAIL: static library not installed"; exit 1; }
# Public headers never include dependency headers (SPEC §2).
if grep -lE '#include <(fftw3|speex/|sndfile|microhttpd|curl/|sqlite3|jansson)' "$prefix"/include/amd/*.h; then
  echo "FAIL: a public header includes a dependency header"; exit 1
fi

# A sanitizer build (-DAMD_SANITIZE=...) installs instrumented libraries: consumers must link
# the same sanitizer runtimes (ASan must come first in the library list), so pass the flags on.
san=$(sed -n 's/^AMD_SANITIZE:STRING=//p' "$AMD_BINARY_DIR/CMakeCache.txt" 2>/dev/null || true)
sanflags=""
[ -n "$san" ] && sanflags="-fsanitize=${san//;/,}"

# 1. pkg-config
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc $sanflags -o "$tmp/consumer-pc" "$AMD_SOURCE_DIR/tests/install/consumer.c" $(pkg-config --cflags --libs libamd)
out=$(LD_LIBRARY_PATH="$libdir" "$tmp/consumer-pc")
echo "pkg-config consumer: $out"
# Static link through pkg-config --static too.
cc $sanflags -o "$tmp/consumer-static" "$AMD_SOURCE_DIR/tests/install/consumer.c" -I"$prefix/include" \
  "$libdir/libamd.a" $(pkg-config --static --libs-only-l libamd | sed 's/-lamd//') $(pkg-config --libs fftw3f speexdsp)
"$tmp/consumer-static" >/dev/null

# 2. find_package
cmake -S "$AMD_SOURCE_DIR/tests/install" -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_FLAGS="$sanflags" >/dev/null
cmake --build "$tmp/cm" >/dev/null
out2=$(LD_LIBRARY_PATH="$libdir" "$tmp/cm/consumer")
echo "find_package consumer: $out2"
[ "$out" = "$out2" ]
echo "PASS"
