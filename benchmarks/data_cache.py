"""Time the first (parse + preprocess) and second (cache hit) load of a dataset; prints the speed-up.

Usage: python benchmarks/data_cache.py [DATA_DIR]   (default: ../shared/data/utd-mhad)
Uses a fresh temporary cache folder, so the first load is always a miss.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from edgehar.data import load_dataset


def main() -> None:
    default = Path(__file__).resolve().parents[2] / "shared/data/utd-mhad"
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        first = load_dataset(root, cache_dir=cache)
        t1 = time.perf_counter()
        second = load_dataset(root, cache_dir=cache)
        t2 = time.perf_counter()
    cold, warm = t1 - t0, t2 - t1
    assert len(first) == len(second)
    print(f"dataset: {first.name} ({len(first)} samples) at {root}")
    print(f"first load (parse + preprocess): {cold:.3f} s")
    print(f"second load (cache hit):         {warm:.3f} s")
    print(f"speed-up: {cold / warm:.1f}x")


if __name__ == "__main__":
    main()
