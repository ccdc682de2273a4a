#!/usr/bin/env bash
# Builds the libFuzzer target with clang (ASan + UBSan), seeds a corpus from the shared vectors and
# fuzzes for SECONDS (default 600). Usage: firmware_bridge/fuzz/run_fuzz.sh [SECONDS] [WORKDIR]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
C_DIR="$HERE/../c"
SECONDS_TO_RUN="${1:-600}"
WORK="${2:-$HERE/work}"
mkdir -p "$WORK/corpus" "$WORK/artifacts"

clang -std=c99 -g -O1 -Wall -Wextra -Werror \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$C_DIR" "$C_DIR/edgehar_codec.c" "$HERE/fuzz_decoder.c" -o "$WORK/fuzz_decoder"

# Seeds: every serial frame and raw payload of vectors.txt, one file each.
python3 - "$HERE/../vectors/vectors.txt" "$WORK/corpus" <<'PY'
import sys, pathlib
out = pathlib.Path(sys.argv[2])
for i, line in enumerate(pathlib.Path(sys.argv[1]).read_text().splitlines()):
    tok = line.split()
    if not tok or tok[0] in ("#", "crc"):
        continue
    for j, t in enumerate(tok[2:6]):
        if len(t) >= 2 and len(t) % 2 == 0 and all(c in "0123456789abcdef" for c in t):
            (out / f"seed_{i:03d}_{j}").write_bytes(bytes.fromhex(t))
PY

"$WORK/fuzz_decoder" "$WORK/corpus" -max_total_time="$SECONDS_TO_RUN" -max_len=2048 \
  -artifact_prefix="$WORK/artifacts/" -print_final_stats=1 2>&1 | tee "$WORK/fuzz.log"

if command -v llvm-profdata >/dev/null && command -v llvm-cov >/dev/null; then
  "$HERE/coverage.sh" "$WORK" | tee "$WORK/coverage.txt"
fi
