"""The synthetic dataset: its physics, its files, its default copy, and that it is hard but learnable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from scipy.io import loadmat
from scipy.signal import resample, savgol_filter
from scipy.spatial.transform import Rotation

from edgehar.data.synth import ACTIVITIES, DEFAULT_TRIALS, GENERATOR_VERSION, default_dataset_dir, generate_trial, write_synthetic_dataset
from edgehar.data.synth.body import J, JOINT_NAMES, forward_kinematics, sample_body
from edgehar.data.synth.choreography import Choreography
from edgehar.data.synth.imu import GRAVITY, STANDARD_GRAVITY, ideal_imu, jittered_mount, nominal_mount
from edgehar.data.synth.trial import IMU_RATE_HZ, SKELETON_RATE_HZ
from edgehar.errors import EdgeharError

NAMES = [a.name for a in ACTIVITIES]
WRIST = [a.name for a in ACTIVITIES if a.sensor == "wrist"]


def index(name: str) -> int:
    return NAMES.index(name)


def rotation_angle_deg(r: np.ndarray) -> np.ndarray:
    """Angle of rotation(s) ``r`` (..., 3, 3) in degrees."""
    return np.degrees(np.arccos(np.clip((np.trace(r, axis1=-2, axis2=-1) - 1.0) / 2.0, -1.0, 1.0)))


def still_pose(n: int, **angles: float) -> dict[str, np.ndarray]:
    pose = Choreography().evaluate(np.zeros(n))
    for name, value in angles.items():
        pose[name] = np.full(n, value)
    return pose


# ---------------------------------------------------------------- physics


@pytest.mark.parametrize("site", ["wrist", "thigh"])
@pytest.mark.parametrize("angles", [{}, {"r_plane": -60.0, "r_elev": 100.0, "r_elbow": 70.0, "r_pron": 40.0,
                                         "pelvis_drop": 0.3, "pelvis_tilt": 20.0, "r_foot_fwd": 0.2}])
def test_static_pose_measures_one_g_and_no_rotation(site: str, angles: dict[str, float]) -> None:
    rng = np.random.default_rng(3)
    body = sample_body(rng)
    kin = forward_kinematics(body, still_pose(20, **angles))
    mount = jittered_mount(site, body, strap_deg=25.0, rng=rng)
    truth = ideal_imu(kin.joints[:, J[mount.joint]], kin.frames[mount.segment], mount, 1 / 600)
    np.testing.assert_allclose(np.linalg.norm(truth.acc_g, axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(truth.gyro_dps, 0.0, atol=1e-9)


@pytest.mark.parametrize("site,channels", [("wrist", {"r_plane": 0.0, "r_elev": 0.0, "r_elbow": 0.0}), ("thigh", {})])
def test_hanging_limb_sensor_x_points_down(site: str, channels: dict[str, float]) -> None:
    """Sensor x runs down the limb, so at rest it reads -1 g like the UTD-MHAD wearable does."""
    body = sample_body(np.random.default_rng(0))
    kin = forward_kinematics(body, still_pose(5, **channels))
    mount = nominal_mount(site)
    truth = ideal_imu(kin.joints[:, J[mount.joint]], kin.frames[mount.segment], mount, 1 / 600)
    assert truth.acc_g[0, 0] < -0.95  # within ~18 deg of straight down (knees are never locked)


@pytest.mark.parametrize("name", ["circle_cw", "wave", "throw", "punch", "lunge", "jog_in_place"])
def test_integrated_gyroscope_reproduces_orientation(name: str) -> None:
    trial = generate_trial(0, index(name), 2, 3, ideal=True)
    rates = np.radians(trial.imu[:, 3:])
    dt = 1 / IMU_RATE_HZ
    rotation = trial.sensor_rotation[0]
    worst = 0.0
    for k in range(len(rates) - 1):
        rotation = rotation @ Rotation.from_rotvec((rates[k] + rates[k + 1]) / 2 * dt).as_matrix()
        worst = max(worst, float(rotation_angle_deg(rotation.T @ trial.sensor_rotation[k + 1])))
    turned = float(rotation_angle_deg(trial.sensor_rotation[0].T @ trial.sensor_rotation).max())
    assert turned > 15.0
    assert worst < 2.0, f"{name}: gyro integration drifts {worst:.2f} deg over {turned:.0f} deg of motion"


@pytest.mark.parametrize("name", NAMES)
def test_sensor_acceleration_matches_skeleton_trajectory(name: str) -> None:
    """Accelerometer rotated to the world plus gravity == second derivative of the joint it sits on."""
    trial = generate_trial(0, index(name), 5, 2, ideal=True)
    joint = "right_wrist" if ACTIVITIES[index(name)].sensor == "wrist" else "right_hip"
    path = (trial.skeleton.transpose(2, 0, 1) @ trial.camera.rotation)[:, J[joint]]  # back to the floor frame
    h = 1 / SKELETON_RATE_HZ
    from_skeleton = (path[2:] - 2 * path[1:-1] + path[:-2]) / h**2
    world = np.einsum("nij,nj->ni", trial.sensor_rotation, trial.imu[:, :3] * STANDARD_GRAVITY) + GRAVITY
    t_skel = np.arange(1, len(path) - 1) * h
    t_imu = np.arange(len(world)) / IMU_RATE_HZ
    from_imu = np.stack([np.interp(t_skel, t_imu, world[:, i]) for i in range(3)], 1)
    error = np.sqrt(np.mean(np.sum((from_imu - from_skeleton) ** 2, 1)))
    scale = np.sqrt(np.mean(np.sum(from_skeleton**2, 1)))
    assert scale > 1.0  # the joint really moves (m/s^2)
    assert error < 0.25 * scale, f"{name}: {error:.2f} m/s^2 off for {scale:.2f} m/s^2 of motion"


@pytest.mark.parametrize("name", WRIST)
def test_noisy_modalities_still_agree(name: str) -> None:
    """With sensor errors, placement offsets and Kinect noise, the two views still tell one story."""
    trial = generate_trial(0, index(name), 4, 1)
    path = (trial.skeleton.transpose(2, 0, 1) @ trial.camera.rotation)[:, J["right_wrist"]]
    from_skeleton = savgol_filter(path, 9, 3, deriv=2, delta=1 / SKELETON_RATE_HZ, axis=0)
    world = np.einsum("nij,nj->ni", trial.sensor_rotation, trial.imu[:, :3] * STANDARD_GRAVITY) + GRAVITY
    world = savgol_filter(world, 15, 3, axis=0)
    t_skel = np.arange(len(path)) / SKELETON_RATE_HZ
    t_imu = np.arange(len(world)) / IMU_RATE_HZ
    from_imu = np.stack([np.interp(t_skel, t_imu, world[:, i]) for i in range(3)], 1)
    assert np.corrcoef(from_imu.ravel(), from_skeleton.ravel())[0, 1] > 0.75


@pytest.mark.parametrize("trial_id", [1, 2, 3, 4])
def test_circle_directions_as_the_subject_sees_them(trial_id: int) -> None:
    """Counter-clockwise circles have a positive signed area in the subject's (right, up) plane."""
    for name, sign in (("circle_ccw", 1.0), ("circle_cw", -1.0)):
        trial = generate_trial(1, index(name), 3, trial_id, ideal=True)
        hand = (trial.skeleton.transpose(2, 0, 1) @ trial.camera.rotation)[:, J["right_hand"]]
        x, y = hand[:, 0], hand[:, 1]
        area = 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)
        assert sign * area > 0.005, f"{name}: signed area {area:.4f} m^2"


