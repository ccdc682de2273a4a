"""MMAct loaders on fixtures written in the raw challenge format (folders and archives) and the converted layout."""

from __future__ import annotations

import numpy as np
import pytest
from data_fixtures import mmact_raw_files, write_mmact_converted, write_mmact_raw
from scipy.signal import resample

from edgehar.data import detect_layout, load_dataset, load_raw, split_indices
from edgehar.data.mmact import IMU_CHANNELS, LABEL_NAMES
from edgehar.errors import EdgeharError

TRIALS = [
    (1, 1, 1, "carrying"), (1, 1, 2, "carrying"), (1, 2, 1, "carrying"),  # three takes of one subject-action
    (1, 1, 1, "using_phone"), (17, 3, 5, "entering"),
]


@pytest.mark.parametrize("archives", [False, True], ids=["folders", "archives"])
def test_raw_layout_reads_like_the_reference_conversion(tmp_path, archives):
    files = mmact_raw_files(TRIALS)
    root = write_mmact_raw(tmp_path / "raw", files, archives=archives)
    assert detect_layout(root) == "mmact_raw"
    raw = load_raw(root)
    assert raw.layout == "mmact" and raw.imu_channels == IMU_CHANNELS and len(raw.samples) == 5
    assert not raw.skipped
    by_key = {(s.subject, s.label_name, s.scene, s.session): s for s in raw.samples}
    s = by_key[(1, "carrying", 1, 2)]
    # Accelerometers 200 samples at 100 Hz -> 100; gyro/orientation 96 -> all cut to 96.
    assert s.imu.data.shape == (96, 12) and s.imu.rate_hz == 50.0
    phone = np.array([[float(v) for v in line.split(",")[1:]]
                      for line in files["acc_phone_clip"]["acc_phone_clip/subject1/scene1/session2/carrying.csv"].splitlines()])
    np.testing.assert_allclose(s.imu.data[:, 0:3], resample(phone, 100)[:96], rtol=1e-5, atol=1e-5)
    gyro = np.array([[float(v) for v in line.split(",")[1:]]
                     for line in files["gyro_clip"]["gyro_clip/subject1/scene1/session2/carrying.csv"].splitlines()])
    np.testing.assert_allclose(s.imu.data[:, 6:9], gyro, rtol=1e-5, atol=1e-5)
    # Trial numbers count (scene, session) takes of a subject-action in sorted order.
    assert [by_key[(1, "carrying", sc, se)].trial for sc, se in ((1, 1), (1, 2), (2, 1))] == [1, 2, 3]
    # Pose: cam1 only, person2 where present (frames 3 and 4, values >= 1000), person1 elsewhere.
    sk = s.skeleton.data
    assert sk.shape == (40, 17, 2) and (sk[3:5] >= 1000).all() and (sk[:3] < 1000).all() and (sk[5:] < 1000).all()
    assert by_key[(1, "using_phone", 1, 1)].label == LABEL_NAMES.index("using_phone") == 32
    ds = load_dataset(root, use_cache=False)
    assert ds.imu.shape == (5, 12, 50) and ds.skeleton.shape == (5, 2, 50, 17)
    # MMAct skeletons are not recentred (reference): the resampled pixel coordinates stay in place.
    assert ds.skeleton[:, :, :, :].max() > 100


