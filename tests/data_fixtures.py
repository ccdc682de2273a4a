"""Small datasets written in the exact on-disk formats the loaders read (UTD-MHAD .mat, MMAct raw
challenge files and archives, MMAct converted), for tests that must not depend on real data."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import numpy as np

UTD_ROOT = Path(__file__).resolve().parents[2] / "shared/data/utd-mhad"


def kinect_skeleton(rng: np.random.Generator, frames: int) -> np.ndarray:
    """(20, 3, T) plausible Kinect skeleton: spine above hips, shoulder centre 0.25 m above spine."""
    base = np.zeros((20, 3))
    base[:, 1] = np.linspace(0.6, -0.9, 20)
    base[1] = (0.0, 0.55, 2.5)  # shoulder_center
    base[2] = (0.0, 0.30, 2.5)  # spine
    base[0] = (0.0, 0.75, 2.5)
    base[:, 2] = 2.5
    motion = 0.05 * np.sin(np.linspace(0, 2 * np.pi, frames))[None, None, :]
    return base[:, :, None] + motion + 0.01 * rng.standard_normal((20, 3, frames))


def write_utd(
    root: Path,
    trials: list[tuple[int, int, int]],
    *,
    seed: int = 0,
    imu_len: int = 120,
    skel_len: int = 60,
    skeleton: bool = True,
    info: dict | None = None,
) -> Path:
    """UTD-MHAD layout with one (action, subject, trial) per entry."""
    from scipy.io import savemat

    rng = np.random.default_rng(seed)
    (root / "Inertial").mkdir(parents=True, exist_ok=True)
    if skeleton:
        (root / "Skeleton").mkdir(parents=True, exist_ok=True)
    for a, s, t in trials:
        imu = rng.standard_normal((imu_len + a, 6))
        savemat(str(root / "Inertial" / f"a{a}_s{s}_t{t}_inertial.mat"), {"d_iner": imu})
        if skeleton:
            savemat(str(root / "Skeleton" / f"a{a}_s{s}_t{t}_skeleton.mat"), {"d_skel": kinect_skeleton(rng, skel_len + t)})
    if info is not None:
        (root / "edgehar_dataset.json").write_text(json.dumps(info))
    return root


def _xyz_csv(rng: np.random.Generator, n: int) -> str:
    rows = [f"2018-01-01 10:00:{i / 100:06.3f},{x:.5f},{y:.5f},{z:.5f}" for i, (x, y, z) in enumerate(rng.standard_normal((n, 3)))]
    return "\n".join(rows) + "\n"


def _pose_json(rng: np.random.Generator, frames: int, second_person_frames: set[int], zero: bool = False) -> str:
    data = {}
    for f in range(frames):
        p1 = (np.zeros(51) if zero else rng.uniform(0, 100, 51)).round(3).tolist()
        frame = {"person1": p1, "person2": []}
        if f in second_person_frames and not zero:
            frame["person2"] = (1000 + rng.uniform(0, 1, 51)).round(3).tolist()
        data[f"{f:06d}.jpg"] = frame
    return json.dumps(data)


def mmact_raw_files(
    trials: list[tuple[int, int, int, str]],
    *,
    seed: int = 0,
    acc_len: int = 200,
    other_len: int = 96,
    frames: int = 40,
    drop: dict[tuple[int, int, int, str], str] | None = None,
    zero_pose: set[tuple[int, int, int, str]] = frozenset(),
) -> dict[str, dict[str, str]]:
    """Contents of the MMAct raw sources: {source: {relative path: text}} for (subject, scene, session,
    activity) trials; ``drop`` removes one source of a trial, ``zero_pose`` gives it an all-zero pose."""
    rng = np.random.default_rng(seed)
    files: dict[str, dict[str, str]] = {s: {} for s in ("acc_phone_clip", "acc_watch_clip", "gyro_clip", "orientation_clip", "pose")}
    for trial in trials:
        subject, scene, session, activity = trial
        rel = f"subject{subject}/scene{scene}/session{session}/{activity}"
        for source in ("acc_phone_clip", "acc_watch_clip", "gyro_clip", "orientation_clip"):
            if (drop or {}).get(trial) == source:
                continue
            n = acc_len if source.startswith("acc") else other_len
            files[source][f"{source}/{rel}.csv"] = _xyz_csv(rng, n)
        if (drop or {}).get(trial) == "pose":
            continue
        for cam in (1, 2):
            path = f"pose/cross_view/trainval/subject{subject}/cam{cam}/scene{scene}/session{session}/{activity}.json"
            files["pose"][path] = _pose_json(rng, frames, {3, 4} if cam == 1 else set(), zero=trial in zero_pose)
    return files


def write_mmact_raw(root: Path, files: dict[str, dict[str, str]], *, archives: bool = False) -> Path:
    """Write the raw sources as extracted folders, or as the challenge's .tar.gz / .zip archives."""
    root.mkdir(parents=True, exist_ok=True)
    for source, members in files.items():
        if not archives:
            base = root / "trimmed_pose" if source == "pose" else root
            for rel, text in members.items():
                path = base / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        elif source == "pose":
            with zipfile.ZipFile(root / "trimmed_pose.zip", "w") as zf:
                for rel, text in members.items():
                    zf.writestr(rel, text)
        else:
            with tarfile.open(root / f"{source}.tar.gz", "w:gz") as tf:
                for rel, text in members.items():
                    data = text.encode()
                    info = tarfile.TarInfo(rel)
                    info.size = len(data)
                    tf.addfile(info, io.BytesIO(data))
    return root


def write_mmact_converted(root: Path, trials: list[tuple[int, int, int, int, int]], *, seed: int = 0, frames: int = 40) -> Path:
    """Converted layout: Inertial/a_s_t_ses_sc.csv (12 columns) + Skeleton/*.npy (17, 2, F)."""
    rng = np.random.default_rng(seed)
    (root / "Inertial").mkdir(parents=True, exist_ok=True)
    (root / "Skeleton").mkdir(parents=True, exist_ok=True)
    for a, s, t, ses, sc in trials:
        stem = f"a{a}_s{s}_t{t}_ses{ses}_sc{sc}"
        np.savetxt(root / "Inertial" / f"{stem}.csv", rng.standard_normal((90, 12)), delimiter=",", fmt="%.6f")
        np.save(root / "Skeleton" / f"{stem}.npy", rng.uniform(0, 640, (17, 2, frames)))
    return root