def test_swipes_move_the_hand_the_named_way() -> None:
    for trial_id in (1, 2, 3, 4):
        for name, sign in (("swipe_left", -1.0), ("swipe_right", 1.0)):
            trial = generate_trial(2, index(name), 6, trial_id, ideal=True)
            hand = (trial.skeleton.transpose(2, 0, 1) @ trial.camera.rotation)[:, J["right_hand"]]
            raised = hand[:, 1] > hand[:, 1].min() + 0.5 * np.ptp(hand[:, 1])  # the sweep happens arm up
            x = hand[raised, 0]
            assert sign * (x[-1] - x[0]) > 0.2, f"{name}: hand moved {x[-1] - x[0]:+.2f} m in x"


def test_subjects_differ_in_body_and_feet_stay_on_the_floor() -> None:
    heights = {}
    for subject in (1, 2, 3):
        trial = generate_trial(0, index("squat"), subject, 1, ideal=True)
        floor = trial.skeleton.transpose(2, 0, 1) @ trial.camera.rotation
        floor = floor - trial.camera.rotation.T @ trial.camera.translation
        feet = floor[:, [J["left_foot"], J["right_foot"]], 1]
        assert np.ptp(feet) < 0.03  # planted feet do not slide up or down during a squat
        heights[subject] = float(np.max(floor[:, J["head"], 1]))
    assert len({round(h, 3) for h in heights.values()}) == 3