def test_incomplete_trials_are_skipped_with_reasons(tmp_path):
    trials = TRIALS + [(2, 1, 1, "carrying"), (2, 1, 2, "carrying"), (2, 1, 3, "carrying")]
    files = mmact_raw_files(trials, drop={(2, 1, 1, "carrying"): "gyro_clip", (2, 1, 2, "carrying"): "pose"},
                            zero_pose={(2, 1, 3, "carrying")})
    files["acc_watch_clip"]["acc_watch_clip/subject1/scene1/session1/entering.csv"] = ""  # empty series
    files["gyro_clip"]["gyro_clip/subject1/scene1/session1/entering.csv"] = "t,1,2,3\n" * 100
    files["orientation_clip"]["orientation_clip/subject1/scene1/session1/entering.csv"] = "t,1,2,3\n" * 100
    files["acc_phone_clip"]["acc_phone_clip/subject1/scene1/session1/entering.csv"] = "t,1,2,3\n" * 100
    files["acc_phone_clip"]["acc_phone_clip/subject1/scene1/session1/dancing.csv"] = "t,1,2,3\n"
    raw = load_raw(write_mmact_raw(tmp_path / "raw", files))
    assert len(raw.samples) == 5
    reasons = sorted(s.reason for s in raw.skipped)
    assert len(reasons) == 5
    summary = raw.skip_summary()
    for text in ("lacks gyro_clip", "no cam1 pose", "all-zero pose", "empty", "unknown activity name"):
        assert text in summary


def test_imu_only_raw_without_pose(tmp_path):
    files = mmact_raw_files(TRIALS)
    del files["pose"]
    ds = load_dataset(write_mmact_raw(tmp_path / "raw", files), use_cache=False)
    assert ds.skeleton is None and ds.imu.shape == (5, 12, 50)


def test_raw_bad_inputs_name_the_file(tmp_path):
    files = mmact_raw_files(TRIALS[:1])
    files["gyro_clip"]["gyro_clip/subject1/scene1/session1/carrying.csv"] = "t,1,2\n"
    root = write_mmact_raw(tmp_path / "a", files)
    with pytest.raises(EdgeharError, match=r"gyro_clip/subject1/scene1/session1/carrying\.csv: line 1 has 3 columns"):
        load_raw(root)
    files = mmact_raw_files(TRIALS[:1])
    files["orientation_clip"]["orientation_clip/subject1/scene1/session1/carrying.csv"] = "t,1,nan,3\nt,1,2,3\n"
    with pytest.raises(EdgeharError, match=r"orientation_clip.*carrying\.csv: 1 NaN/inf value\(s\) in sensor values"):
        load_raw(write_mmact_raw(tmp_path / "b", files))
    files = mmact_raw_files(TRIALS[:1])
    path = next(iter(files["pose"]))
    files["pose"][path] = '{"000001.jpg": {"person1": [1, 2, 3]}}'
    with pytest.raises(EdgeharError, match=r"cam1.*carrying\.json: frame '000001.jpg' has 3 values"):
        load_raw(write_mmact_raw(tmp_path / "c", files))
    root = tmp_path / "d"
    root.mkdir()
    (root / "gyro_clip.tar.gz").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(EdgeharError, match=r"gyro_clip\.tar\.gz: unreadable archive"):
        load_raw(root)


def test_converted_layout(tmp_path):
    trials = [(1, 1, 1, 1, 1), (34, 1, 1, 2, 1), (24, 2, 1, 1, 2), (5, 17, 3, 5, 3)]
    root = write_mmact_converted(tmp_path / "conv", trials)
    # The reference numbers skeleton trials differently: pairing uses action, subject, session and scene.
    (root / "Skeleton/a5_s17_t3_ses5_sc3.npy").rename(root / "Skeleton/a5_s17_t2_ses5_sc3.npy")
    assert detect_layout(root) == "mmact_converted"
    ds = load_dataset(root, use_cache=False)
    assert ds.layout == "mmact" and len(ds) == 4 and ds.skeleton.shape == (4, 2, 50, 17)
    phone = LABEL_NAMES.index("using_phone")
    assert sorted(ds.labels.tolist()) == sorted([0, phone, phone, LABEL_NAMES.index("entering")])
    assert set(ds.sessions.tolist()) == {1, 2, 5} and set(ds.scenes.tolist()) == {1, 2, 3}
    raw = np.loadtxt(root / "Inertial/a1_s1_t1_ses1_sc1.csv", delimiter=",")
    i = int(np.flatnonzero(ds.labels == 0)[0])
    np.testing.assert_allclose(ds.imu[i], resample(raw, 50).T, rtol=1e-4, atol=1e-4)


