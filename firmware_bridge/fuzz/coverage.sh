#!/usr/bin/env bash
# Line/branch coverage of edgehar_codec.c reached by a fuzzing corpus (clang source-based coverage).
# Usage: firmware_bridge/fuzz/coverage.sh [WORKDIR]   (the WORKDIR run_fuzz.sh used)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
C_DIR="$HERE/../c"
WORK="${1:-$HERE/work}"
clang -std=c99 -g -O0 -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping \
  -I"$C_DIR" "$C_DIR/edgehar_codec.c" "$HERE/fuzz_decoder.c" -o "$WORK/fuzz_coverage"
LLVM_PROFILE_FILE="$WORK/corpus.profraw" "$WORK/fuzz_coverage" -runs=0 "$WORK/corpus" >/dev/null 2>&1
llvm-profdata merge -sparse "$WORK/corpus.profraw" -o "$WORK/corpus.profdata"
llvm-cov report "$WORK/fuzz_coverage" -instr-profile="$WORK/corpus.profdata" "$C_DIR/edgehar_codec.c"
