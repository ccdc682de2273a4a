"""Loader for UTD-MHAD as distributed (and for any dataset written in its layout, e.g. the synthetic one).

Layout: ``ROOT/Inertial/a{action}_s{subject}_t{trial}_inertial.mat`` (key ``d_iner``, (T, 6)) and
``ROOT/Skeleton/a{action}_s{subject}_t{trial}_skeleton.mat`` (key ``d_skel``, (20, 3, T)).
An optional ``ROOT/edgehar_dataset.json`` overrides names, rates, channels and joints, so that
generated datasets in this layout describe themselves instead of pretending to be UTD-MHAD.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from edgehar.data.sample import ImuSeries, RawDataset, Sample, SkeletonSeries, Skipped, check_finite
from edgehar.errors import EdgeharError

INFO_FILE = "edgehar_dataset.json"
IMU_DIR = "Inertial"
SKELETON_DIR = "Skeleton"
IMU_KEY = "d_iner"
SKELETON_KEY = "d_skel"

ACTIONS = (
    "swipe_left", "swipe_right", "wave", "clap", "throw", "arm_cross", "basketball_shoot", "draw_x",
    "draw_circle_cw", "draw_circle_ccw", "draw_triangle", "bowling", "boxing", "baseball_swing",
    "tennis_swing", "arm_curl", "tennis_serve", "push", "knock", "catch", "pickup_and_throw", "jog",
    "walk", "sit_to_stand", "stand_to_sit", "lunge", "squat",
)
JOINTS = (
    "head", "shoulder_center", "spine", "hip_center",
    "left_shoulder", "left_elbow", "left_wrist", "left_hand",
    "right_shoulder", "right_elbow", "right_wrist", "right_hand",
    "left_hip", "left_knee", "left_ankle", "left_foot",
    "right_hip", "right_knee", "right_ankle", "right_foot",
)
IMU_CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
IMU_UNITS = ("g", "g", "g", "deg/s", "deg/s", "deg/s")

_NAME = re.compile(r"^a(\d+)_s(\d+)_t(\d+)_(inertial|skeleton)\.mat$", re.IGNORECASE)


class DatasetInfo(BaseModel):
    """Self-description of a dataset in UTD layout (``edgehar_dataset.json``)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str = "utd-mhad"
    label_names: tuple[str, ...] = ACTIONS
    imu_rate_hz: float = 50.0
    skeleton_rate_hz: float = 30.0
    imu_channels: tuple[str, ...] = IMU_CHANNELS
    imu_units: tuple[str, ...] = IMU_UNITS
    joint_names: tuple[str, ...] = JOINTS


def _find_dir(root: Path, name: str) -> Path | None:
    """Folder ``name`` under root, matched case-insensitively (archives differ in capitalisation)."""
    exact = root / name
    if exact.is_dir():
        return exact
    for child in root.iterdir():
        if child.is_dir() and child.name.lower() == name.lower():
            return child
    return None


def looks_like(root: Path) -> bool:
    """True when ``root`` has an Inertial or Skeleton folder holding UTD-style .mat files."""
    for name in (IMU_DIR, SKELETON_DIR):
        folder = _find_dir(root, name)
        if folder is not None and any(_NAME.match(p.name) for p in folder.iterdir()):
            return True
    return False


def read_info(root: Path) -> DatasetInfo:
    path = root / INFO_FILE
    if not path.exists():
        return DatasetInfo()
    try:
        info = DatasetInfo.model_validate(json.loads(path.read_text()))
    except (json.JSONDecodeError, ValidationError) as exc:
        first = str(exc).splitlines()[0] if isinstance(exc, json.JSONDecodeError) else _first_error(exc)
        raise EdgeharError(f"{path}: invalid dataset description: {first}") from exc
    if len(info.imu_units) != len(info.imu_channels):
        raise EdgeharError(f"{path}: imu_units has {len(info.imu_units)} entries for {len(info.imu_channels)} channels")
    return info


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def source_files(root: Path) -> list[Path]:
    """Every file whose content determines the loaded dataset (for the cache key)."""
    files = [root / INFO_FILE] if (root / INFO_FILE).exists() else []
    for name in (IMU_DIR, SKELETON_DIR):
        folder = _find_dir(root, name)
        if folder is not None:
            files.extend(sorted(p for p in folder.iterdir() if _NAME.match(p.name)))
    return files


def _load_mat(path: Path, key: str) -> np.ndarray:
    from scipy.io import loadmat

    try:
        content = loadmat(str(path), variable_names=[key])
    except NotImplementedError as exc:  # MATLAB v7.3 files are HDF5
        raise EdgeharError(f"{path}: MATLAB v7.3 (HDF5) files are not supported; save with -v7") from exc
    except Exception as exc:  # scipy raises many types for truncated/garbled files
        raise EdgeharError(f"{path}: unreadable .mat file ({type(exc).__name__}: {exc})") from exc
    if key not in content:
        raise EdgeharError(f"{path}: key '{key}' not found in the .mat file")
    array = np.asarray(content[key])
    if not np.issubdtype(array.dtype, np.number):
        raise EdgeharError(f"{path}: key '{key}' holds {array.dtype} data, expected numbers")
    return array.astype(np.float64, copy=False)


