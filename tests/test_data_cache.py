"""Cache of prepared arrays: hits, invalidation on config or source changes, and robustness."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from data_fixtures import UTD_ROOT, write_utd
from scipy.io import savemat

from edgehar.data import PreprocessConfig, load_dataset
from edgehar.errors import EdgeharError


def _entries(cache: Path) -> set[str]:
    return {p.name for p in (cache / "datasets").glob("*.json")}


def test_hit_returns_the_cached_arrays(tmp_path):
    root = write_utd(tmp_path / "d", [(1, 1, 1), (2, 2, 1)])
    cache = tmp_path / "cache"
    first = load_dataset(root, cache_dir=cache)
    assert len(_entries(cache)) == 1
    # Garble a source but keep its size and mtime: only a cache hit can still load.
    path = root / "Inertial/a1_s1_t1_inertial.mat"
    st = path.stat()
    path.write_bytes(b"\0" * st.st_size)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    second = load_dataset(root, cache_dir=cache)
    for name in ("imu", "skeleton", "labels", "subjects", "trials", "durations_s"):
        assert np.array_equal(getattr(first, name), getattr(second, name))
    assert second.metadata() == first.metadata()
    assert second.imu.dtype == np.float32 and second.labels.dtype == np.int64
    with pytest.raises(EdgeharError, match="unreadable .mat"):
        load_dataset(root, use_cache=False)


def test_config_change_is_a_miss(tmp_path):
    root = write_utd(tmp_path / "d", [(1, 1, 1)])
    cache = tmp_path / "cache"
    a = load_dataset(root, cache_dir=cache)
    b = load_dataset(root, PreprocessConfig(length=30), cache_dir=cache)
    c = load_dataset(root, PreprocessConfig(resample="polyphase"), cache_dir=cache)
    assert a.imu.shape[2] == 50 and b.imu.shape[2] == 30 and not np.allclose(a.imu, c.imu)
    assert len(_entries(cache)) == 3


def test_changed_added_or_removed_file_is_a_miss(tmp_path):
    root = write_utd(tmp_path / "d", [(1, 1, 1), (2, 1, 1)])
    cache = tmp_path / "cache"
    before = load_dataset(root, cache_dir=cache)
    path = root / "Inertial/a1_s1_t1_inertial.mat"
    savemat(str(path), {"d_iner": np.full((150, 6), 7.0)})
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    after = load_dataset(root, cache_dir=cache)
    assert not np.allclose(before.imu[0], after.imu[0]) and np.allclose(after.imu[0], 7.0)
    write_utd(tmp_path / "d", [(3, 1, 1)], seed=5)
    assert len(load_dataset(root, cache_dir=cache)) == 3
    (root / "Inertial/a3_s1_t1_inertial.mat").unlink()
    (root / "Skeleton/a3_s1_t1_skeleton.mat").unlink()
    assert len(load_dataset(root, cache_dir=cache)) == 2
    assert len(_entries(cache)) == 3


def test_env_variable_and_damaged_entry(tmp_path, monkeypatch):
    root = write_utd(tmp_path / "d", [(1, 1, 1)])
    monkeypatch.setenv("EDGEHAR_CACHE", str(tmp_path / "envcache"))
    first = load_dataset(root)
    (entry,) = (tmp_path / "envcache/datasets").glob("*.npz")
    entry.write_bytes(b"truncated")  # a damaged entry is a miss, then rewritten
    again = load_dataset(root)
    assert np.array_equal(first.imu, again.imu)
    assert entry.stat().st_size > 100
    assert not list((tmp_path / "envcache/datasets").glob(".*"))  # no temporary files left behind


def test_cache_entries_need_no_pickle(tmp_path):
    root = write_utd(tmp_path / "d", [(1, 1, 1)])
    load_dataset(root, cache_dir=tmp_path / "c")
    (entry,) = (tmp_path / "c/datasets").glob("*.npz")
    with np.load(entry, allow_pickle=False) as arrays:
        assert {"imu", "skeleton", "labels"} <= set(arrays.files)
        assert all(arrays[k].dtype != object for k in arrays.files)


@pytest.mark.slow
@pytest.mark.skipif(not UTD_ROOT.is_dir(), reason=f"UTD-MHAD not found at {UTD_ROOT}")
def test_second_load_of_real_utd_is_at_least_ten_times_faster(tmp_path):
    """The issue's figure (benchmarks/data_cache.py prints it); timing-sensitive, hence slow-marked."""
    import time

    t0 = time.perf_counter()
    load_dataset(UTD_ROOT, cache_dir=tmp_path)
    t1 = time.perf_counter()
    load_dataset(UTD_ROOT, cache_dir=tmp_path)
    t2 = time.perf_counter()
    assert (t1 - t0) / (t2 - t1) >= 10