# ---------------------------------------------------------------- generator


def test_deterministic_by_seed() -> None:
    a = generate_trial(7, 3, 2, 1)
    b = generate_trial(7, 3, 2, 1)
    c = generate_trial(8, 3, 2, 1)
    np.testing.assert_array_equal(a.imu, b.imu)
    np.testing.assert_array_equal(a.skeleton, b.skeleton)
    assert a.imu.shape != c.imu.shape or not np.allclose(a.imu, c.imu)


def test_durations_and_rates() -> None:
    for activity in range(len(ACTIVITIES)):
        for subject in (1, 8):
            trial = generate_trial(0, activity, subject, 4)
            t_imu = trial.imu.shape[0] / IMU_RATE_HZ
            t_skel = trial.skeleton.shape[2] / SKELETON_RATE_HZ
            assert 2.0 <= t_imu <= 5.0
            assert abs(t_imu - t_skel) < 1 / SKELETON_RATE_HZ
            assert trial.skeleton.shape[:2] == (20, 3)
            assert np.all(np.isfinite(trial.imu)) and np.all(np.isfinite(trial.skeleton))


def test_written_files_follow_the_utd_layout(tmp_path: Path) -> None:
    root = write_synthetic_dataset(tmp_path / "ds", seed=4, subjects=2, trials=1)
    imu_files = sorted((root / "Inertial").glob("*.mat"))
    skel_files = sorted((root / "Skeleton").glob("*.mat"))
    assert len(imu_files) == len(skel_files) == len(ACTIVITIES) * 2
    inertial = loadmat(str(root / "Inertial" / "a3_s2_t1_inertial.mat"))["d_iner"]
    skeleton = loadmat(str(root / "Skeleton" / "a3_s2_t1_skeleton.mat"))["d_skel"]
    expected = generate_trial(4, 2, 2, 1)
    assert inertial.dtype == np.float64 and inertial.ndim == 2 and inertial.shape[1] == 6
    assert skeleton.dtype == np.float64 and skeleton.shape[:2] == (20, 3)
    np.testing.assert_array_equal(inertial, expected.imu)
    np.testing.assert_array_equal(skeleton, expected.skeleton)
    info = json.loads((root / "edgehar_dataset.json").read_text())
    assert info["name"] == "synthetic" and info["label_names"] == NAMES
    assert (info["imu_rate_hz"], info["skeleton_rate_hz"]) == (50, 30)
    assert info["imu_units"] == ["g", "g", "g", "deg/s", "deg/s", "deg/s"]
    assert info["joint_names"] == list(JOINT_NAMES) and info["seed"] == 4
    assert info["generator_version"] == GENERATOR_VERSION


def test_loader_reads_the_synthetic_dataset(tmp_path: Path) -> None:
    from edgehar.data import utd_mhad

    root = write_synthetic_dataset(tmp_path, seed=0, subjects=1, trials=2)
    raw = utd_mhad.load(root)
    assert len(raw.samples) == len(ACTIVITIES) * 2
    assert utd_mhad.read_info(root).label_names == tuple(NAMES)