def load_imu_mat(path: Path, info: DatasetInfo) -> ImuSeries:
    """Read ``d_iner`` (T, C) and check it against the declared channels."""
    data = _load_mat(path, IMU_KEY)
    n = len(info.imu_channels)
    if data.ndim != 2 or data.shape[1] != n or data.shape[0] < 2:
        raise EdgeharError(f"{path}: '{IMU_KEY}' has shape {data.shape}, expected (T>=2, {n})")
    check_finite(data, str(path), f"'{IMU_KEY}'")
    return ImuSeries(data.astype(np.float32), info.imu_rate_hz, info.imu_channels, info.imu_units)


def load_skeleton_mat(path: Path, info: DatasetInfo) -> SkeletonSeries:
    """Read ``d_skel`` (J, D, T) and return it as (T, J, D)."""
    data = _load_mat(path, SKELETON_KEY)
    j = len(info.joint_names)
    if data.ndim != 3 or data.shape[0] != j or data.shape[1] not in (2, 3) or data.shape[2] < 2:
        raise EdgeharError(f"{path}: '{SKELETON_KEY}' has shape {data.shape}, expected ({j}, 3, T>=2)")
    check_finite(data, str(path), f"'{SKELETON_KEY}'")
    return SkeletonSeries(np.ascontiguousarray(data.transpose(2, 0, 1)).astype(np.float32), info.skeleton_rate_hz, info.joint_names)


def load(root: Path, *, skip_unpaired: bool = False) -> RawDataset:
    """Load every trial under ``root``; both modalities when both folders exist.

    A trial present in one folder but not the other is an error (naming the file) unless
    ``skip_unpaired``, in which case it is skipped and counted. A dataset with only an
    ``Inertial`` folder loads as IMU-only.
    """
    root = Path(root)
    if not root.is_dir():
        raise EdgeharError(f"{root}: dataset folder not found")
    info = read_info(root)
    imu_dir, skel_dir = _find_dir(root, IMU_DIR), _find_dir(root, SKELETON_DIR)
    if imu_dir is None and skel_dir is None:
        raise EdgeharError(f"{root}: no '{IMU_DIR}' or '{SKELETON_DIR}' folder (expected the UTD-MHAD layout)")
    if imu_dir is None:
        raise EdgeharError(f"{root}: no '{IMU_DIR}' folder; edgehar needs the IMU modality")

    skipped: list[Skipped] = []
    found: dict[str, dict[tuple[int, int, int], Path]] = {"inertial": {}, "skeleton": {}}
    for folder in (imu_dir, skel_dir):
        if folder is None:
            continue
        for path in sorted(folder.iterdir()):
            m = _NAME.match(path.name)
            if m is None:
                if path.suffix.lower() == ".mat":
                    skipped.append(Skipped(str(path), "name does not match a{action}_s{subject}_t{trial}_{modality}.mat"))
                continue
            key = (int(m[1]), int(m[2]), int(m[3]))
            found[m[4].lower()][key] = path

    modalities = [m for m, d in (("inertial", imu_dir), ("skeleton", skel_dir)) if d is not None]
    keys = sorted(set().union(*(found[m].keys() for m in modalities)))
    samples: list[Sample] = []
    for key in keys:
        paths = {m: found[m].get(key) for m in modalities}
        missing = [m for m, p in paths.items() if p is None]
        if missing:
            present = next(p for p in paths.values() if p is not None)
            if not skip_unpaired:
                raise EdgeharError(f"{present}: no matching {missing[0]} file (modality missing its pair)")
            skipped.append(Skipped(str(present), f"no matching {missing[0]} file"))
            continue
        action, subject, trial = key
        if not 1 <= action <= len(info.label_names):
            raise EdgeharError(f"{next(iter(paths.values()))}: action {action} outside 1..{len(info.label_names)}")
        imu = load_imu_mat(paths["inertial"], info) if "inertial" in paths else None
        skeleton = load_skeleton_mat(paths["skeleton"], info) if "skeleton" in paths else None
        samples.append(Sample(
            label=action - 1,
            label_name=info.label_names[action - 1],
            source=str(paths.get("inertial") or paths["skeleton"]),
            imu=imu,
            skeleton=skeleton,
            subject=subject,
            trial=trial,
        ))
    if not samples:
        raise EdgeharError(f"{root}: no a*_s*_t*_*.mat trials found")
    return RawDataset(
        name=info.name,
        layout="utd_mhad",
        samples=samples,
        label_names=tuple(info.label_names),
        imu_channels=tuple(info.imu_channels),
        imu_units=tuple(info.imu_units),
        imu_rate_hz=info.imu_rate_hz,
        joint_names=tuple(info.joint_names) if skel_dir is not None else (),
        skeleton_rate_hz=info.skeleton_rate_hz if skel_dir is not None else None,
        skipped=skipped,
    )
