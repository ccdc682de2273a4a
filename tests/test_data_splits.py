"""Protocols, limited-label subsets and IMU standardisation statistics."""

from __future__ import annotations

import numpy as np
import pytest
from data_fixtures import UTD_ROOT, write_utd

from edgehar.data import (
    STANDARD_PERCENTS, PreparedDataset, fit_imu_standardizer, limited_labels, load_dataset, split_indices,
)
from edgehar.data.normalize import ImuStandardizer
from edgehar.errors import EdgeharError

needs_utd = pytest.mark.skipif(not UTD_ROOT.is_dir(), reason=f"UTD-MHAD not found at {UTD_ROOT}")


@pytest.fixture(scope="module")
def utd(tmp_path_factory):
    return load_dataset(UTD_ROOT, cache_dir=tmp_path_factory.mktemp("cache"))


def _toy(subjects: np.ndarray, labels: np.ndarray, layout: str = "utd_mhad") -> PreparedDataset:
    n = len(labels)
    rng = np.random.default_rng(0)
    return PreparedDataset(
        imu=rng.standard_normal((n, 6, 8)).astype(np.float32), skeleton=None, labels=labels.astype(np.int64),
        subjects=subjects.astype(np.int64), trials=np.arange(n) % 4 + 1, sessions=-np.ones(n, np.int64),
        scenes=-np.ones(n, np.int64), durations_s=np.ones(n), sources=tuple(f"f{i}" for i in range(n)),
        label_names=tuple(f"c{k}" for k in range(labels.max() + 1)), imu_channels=tuple("abcdef"),
        imu_units=("g",) * 6, imu_rate_hz=50.0, joint_names=(), name="toy", layout=layout,
    )


@needs_utd
def test_utd_protocols(utd):
    s = split_indices(utd, "cross_subject")
    assert {k: len(v) for k, v in s.items()} == {"train": 323, "val": 108, "test": 430}
    assert set(utd.subjects[s["val"]].tolist()) == {7}
    p = split_indices(utd, "cross_subject_paper")
    assert {k: len(v) for k, v in p.items()} == {"train": 431, "val": 0, "test": 430}
    assert split_indices(utd)["train"].tolist() == s["train"].tolist()  # the family default
    custom = split_indices(utd, "subjects:1,3,5/7/2,4,6,8")
    assert all(np.array_equal(custom[k], s[k]) for k in s)


@needs_utd
def test_reference_stride_reproduces_the_reference_counts(utd):
    train = split_indices(utd, "cross_subject")["train"]
    counts = {p: limited_labels(utd, train, p, method="stride") for p in (2, 5, 10, 25, 50)}
    assert {p: len(v) for p, v in counts.items()} == {2: 7, 5: 17, 10: 33, 25: 81, 50: 162}
    assert len(set(utd.labels[counts[2]].tolist())) == 7  # the quirk the stratified default fixes
    again = limited_labels(utd, train[::-1], 10, method="stride")
    assert np.array_equal(again, counts[10])  # deterministic, independent of the input order


@needs_utd
def test_stratified_fractions_cover_every_class(utd):
    train = split_indices(utd, "cross_subject")["train"]
    for p in STANDARD_PERCENTS:
        subset = limited_labels(utd, train, p, seed=3)
        assert set(subset.tolist()) <= set(train.tolist()) and len(np.unique(subset)) == len(subset)
        assert set(utd.labels[subset].tolist()) == set(range(27))
        per_class = np.bincount(utd.labels[subset], minlength=27)
        expected = np.maximum(1, np.round(np.bincount(utd.labels[train], minlength=27) * p / 100))
        assert np.array_equal(per_class, expected)
    assert np.array_equal(limited_labels(utd, train, 25, seed=1), limited_labels(utd, train, 25, seed=1))
    assert not np.array_equal(limited_labels(utd, train, 25, seed=1), limited_labels(utd, train, 25, seed=2))
    assert np.array_equal(limited_labels(utd, train, 100), np.sort(train))