def test_refuses_non_empty_folder_unless_overwriting(tmp_path: Path) -> None:
    write_synthetic_dataset(tmp_path, seed=0, subjects=2, trials=1)
    with pytest.raises(EdgeharError, match="not empty"):
        write_synthetic_dataset(tmp_path, seed=0, subjects=1, trials=1)
    (tmp_path / "notes.txt").write_text("kept")
    write_synthetic_dataset(tmp_path, seed=0, subjects=1, trials=1, overwrite=True)
    assert len(list((tmp_path / "Inertial").glob("*.mat"))) == len(ACTIVITIES)  # no stale subject-2 files
    assert (tmp_path / "notes.txt").read_text() == "kept"


def test_cli_synth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from edgehar.cli.main import main

    out = tmp_path / "synth"
    main(["datasets", "synth", "--out", str(out), "--seed", "3", "--subjects", "1", "--trials", "1"])
    assert f"wrote {len(ACTIVITIES)} pairs" in capsys.readouterr().out
    assert json.loads((out / "edgehar_dataset.json").read_text())["seed"] == 3
    with pytest.raises(SystemExit) as exit_info:
        main(["datasets", "synth", "--out", str(out), "--subjects", "1", "--trials", "1"])
    assert exit_info.value.code != 0
    assert capsys.readouterr().err.startswith("error: ")
    main(["datasets", "synth", "--out", str(out), "--subjects", "1", "--trials", "1", "--force"])
    assert json.loads((out / "edgehar_dataset.json").read_text())["seed"] == 0


def test_full_dataset_generates_in_seconds(tmp_path: Path) -> None:
    start, cpu = time.perf_counter(), time.process_time()
    write_synthetic_dataset(tmp_path, seed=0, subjects=8, trials=4)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"full synthetic dataset: {elapsed:.1f} s wall, {cpu:.1f} s CPU")
    assert len(list((tmp_path / "Inertial").glob("*.mat"))) == len(ACTIVITIES) * 32
    assert cpu < 15.0, f"generation took {cpu:.1f} s of CPU"  # CPU time: robust to a busy machine


def test_overwrite_never_deletes_a_real_dataset(tmp_path: Path) -> None:
    (tmp_path / "Inertial").mkdir()
    (tmp_path / "Inertial" / "a1_s1_t1_inertial.mat").write_bytes(b"real data")
    with pytest.raises(EdgeharError, match="not a synthetic one"):
        write_synthetic_dataset(tmp_path, subjects=1, trials=1, overwrite=True)
    assert (tmp_path / "Inertial" / "a1_s1_t1_inertial.mat").read_bytes() == b"real data"


def test_unwritable_cache_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("EDGEHAR_CACHE", str(blocker))
    with pytest.raises(EdgeharError, match="EDGEHAR_CACHE"):
        default_dataset_dir()


def test_default_dataset_is_generated_once_and_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**os.environ, "EDGEHAR_CACHE": str(tmp_path)}
    parent = tmp_path / "synth"
    parent.mkdir()
    stale = parent / f".v{GENERATOR_VERSION}-seed0-killed"  # what a killed generation leaves behind
    (stale / "Inertial").mkdir(parents=True)
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    older = parent / f"v{int(GENERATOR_VERSION) - 1}-seed0"  # a complete copy from an older generator
    older.mkdir()
    (older / "edgehar_dataset.json").write_text("{}")
    code = "from edgehar.data.synth import default_dataset_dir; print(default_dataset_dir())"
    runs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    paths = {run.communicate(timeout=120)[0].strip() for run in runs}
    assert all(run.returncode == 0 for run in runs)
    assert len(paths) == 1
    root = Path(paths.pop())
    assert root == parent / f"v{GENERATOR_VERSION}-seed0"
    assert len(list((root / "Inertial").glob("*.mat"))) == len(ACTIVITIES) * 8 * DEFAULT_TRIALS
    assert [p.name for p in parent.iterdir()] == [root.name]  # no partial or outdated copies left
    monkeypatch.setenv("EDGEHAR_CACHE", str(tmp_path))
    start = time.perf_counter()
    assert default_dataset_dir() == root
    assert time.perf_counter() - start < 0.5  # found, not regenerated


