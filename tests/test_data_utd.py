"""UTD-MHAD loader and preprocessing: the real files, the reference preprocessing, and bad inputs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from data_fixtures import UTD_ROOT, write_utd
from scipy.io import loadmat, savemat
from scipy.signal import resample

from edgehar.data import PreprocessConfig, load_dataset, load_raw
from edgehar.data.utd_mhad import ACTIONS
from edgehar.errors import EdgeharError

needs_utd = pytest.mark.skipif(not UTD_ROOT.is_dir(), reason=f"UTD-MHAD not found at {UTD_ROOT}")


@pytest.fixture(scope="module")
def utd(tmp_path_factory):
    return load_dataset(UTD_ROOT, cache_dir=tmp_path_factory.mktemp("cache"))


@needs_utd
def test_real_utd_counts_and_shapes(utd):
    assert len(utd) == 861
    assert utd.imu.shape == (861, 6, 50) and utd.imu.dtype == np.float32
    assert utd.skeleton.shape == (861, 3, 50, 20) and utd.skeleton.dtype == np.float32
    assert utd.labels.dtype == np.int64 and set(utd.labels.tolist()) == set(range(27))
    assert set(utd.subjects.tolist()) == set(range(1, 9))
    assert utd.label_names == ACTIONS and utd.imu_units[:3] == ("g", "g", "g")
    assert utd.imu_rate_hz == 50.0 and len(utd.joint_names) == 20 and utd.name == "utd-mhad"
    assert (utd.sessions == -1).all() and (utd.scenes == -1).all()
    present = {(int(a) + 1, int(s), int(t)) for a, s, t in zip(utd.labels, utd.subjects, utd.trials)}
    assert {(8, 1, 4), (23, 6, 4), (27, 8, 4)}.isdisjoint(present)
    assert 107 / 50 <= utd.durations_s.min() and utd.durations_s.max() <= 326 / 50


@needs_utd
def test_real_utd_matches_reference_preprocessing(utd):
    """IMU: FFT resample of d_iner to 50, transposed. Skeleton: minus first-frame spine, divided by the
    first-frame shoulder_center-spine distance, FFT resample to 50, laid out (3, 50, 20)."""
    i = int(np.flatnonzero((utd.labels == 0) & (utd.subjects == 1) & (utd.trials == 1))[0])
    iner = loadmat(str(UTD_ROOT / "Inertial/a1_s1_t1_inertial.mat"))["d_iner"]
    skel = loadmat(str(UTD_ROOT / "Skeleton/a1_s1_t1_skeleton.mat"))["d_skel"]
    assert iner.shape == (160, 6) and skel.shape == (20, 3, 48)
    np.testing.assert_allclose(utd.imu[i], resample(iner, 50).T, rtol=1e-5, atol=1e-5)
    ref = skel - skel[2:3, :, 0:1]
    ref = ref / np.linalg.norm(ref[1, :, 0] - ref[2, :, 0])
    ref = resample(ref, 50, axis=2).transpose(1, 2, 0)
    np.testing.assert_allclose(utd.skeleton[i], ref, rtol=1e-5, atol=1e-5)
    assert utd.durations_s[i] == pytest.approx(160 / 50)


def test_skeleton_normalisation_without_resampling(tmp_path):
    """At the raw length the recentring/scaling is exact: spine at the origin, unit reference bone."""
    write_utd(tmp_path / "d", [(1, 1, 1)], imu_len=59, skel_len=59)  # raw skeleton length 60 = cfg length
    ds = load_dataset(tmp_path / "d", PreprocessConfig(length=60), use_cache=False)
    first = ds.skeleton[0, :, 0, :]  # (D, J)
    np.testing.assert_allclose(first[:, 2], 0.0, atol=1e-6)
    assert np.linalg.norm(first[:, 1] - first[:, 2]) == pytest.approx(1.0, abs=1e-5)


def test_dataset_description_overrides_names_and_rates(tmp_path):
    info = {"name": "synthetic-x", "label_names": ["a", "b"], "imu_rate_hz": 100.0, "skeleton_rate_hz": 15.0,
            "imu_channels": ["ax", "ay", "az", "gx", "gy", "gz"], "imu_units": ["g"] * 3 + ["deg/s"] * 3,
            "joint_names": [f"j{k}" for k in range(20)]}
    write_utd(tmp_path / "d", [(1, 1, 1), (2, 2, 1)], info=info, imu_len=100)
    raw = load_raw(tmp_path / "d")
    assert raw.name == "synthetic-x" and raw.label_names == ("a", "b")
    assert raw.samples[0].imu.rate_hz == 100.0 and raw.samples[0].skeleton.rate_hz == 15.0
    assert raw.samples[0].duration_s == pytest.approx(101 / 100)
    ds = load_dataset(tmp_path / "d", use_cache=False)
    assert ds.imu_channels[0] == "ax" and ds.joint_names[0] == "j0"
    # The names lack spine/shoulder_center: auto normalisation leaves the skeleton as recorded.
    assert abs(ds.skeleton[0, 2, 0, 2]) > 1.0


def test_imu_only_layout(tmp_path):
    write_utd(tmp_path / "d", [(1, 1, 1), (3, 2, 2)], skeleton=False)
    ds = load_dataset(tmp_path / "d", use_cache=False)
    assert ds.skeleton is None and ds.joint_names == () and ds.imu.shape == (2, 6, 50)


def test_synthetic_dataset_loads_through_the_utd_loader(tmp_path):
    from edgehar.data.synth import write_synthetic_dataset

    write_synthetic_dataset(tmp_path / "synth", seed=0, subjects=2, trials=1)
    ds = load_dataset(tmp_path / "synth", use_cache=False)
    assert ds.skeleton is not None and ds.imu.shape[1:] == (6, 50) and ds.num_classes >= 12
    assert ds.name != "utd-mhad" and np.isfinite(ds.imu).all()


# ---- bad inputs: each error names the file and the problem --------------------------------------------

def _error(path, **kw) -> str:
    with pytest.raises(EdgeharError) as exc:
        load_dataset(path, use_cache=False, **kw)
    return str(exc.value)


def test_missing_folder(tmp_path):
    assert "dataset folder not found" in _error(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    assert "not a recognised dataset layout" in _error(tmp_path / "empty")


def test_truncated_and_garbled_mat(tmp_path):
    root = write_utd(tmp_path / "d", [(1, 1, 1), (2, 1, 1)])
    bad = root / "Inertial/a2_s1_t1_inertial.mat"
    bad.write_bytes(bad.read_bytes()[:150])
    msg = _error(root)
    assert str(bad) in msg and "unreadable .mat" in msg
    bad.write_bytes(b"not a mat file at all" * 10)
    assert str(bad) in _error(root)


def test_wrong_key_and_shape(tmp_path):
    root = write_utd(tmp_path / "d", [(1, 1, 1)])
    path = root / "Inertial/a1_s1_t1_inertial.mat"
    savemat(str(path), {"d_iner": np.zeros((100, 5))})
    msg = _error(root)
    assert str(path) in msg and "(100, 5)" in msg and "expected (T>=2, 6)" in msg
    savemat(str(path), {"other": np.zeros((100, 6))})
    assert "key 'd_iner' not found" in _error(root)
    savemat(str(path), {"d_iner": np.zeros((100, 6))})
    skel = root / "Skeleton/a1_s1_t1_skeleton.mat"
    savemat(str(skel), {"d_skel": np.zeros((15, 3, 40))})
    msg = _error(root)
    assert str(skel) in msg and "(15, 3, 40)" in msg


def test_nan_and_inf(tmp_path):
    root = write_utd(tmp_path / "d", [(1, 1, 1)])
    path = root / "Skeleton/a1_s1_t1_skeleton.mat"
    data = loadmat(str(path))["d_skel"]
    data[3, 1, 7] = np.nan
    data[4, 0, 2] = np.inf
    savemat(str(path), {"d_skel": data})
    msg = _error(root)
    assert str(path) in msg and "2 NaN/inf" in msg


def test_degenerate_skeleton_scale(tmp_path):
    root = write_utd(tmp_path / "d", [(1, 1, 1)])
    path = root / "Skeleton/a1_s1_t1_skeleton.mat"
    data = loadmat(str(path))["d_skel"]
    data[1, :, 0] = data[2, :, 0]  # shoulder centre on the spine in the first frame
    savemat(str(path), {"d_skel": data})
    assert "cannot normalise" in _error(root)


def test_modality_missing_its_pair(tmp_path):
    root = write_utd(tmp_path / "d", [(1, 1, 1), (2, 1, 1)])
    (root / "Skeleton/a2_s1_t1_skeleton.mat").unlink()
    msg = _error(root)
    assert "a2_s1_t1_inertial.mat" in msg and "no matching skeleton" in msg
    from edgehar.data import utd_mhad

    raw = utd_mhad.load(root, skip_unpaired=True)
    assert len(raw.samples) == 1 and len(raw.skipped) == 1 and "1 x no matching skeleton file" in raw.skip_summary()


def test_stray_files_are_skipped_with_reason(tmp_path):
    root = write_utd(tmp_path / "d", [(1, 1, 1)])
    shutil.copy(root / "Inertial/a1_s1_t1_inertial.mat", root / "Inertial/copy of a1.mat")
    ds = load_dataset(root, use_cache=False)
    assert len(ds) == 1 and len(ds.skipped) == 1 and "does not match" in ds.skipped[0]


def test_invalid_description_and_action_range(tmp_path):
    root = write_utd(tmp_path / "d", [(3, 1, 1)], info={"label_names": ["a", "b"]})
    assert "action 3 outside 1..2" in _error(root)
    (root / "edgehar_dataset.json").write_text(json.dumps({"imu_rate_hz": "fast"}))
    msg = _error(root)
    assert "edgehar_dataset.json" in msg and "imu_rate_hz" in msg


@needs_utd
def test_cli_datasets_info_on_real_utd(tmp_path):
    env = dict(os.environ, EDGEHAR_CACHE=str(tmp_path), COLUMNS="200")
    out = subprocess.run([sys.executable, "-m", "edgehar.cli.main", "datasets", "info", str(UTD_ROOT)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "861" in text and "27" in text and "8 (1, 2, 3, 4, 5, 6, 7, 8)" in text
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") >= 4}
    assert "323" in rows["train"] and "108" in rows["val"] and "430" in rows["test"]


def test_cli_errors_are_one_line(tmp_path):
    env = dict(os.environ, EDGEHAR_CACHE=str(tmp_path))
    root = write_utd(tmp_path / "d", [(1, 1, 1), (2, 2, 1)])
    out = subprocess.run([sys.executable, "-m", "edgehar.cli.main", "datasets", "info", str(root), "--protocol", "bogus"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode != 0 and out.stderr.startswith("error: unknown protocol 'bogus'")
    assert len(out.stderr.strip().splitlines()) == 1