def test_limited_label_errors():
    ds = _toy(np.repeat(np.arange(1, 9), 4), np.tile(np.arange(4), 8))
    with pytest.raises(EdgeharError, match=r"percent must be in \(0, 100\]"):
        limited_labels(ds, np.arange(8), 0)
    with pytest.raises(EdgeharError, match="empty split"):
        limited_labels(ds, np.array([], dtype=np.int64), 10)
    with pytest.raises(EdgeharError, match="unknown limited-label method 'best'"):
        limited_labels(ds, np.arange(8), 10, method="best")  # type: ignore[arg-type]


def test_empty_split_and_unknown_protocol():
    ds = _toy(np.array([1, 1, 3, 3, 5, 5]), np.array([0, 1, 0, 1, 0, 1]))  # no even subject
    with pytest.raises(EdgeharError, match=r"leaves the test split of dataset 'toy' empty \(subjects present: \[1, 3, 5\]\)"):
        split_indices(ds, "cross_subject")
    with pytest.raises(EdgeharError, match="unknown protocol 'cross_view'.*cross_subject, cross_subject_paper, random"):
        split_indices(ds, "cross_view")
    with pytest.raises(EdgeharError, match="expected subjects:TRAIN/VAL/TEST"):
        split_indices(ds, "subjects:1,3")
    with pytest.raises(EdgeharError, match="subject ids must be integers"):
        split_indices(ds, "subjects:a//b")


def test_random_protocol_is_stratified_seeded_and_disjoint():
    ds = _toy(np.ones(40, np.int64), np.repeat(np.arange(4), 10), layout="recordings")
    s = split_indices(ds)  # default for recordings: random
    assert {k: len(v) for k, v in s.items()} == {"train": 28, "val": 8, "test": 4}
    assert set(ds.labels[s["test"]].tolist()) == {0, 1, 2, 3}
    everything = np.concatenate(list(s.values()))
    assert len(everything) == 40 and len(np.unique(everything)) == 40
    assert np.array_equal(split_indices(ds, seed=1)["train"], split_indices(ds, seed=1)["train"])
    assert not np.array_equal(split_indices(ds, seed=1)["train"], split_indices(ds, seed=2)["train"])


def test_standardizer_uses_only_the_given_split(tmp_path):
    ds = _toy(np.repeat(np.arange(1, 9), 2), np.tile(np.arange(2), 8))
    ds.imu[ds.subjects % 2 == 0] += 100.0  # test subjects far away: must not leak into the statistics
    train = split_indices(ds, "cross_subject")["train"]
    st = fit_imu_standardizer(ds.imu, train)
    x = st.apply(ds.imu[train])
    np.testing.assert_allclose(x.mean(axis=(0, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(x.std(axis=(0, 2)), 1.0, atol=1e-4)
    plain = st.to_dict()
    assert isinstance(plain["imu_mean"], list) and all(isinstance(v, float) for v in plain["imu_std"])
    back = ImuStandardizer.from_dict(plain)
    np.testing.assert_array_equal(back.apply(ds.imu), st.apply(ds.imu))
    ds.imu[:, 2] = 5.0  # a dead channel: std floor instead of a division by zero
    assert np.isfinite(fit_imu_standardizer(ds.imu).apply(ds.imu)).all()
    with pytest.raises(EdgeharError, match="std must be positive"):
        ImuStandardizer.from_dict({"imu_mean": [0.0], "imu_std": [0.0]})
    with pytest.raises(EdgeharError, match="3 channels, standardiser was fit on 6"):
        st.apply(np.zeros((1, 3, 8), np.float32))


def test_synthetic_layout_uses_utd_protocols(tmp_path):
    trials = [(a, s, 1) for a in (1, 2) for s in range(1, 9)]
    ds = load_dataset(write_utd(tmp_path / "d", trials, info={"name": "synthetic", "label_names": ["x", "y"]}),
                      use_cache=False)
    s = split_indices(ds, "cross_subject")
    assert {k: len(v) for k, v in s.items()} == {"train": 6, "val": 2, "test": 8}
