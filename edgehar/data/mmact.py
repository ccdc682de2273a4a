"""Loaders for MMAct: the raw challenge files and the converted (UTD-like) layout of the reference code.

Raw layout under ROOT (folders as extracted, or the archives themselves):

- ``{acc_phone_clip,acc_watch_clip,gyro_clip,orientation_clip}[.tar.gz]`` holding
  ``.../subject{S}/scene{C}/session{E}/{activity}.csv`` with rows ``timestamp,x,y,z`` and no header;
  accelerometers at 100 Hz, gyroscope and orientation at 50 Hz;
- ``trimmed_pose[.zip]`` (or ``pose/``) holding
  ``.../cross_view/trainval/subject{S}/cam{K}/scene{C}/session{E}/{activity}.json``: one JSON object
  per clip mapping each frame to ``{"person1": [17 x (x, y, confidence)], "person2": [...]}``.

As in the reference conversion: both accelerometers are FFT-resampled to half length (50 Hz), the
four sources are cut to the shortest and concatenated into 12 channels; pose uses cam1 only, the
2-D COCO keypoints of ``person2`` when that frame has one, else ``person1``, confidence dropped.
Trials missing a source, with an empty series, or with an all-zero pose are skipped and counted.
The trial number counts the (scene, session) takes of a subject-action in sorted order.

Converted layout: ``Inertial/a{a}_s{s}_t{t}_ses{x}_sc{y}.csv`` (12 comma-separated columns, no
header) and ``Skeleton/a{a}_s{s}_t{t}_ses{x}_sc{y}.npy`` ((17, 2, F), read with
``allow_pickle=False``). Modalities are paired on (action, subject, session, scene) because the
reference numbers trials differently in its two conversion passes.

Labels: the reference's activity table lists ``using_phone`` twice (ids 24 and 34; 24 is never
produced). edgehar uses the 35 distinct activities, ordered by reference id; reference id 24 and
34 both map to ``using_phone``. Units follow the Android sensor API (unverified against the
dataset's documentation): m/s^2, rad/s and degrees.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from edgehar.data.sample import ImuSeries, RawDataset, Sample, SkeletonSeries, Skipped, check_finite
from edgehar.errors import EdgeharError

REFERENCE_IDS = {
    "carrying": 1, "checking_time": 2, "closing": 3, "crouching": 4, "entering": 5, "exiting": 6, "fall": 7,
    "jumping": 8, "kicking": 9, "loitering": 10, "looking_around": 11, "opening": 12, "picking_up": 13,
    "pointing": 14, "pulling": 15, "pushing": 16, "running": 17, "setting_down": 18, "standing": 19,
    "talking": 20, "talking_on_phone": 21, "throwing": 22, "transferring_object": 23, "walking": 25,
    "waving_hand": 26, "drinking": 27, "pocket_in": 28, "pocket_out": 29, "sitting": 30, "sitting_down": 31,
    "standing_up": 32, "using_pc": 33, "using_phone": 34, "carrying_heavy": 35, "carrying_light": 36,
}
LABEL_NAMES = tuple(sorted(REFERENCE_IDS, key=REFERENCE_IDS.__getitem__))
_REF_TO_INDEX = {ref: LABEL_NAMES.index(name) for name, ref in REFERENCE_IDS.items()} | {24: LABEL_NAMES.index("using_phone")}

INERTIAL_SOURCES = ("acc_phone_clip", "acc_watch_clip", "gyro_clip", "orientation_clip")
_HALVED = {"acc_phone_clip", "acc_watch_clip"}  # recorded at 100 Hz, brought to 50 Hz
IMU_CHANNELS = tuple(f"{p}_{a}" for p in ("acc_phone", "acc_watch", "gyro", "orientation") for a in "xyz")
IMU_UNITS = ("m/s^2",) * 6 + ("rad/s",) * 3 + ("deg",) * 3
IMU_RATE_HZ = 50.0
SKELETON_RATE_HZ = 30.0
COCO_JOINTS = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)
POSE_NAMES = ("trimmed_pose", "pose")

_NUM = {kind: re.compile(rf"^{kind}(\d+)$", re.IGNORECASE) for kind in ("subject", "scene", "session", "cam")}
_CONVERTED = re.compile(r"^a(\d+)_s(\d+)_t(\d+)_ses(\d+)_sc(\d+)\.(csv|npy)$", re.IGNORECASE)


@dataclass(frozen=True)
class _Member:
    """A file inside a folder or an archive: path parts relative to the source, and how to read it."""

    parts: tuple[str, ...]
    name: str  # shown in messages: a path, or archive:member
    read: Callable[[], bytes]


def _members(root: Path, base: str, suffix: str, archive_exts: tuple[str, ...]) -> Iterator[_Member]:
    """Files ending in ``suffix`` under ``root/base`` (a folder) or ``root/base<ext>`` (an archive)."""
    folder = root / base
    if folder.is_dir():
        for path in sorted(folder.rglob(f"*{suffix}")):
            yield _Member(path.relative_to(folder).parts, str(path), path.read_bytes)
        return
    for ext in archive_exts:
        archive = root / f"{base}{ext}"
        if not archive.is_file():
            continue
        try:
            if ext == ".zip":
                with zipfile.ZipFile(archive) as zf:
                    for info in sorted(zf.infolist(), key=lambda i: i.filename):
                        if not info.is_dir() and info.filename.endswith(suffix):
                            data = zf.read(info)
                            yield _Member(tuple(info.filename.split("/")), f"{archive}:{info.filename}", lambda d=data: d)
            else:
                with tarfile.open(archive, "r:*") as tf:
                    for info in tf:
                        if info.isfile() and info.name.endswith(suffix):
                            data = tf.extractfile(info).read()  # type: ignore[union-attr]
                            yield _Member(tuple(info.name.split("/")), f"{archive}:{info.name}", lambda d=data: d)
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
            raise EdgeharError(f"{archive}: unreadable archive ({exc})") from exc
        return


def _number(kind: str, part: str) -> int | None:
    m = _NUM[kind].match(part)
    return int(m[1]) if m else None


def _activity(stem: str) -> int | None:
    ref = REFERENCE_IDS.get(stem.split(".")[0].lower())
    return None if ref is None else _REF_TO_INDEX[ref]


def looks_like_raw(root: Path) -> bool:
    names = INERTIAL_SOURCES
    return any((root / n).is_dir() or (root / f"{n}.tar.gz").is_file() for n in names) or any(
        (root / n).is_dir() or (root / f"{n}.zip").is_file() for n in POSE_NAMES
    )


def raw_source_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for base, exts in [(n, (".tar.gz",)) for n in INERTIAL_SOURCES] + [(n, (".zip",)) for n in POSE_NAMES]:
        if (root / base).is_dir():
            files.extend(sorted(p for p in (root / base).rglob("*") if p.is_file()))
        files.extend(root / f"{base}{e}" for e in exts if (root / f"{base}{e}").is_file())
    return files


def _read_xyz(member: _Member) -> np.ndarray:
    """Rows ``timestamp,x,y,z`` -> (T, 3); the timestamp format is not needed (rates are fixed)."""
    try:
        text = member.read().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EdgeharError(f"{member.name}: not a UTF-8 text file") from exc
    rows = []
    for lineno, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row:
            continue
        if len(row) != 4:
            raise EdgeharError(f"{member.name}: line {lineno} has {len(row)} columns, expected 4 (timestamp,x,y,z)")
        try:
            rows.append([float(v) for v in row[1:]])
        except ValueError as exc:
            raise EdgeharError(f"{member.name}: line {lineno}: {exc}") from exc
    data = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
    check_finite(data, member.name, "sensor values")
    return data


def _read_pose(member: _Member) -> np.ndarray:
    """Pose JSON -> (F, 17, 2): person2 where a frame has one, else person1 (as the reference)."""
    try:
        frames = json.loads(member.read())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EdgeharError(f"{member.name}: invalid pose JSON ({exc})") from exc
    if not isinstance(frames, dict):
        raise EdgeharError(f"{member.name}: pose JSON must map frame names to people")
    out = np.zeros((len(frames), len(COCO_JOINTS), 2))
    for i, (frame, people) in enumerate(frames.items()):
        person = people.get("person2") if isinstance(people, dict) else None
        if not person:
            person = people.get("person1") if isinstance(people, dict) else None
        if person is None:
            raise EdgeharError(f"{member.name}: frame '{frame}' has neither person1 nor person2")
        values = np.asarray(person, dtype=np.float64)
        if values.size != len(COCO_JOINTS) * 3:
            raise EdgeharError(f"{member.name}: frame '{frame}' has {values.size} values, expected 51 (17 x (x, y, conf))")
        out[i] = values.reshape(len(COCO_JOINTS), 3)[:, :2]
    check_finite(out, member.name, "keypoints")
    return out


def _merge_inertial(parts: dict[str, np.ndarray]) -> np.ndarray:
    from scipy.signal import resample

    series = [resample(parts[s], parts[s].shape[0] // 2) if s in _HALVED else parts[s] for s in INERTIAL_SOURCES]
    n = min(s.shape[0] for s in series)
    return np.concatenate([s[:n] for s in series], axis=1)


def load_raw(root: Path) -> RawDataset:
    """Load the raw challenge files under ``root`` (folders or archives)."""
    root = Path(root)
    if not root.is_dir():
        raise EdgeharError(f"{root}: dataset folder not found")
    skipped: list[Skipped] = []
    inertial: dict[tuple[int, int, int, int], dict[str, _Member]] = {}  # (subject, label, scene, session)
    for source in INERTIAL_SOURCES:
        for m in _members(root, source, ".csv", (".tar.gz",)):
            if len(m.parts) < 4:
                skipped.append(Skipped(m.name, "not under subject*/scene*/session*/"))
                continue
            subject, scene, session = (_number(k, p) for k, p in zip(("subject", "scene", "session"), m.parts[-4:-1]))
            label = _activity(m.parts[-1])
            if None in (subject, scene, session):
                skipped.append(Skipped(m.name, "not under subject*/scene*/session*/"))
            elif label is None:
                skipped.append(Skipped(m.name, "unknown activity name"))
            else:
                inertial.setdefault((subject, label, scene, session), {})[source] = m
    if not inertial:
        raise EdgeharError(f"{root}: no MMAct inertial clips found ({', '.join(INERTIAL_SOURCES)} folders or .tar.gz)")

    poses: dict[tuple[int, int, int, int], _Member] = {}
    has_pose = False
    for base in POSE_NAMES:
        for m in _members(root, base, ".json", (".zip",)):
            has_pose = True
            joined = "/".join(m.parts)
            if "cross_view/trainval/" not in joined or len(m.parts) < 5 or _number("cam", m.parts[-4]) != 1:
                continue  # other views and splits are not used (reference: cross_view/trainval, cam1)
            subject, scene, session = (_number(k, p) for k, p in zip(("subject", "scene", "session"), (m.parts[-5], m.parts[-3], m.parts[-2])))
            label = _activity(m.parts[-1])
            if None in (subject, scene, session) or label is None:
                skipped.append(Skipped(m.name, "pose path or activity name not understood"))
                continue
            poses[(subject, label, scene, session)] = m
        if has_pose:
            break

    trial_numbers: dict[tuple[int, int, int, int], int] = {}
    takes: dict[tuple[int, int], int] = {}
    for key in sorted(inertial):
        takes[key[:2]] = trial_numbers[key] = takes.get(key[:2], 0) + 1
    samples: list[Sample] = []
    for key in sorted(inertial):
        subject, label, scene, session = key
        members = inertial[key]
        first = next(iter(members.values())).name
        missing = [s for s in INERTIAL_SOURCES if s not in members]
        if missing:
            skipped.append(Skipped(first, f"trial lacks {missing[0]} (not all inertial sources present)"))
            continue
        parts = {s: _read_xyz(members[s]) for s in INERTIAL_SOURCES}
        if any(p.shape[0] < 4 for p in parts.values()):
            skipped.append(Skipped(first, "empty (or < 4 samples) inertial series"))
            continue
        skeleton = None
        if has_pose:
            pose_member = poses.get(key)
            if pose_member is None:
                skipped.append(Skipped(first, "no cam1 pose for this trial"))
                continue
            pose = _read_pose(pose_member)
            if pose.shape[0] < 2 or not np.any(pose):
                skipped.append(Skipped(pose_member.name, "empty or all-zero pose"))
                continue
            skeleton = SkeletonSeries(pose.astype(np.float32), SKELETON_RATE_HZ, COCO_JOINTS)
        samples.append(Sample(
            label=label, label_name=LABEL_NAMES[label], source=members[INERTIAL_SOURCES[0]].name,
            imu=ImuSeries(_merge_inertial(parts).astype(np.float32), IMU_RATE_HZ, IMU_CHANNELS, IMU_UNITS),
            skeleton=skeleton, subject=subject, trial=trial_numbers[key], session=session, scene=scene,
        ))
    return _dataset(root, samples, skipped, has_pose)


def _dataset(root: Path, samples: list[Sample], skipped: list[Skipped], has_pose: bool) -> RawDataset:
    if not samples:
        reasons = "; ".join(sorted({s.reason for s in skipped})) or "no trials"
        raise EdgeharError(f"{root}: no usable MMAct trials ({len(skipped)} skipped: {reasons})")
    return RawDataset(
        name="mmact", layout="mmact", samples=samples, label_names=LABEL_NAMES, imu_channels=IMU_CHANNELS,
        imu_units=IMU_UNITS, imu_rate_hz=IMU_RATE_HZ, joint_names=COCO_JOINTS if has_pose else (),
        skeleton_rate_hz=SKELETON_RATE_HZ if has_pose else None, skipped=skipped,
    )


def _converted_files(root: Path, folder: str, ext: str) -> list[Path]:
    d = root / folder
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if _CONVERTED.match(p.name) and p.suffix.lower() == ext)


def looks_like_converted(root: Path) -> bool:
    return bool(_converted_files(root, "Inertial", ".csv"))


def converted_source_files(root: Path) -> list[Path]:
    return _converted_files(root, "Inertial", ".csv") + _converted_files(root, "Skeleton", ".npy")


def _read_converted_csv(path: Path) -> np.ndarray:
    try:
        data = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64)
    except ValueError as exc:
        raise EdgeharError(f"{path}: not a numeric CSV ({exc})") from exc
    if data.shape[1] != len(IMU_CHANNELS) or data.shape[0] < 2:
        raise EdgeharError(f"{path}: shape {data.shape}, expected (T>=2, {len(IMU_CHANNELS)})")
    check_finite(data, str(path), "inertial data")
    return data


def _read_converted_npy(path: Path) -> np.ndarray:
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise EdgeharError(f"{path}: unreadable .npy file ({exc})") from exc
    if data.ndim != 3 or data.shape[:2] != (len(COCO_JOINTS), 2) or data.shape[2] < 2:
        raise EdgeharError(f"{path}: shape {data.shape}, expected ({len(COCO_JOINTS)}, 2, F>=2)")
    check_finite(data, str(path), "keypoints")
    return np.ascontiguousarray(data.transpose(2, 0, 1))


def load_converted(root: Path, *, skip_unpaired: bool = True) -> RawDataset:
    """Load ``Inertial/*.csv`` (+ ``Skeleton/*.npy`` when that folder exists) of the converted layout.

    Unpaired trials are expected (the conversion drops all-zero poses), so they are skipped and
    counted by default.
    """
    root = Path(root)
    has_pose = (root / "Skeleton").is_dir()
    poses = {}
    for p in _converted_files(root, "Skeleton", ".npy"):
        m = _CONVERTED.match(p.name)
        poses[(int(m[2]), _REF_TO_INDEX.get(int(m[1])), int(m[4]), int(m[5]))] = p  # type: ignore[index]
    samples: list[Sample] = []
    skipped: list[Skipped] = []
    for path in _converted_files(root, "Inertial", ".csv"):
        m = _CONVERTED.match(path.name)
        subject, ref, trial, session, scene = int(m[2]), int(m[1]), int(m[3]), int(m[4]), int(m[5])  # type: ignore[index]
        if ref not in _REF_TO_INDEX:
            raise EdgeharError(f"{path}: action id {ref} is not an MMAct activity (1..36)")
        label = _REF_TO_INDEX[ref]
        skeleton = None
        if has_pose:
            pose_path = poses.get((subject, label, session, scene))
            if pose_path is None:
                if not skip_unpaired:
                    raise EdgeharError(f"{path}: no matching skeleton .npy (modality missing its pair)")
                skipped.append(Skipped(str(path), "no matching skeleton .npy"))
                continue
            skeleton = SkeletonSeries(_read_converted_npy(pose_path).astype(np.float32), SKELETON_RATE_HZ, COCO_JOINTS)
        samples.append(Sample(
            label=label, label_name=LABEL_NAMES[label], source=str(path),
            imu=ImuSeries(_read_converted_csv(path).astype(np.float32), IMU_RATE_HZ, IMU_CHANNELS, IMU_UNITS),
            skeleton=skeleton, subject=subject, trial=trial, session=session, scene=scene,
        ))
    return _dataset(root, samples, skipped, has_pose)