# ---------------------------------------------------------------- difficulty

CHANCE = 1 / len(ACTIVITIES)


@pytest.fixture(scope="module")
def imu_cross_subject() -> dict[str, np.ndarray]:
    """All IMU clips of seed 0 resampled to 100 steps, standardised on the training subjects."""
    x, y, s = [], [], []
    for activity in range(len(ACTIVITIES)):
        for subject in range(1, 9):
            for trial in range(1, 5):
                x.append(resample(generate_trial(0, activity, subject, trial).imu, 100, axis=0).T)
                y.append(activity)
                s.append(subject)
    x_arr = np.asarray(x, dtype=np.float32)
    train = np.asarray(s) % 2 == 1  # cross_subject_paper: 1,3,5,7 train / 2,4,6,8 test
    mean = x_arr[train].mean((0, 2), keepdims=True)
    std = x_arr[train].std((0, 2), keepdims=True)
    return {"x": (x_arr - mean) / std, "y": np.asarray(y), "train": train}


def test_imu_features_learnable_but_not_solved(imu_cross_subject: dict[str, np.ndarray]) -> None:
    x, y, train = imu_cross_subject["x"], imu_cross_subject["y"], imu_cross_subject["train"]
    parts = x.reshape(len(x), 6, 5, 20).mean(3).reshape(len(x), -1)
    feats = np.concatenate([x.mean(2), x.std(2), x.min(2), x.max(2), parts], 1)
    feats = (feats - feats[train].mean(0)) / (feats[train].std(0) + 1e-6)
    onehot = np.eye(len(ACTIVITIES))[y]
    weights = np.linalg.solve(feats[train].T @ feats[train] + 10 * np.eye(feats.shape[1]), feats[train].T @ onehot[train])
    accuracy = float(np.mean((feats[~train] @ weights).argmax(1) == y[~train]))
    print(f"ridge on IMU statistics, cross-subject test accuracy {accuracy:.3f}")
    assert 5 * CHANCE < accuracy < 0.97


def test_imu_cnn_learnable_but_not_solved(imu_cross_subject: dict[str, np.ndarray]) -> None:
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    x = torch.from_numpy(imu_cross_subject["x"])
    y = torch.from_numpy(imu_cross_subject["y"])
    train = np.flatnonzero(imu_cross_subject["train"])
    test = np.flatnonzero(~imu_cross_subject["train"])
    nn = torch.nn
    net = nn.Sequential(
        nn.Conv1d(6, 32, 5, padding=2), nn.BatchNorm1d(32), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(32, 64, 5, padding=2), nn.BatchNorm1d(64), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(64, 64, 5, padding=2), nn.BatchNorm1d(64), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(),
        nn.Linear(64, len(ACTIVITIES)),
    )
    optimiser = torch.optim.Adam(net.parameters(), 1e-3, weight_decay=1e-4)
    order = np.random.default_rng(0)
    for _ in range(60):
        net.train()
        for batch in np.array_split(order.permutation(train), len(train) // 32):
            optimiser.zero_grad()
            torch.nn.functional.cross_entropy(net(x[batch]), y[batch]).backward()
            optimiser.step()
    net.eval()
    with torch.no_grad():
        train_acc = float((net(x[train]).argmax(1) == y[train]).float().mean())
        accuracy = float((net(x[test]).argmax(1) == y[test]).float().mean())
    print(f"1-D CNN on IMU, cross-subject train {train_acc:.3f} / test {accuracy:.3f}")
    assert train_acc > 0.95  # it fits the training subjects, so test errors are a generalisation gap
    assert 8 * CHANCE < accuracy < 0.97