def test_converted_bad_inputs(tmp_path):
    root = write_mmact_converted(tmp_path / "conv", [(1, 1, 1, 1, 1), (2, 1, 1, 1, 1)])
    (root / "Skeleton/a2_s1_t1_ses1_sc1.npy").unlink()
    raw = load_raw(root)
    assert len(raw.samples) == 1 and raw.skipped[0].reason == "no matching skeleton .npy"
    np.save(root / "Skeleton/a1_s1_t1_ses1_sc1.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(EdgeharError, match=r"a1_s1_t1_ses1_sc1\.npy: unreadable \.npy file"):
        load_raw(root)
    np.save(root / "Skeleton/a1_s1_t1_ses1_sc1.npy", np.zeros((17, 3, 40)))
    with pytest.raises(EdgeharError, match=r"a1_s1_t1_ses1_sc1\.npy: shape \(17, 3, 40\), expected \(17, 2, F>=2\)"):
        load_raw(root)
    np.savetxt(root / "Inertial/a2_s1_t1_ses1_sc1.csv", np.zeros((10, 11)), delimiter=",")
    np.save(root / "Skeleton/a2_s1_t1_ses1_sc1.npy", np.zeros((17, 2, 40)))
    np.save(root / "Skeleton/a1_s1_t1_ses1_sc1.npy", np.zeros((17, 2, 40)))
    with pytest.raises(EdgeharError, match=r"a2_s1_t1_ses1_sc1\.csv: shape \(10, 11\), expected \(T>=2, 12\)"):
        load_raw(root)


def _mmact_grid(tmp_path):
    """Converted fixture: 20 subjects x 5 sessions, one trial each, two actions."""
    trials = [(a, s, ses, ses, 1) for s in range(1, 21) for ses in range(1, 6) for a in (1, 2)]
    return load_dataset(write_mmact_converted(tmp_path / "grid", trials, frames=8), use_cache=False)


def test_mmact_protocols(tmp_path):
    ds = _mmact_grid(tmp_path)
    subj = lambda idx: set(ds.subjects[idx].tolist())  # noqa: E731
    cs = split_indices(ds, "cross_subject")
    assert subj(cs["train"]) == set(range(1, 17)) and subj(cs["test"]) == set(range(17, 21)) and cs["val"].size == 0
    ref = split_indices(ds, "cross_subject_ref")
    assert subj(ref["train"]) == set(range(1, 13)) and subj(ref["val"]) == {13, 14, 15}
    assert subj(ref["test"]) == set(range(17, 21)) and 16 not in subj(np.concatenate(list(ref.values())))
    xs = split_indices(ds, "cross_session")
    assert set(ds.sessions[xs["train"]].tolist()) == {1, 2, 3, 4} and set(ds.sessions[xs["test"]].tolist()) == {5}
    assert len(xs["train"]) == 160 and len(xs["test"]) == 40
    xr = split_indices(ds, "cross_session_ref")
    assert subj(xr["train"]) == set(range(1, 17)) and subj(xr["val"]) == set(range(17, 21))
    assert set(ds.sessions[xr["test"]].tolist()) == {5} and len(xr["test"]) == 40
    with pytest.raises(EdgeharError, match="unknown protocol 'cross_subject_paper'"):
        split_indices(ds, "cross_subject_paper")


def test_cross_session_uses_each_subjects_own_sessions(tmp_path):
    """Paper text: per subject, the first 80 % of *its* sessions by id; a subject with sessions 3-7 trains on 3-6."""
    trials = [(1, 1, k, k, 1) for k in range(1, 6)] + [(1, 2, k, k, 1) for k in range(3, 8)]
    ds = load_dataset(write_mmact_converted(tmp_path / "x", trials, frames=8), use_cache=False)
    xs = split_indices(ds, "cross_session")
    train = {(int(s), int(e)) for s, e in zip(ds.subjects[xs["train"]], ds.sessions[xs["train"]])}
    assert train == {(1, 1), (1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (2, 5), (2, 6)}
