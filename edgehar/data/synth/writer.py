"""Writing the synthetic dataset in the UTD-MHAD raw layout, and the embedded default copy.

The files are what the UTD-MHAD loader reads (``Inertial/*_inertial.mat`` with ``d_iner``,
``Skeleton/*_skeleton.mat`` with ``d_skel``), plus ``edgehar_dataset.json`` so the loader uses the
synthetic label names and rates instead of UTD-MHAD's.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from edgehar.data.synth.activities import ACTIVITIES
from edgehar.data.synth.body import JOINT_NAMES
from edgehar.data.synth.trial import IMU_RATE_HZ, SKELETON_RATE_HZ, generate_trial
from edgehar.errors import EdgeharError

# Bump whenever the generated numbers (or the default size) change, so cached default copies are
# regenerated.
GENERATOR_VERSION = "4"
INFO_FILE = "edgehar_dataset.json"
IMU_CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
IMU_UNITS = ("g", "g", "g", "deg/s", "deg/s", "deg/s")
# Five takes per subject and activity give the cross-subject train split (subjects 1, 3, 5) 225
# clips: enough for int8 calibration, which needs at least 200 real training windows.
DEFAULT_TRIALS = 5


def dataset_info(seed: int) -> dict:
    """The self-description written next to the data (names, rates, channels, joints)."""
    return {
        "name": "synthetic",
        "label_names": [a.name for a in ACTIVITIES],
        "imu_rate_hz": IMU_RATE_HZ,
        "skeleton_rate_hz": SKELETON_RATE_HZ,
        "imu_channels": list(IMU_CHANNELS),
        "imu_units": list(IMU_UNITS),
        "joint_names": list(JOINT_NAMES),
        "imu_sites": {a.name: ("right wrist" if a.sensor == "wrist" else "right thigh") for a in ACTIVITIES},
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
    }


def write_synthetic_dataset(out_dir: str | os.PathLike, *, seed: int = 0, subjects: int = 8, trials: int = DEFAULT_TRIALS,
                            overwrite: bool = False) -> Path:
    """Generate every (activity, subject, trial) into ``out_dir``; returns the dataset root.

    Refuses a non-empty ``out_dir`` unless ``overwrite``, which replaces only what this writer owns
    (the Inertial and Skeleton folders and the description file) and only in a folder that already
    holds a synthetic dataset, so a mistyped path can never wipe a real one.
    """
    if subjects < 1 or trials < 1:
        raise EdgeharError(f"synthetic dataset needs at least one subject and one trial (got {subjects} and {trials})")
    root = Path(out_dir)
    if root.exists() and not root.is_dir():
        raise EdgeharError(f"{root}: exists and is not a directory")
    try:
        if root.exists() and any(root.iterdir()):
            if not overwrite:
                raise EdgeharError(f"{root}: directory is not empty (use --force to overwrite)")
            _clear_previous(root)
        _write(root, seed, subjects, trials)
    except OSError as exc:
        raise EdgeharError(f"{root}: cannot write the synthetic dataset ({exc.strerror or exc})") from exc
    return root


def _clear_previous(root: Path) -> None:
    """Remove an earlier synthetic dataset's files from ``root``, refusing if they are anything else."""
    ours = [root / "Inertial", root / "Skeleton", root / INFO_FILE]
    if any(p.exists() for p in ours[:2]):
        try:
            is_synthetic = json.loads((root / INFO_FILE).read_text()).get("name") == "synthetic"
        except (OSError, ValueError, AttributeError):
            is_synthetic = False
        if not is_synthetic:
            raise EdgeharError(f"{root}: holds a dataset that is not a synthetic one; refusing to overwrite it")
    for path in ours[:2]:
        shutil.rmtree(path, ignore_errors=True)
    ours[2].unlink(missing_ok=True)


def _write(root: Path, seed: int, subjects: int, trials: int) -> None:
    from scipy.io import savemat

    (root / "Inertial").mkdir(parents=True, exist_ok=True)
    (root / "Skeleton").mkdir(parents=True, exist_ok=True)
    for activity in range(len(ACTIVITIES)):
        for subject in range(1, subjects + 1):
            for trial in range(1, trials + 1):
                sample = generate_trial(seed, activity, subject, trial)
                stem = f"a{activity + 1}_s{subject}_t{trial}"
                savemat(str(root / "Inertial" / f"{stem}_inertial.mat"), {"d_iner": sample.imu}, do_compression=False)
                savemat(str(root / "Skeleton" / f"{stem}_skeleton.mat"), {"d_skel": sample.skeleton}, do_compression=False)
    # written last: a folder with the description file is a complete dataset
    (root / INFO_FILE).write_text(json.dumps(dataset_info(seed), indent=2) + "\n")


def cache_root() -> Path:
    """``$EDGEHAR_CACHE`` or ``~/.cache/edgehar``."""
    env = os.environ.get("EDGEHAR_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "edgehar"


def default_dataset_dir() -> Path:
    """The embedded default dataset, generated on first use into the cache.

    Generation happens in a private temporary folder renamed into place at the end, so a killed
    run never leaves a half dataset and concurrent first uses both end up with one complete copy.
    """
    final = cache_root() / "synth" / f"v{GENERATOR_VERSION}-seed0"
    if (final / INFO_FILE).is_file():
        return final
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_partials(final)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
    except OSError as exc:
        raise EdgeharError(f"{final.parent}: cannot create the dataset cache ({exc.strerror or exc}); "
                           "set EDGEHAR_CACHE to a writable folder") from exc
    try:
        write_synthetic_dataset(tmp, seed=0)
        try:
            os.rename(tmp, final)
        except OSError as exc:
            if not (final / INFO_FILE).is_file():  # not a concurrent winner: a real failure
                raise EdgeharError(f"{final}: cannot move the generated dataset into place ({exc.strerror or exc})") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _remove_older_versions(final)
    return final


def _remove_older_versions(final: Path) -> None:
    """Drop default copies made by older generator versions: they are never read again."""
    for old in final.parent.glob("v*-seed0"):
        version = old.name[1:-len("-seed0")]
        if version.isdigit() and int(version) < int(GENERATOR_VERSION) and (old / INFO_FILE).is_file():
            shutil.rmtree(old, ignore_errors=True)


def _remove_stale_partials(final: Path, max_age_s: float = 3600.0) -> None:
    """Delete temporary folders left by killed generations (old enough not to be a live one)."""
    now = time.time()
    for partial in final.parent.glob(f".{final.name}-*"):
        try:
            if partial.is_dir() and now - partial.stat().st_mtime > max_age_s:
                shutil.rmtree(partial, ignore_errors=True)
        except FileNotFoundError:  # removed by a concurrent caller
            continue
