"""Data layer: loaders, preprocessing, cache, protocols. Imports numpy/scipy/pydantic only, never torch.

``load_dataset(path)`` detects the layout of ``path`` (UTD-MHAD style including the synthetic set,
MMAct raw challenge files, MMAct converted, a folder of ``edgehar record`` takes), prepares
fixed-length arrays and caches them.
"""

from __future__ import annotations

from pathlib import Path

from edgehar.data import cache
from edgehar.data.limited import STANDARD_PERCENTS, limited_labels
from edgehar.data.normalize import ImuStandardizer, fit_imu_standardizer
from edgehar.data.preprocess import PreparedDataset, PreprocessConfig, prepare
from edgehar.data.sample import ImuSeries, RawDataset, Sample, SkeletonSeries
from edgehar.data.splits import DEFAULT_PROTOCOL, protocol_names, split_indices
from edgehar.errors import EdgeharError

__all__ = [
    "ImuSeries", "ImuStandardizer", "PreparedDataset", "PreprocessConfig", "RawDataset", "STANDARD_PERCENTS",
    "Sample", "SkeletonSeries", "DEFAULT_PROTOCOL", "detect_layout", "fit_imu_standardizer", "limited_labels",
    "load_dataset", "load_raw", "protocol_names", "split_indices",
]


def _layouts():
    from edgehar.data import mmact, recording, utd_mhad

    # Order matters: the converted MMAct layout also has Inertial/ and Skeleton/ folders.
    return {
        "mmact_converted": (mmact.looks_like_converted, mmact.converted_source_files, mmact.load_converted),
        "utd_mhad": (utd_mhad.looks_like, utd_mhad.source_files, utd_mhad.load),
        "mmact_raw": (mmact.looks_like_raw, mmact.raw_source_files, mmact.load_raw),
        "recordings": (recording.looks_like, recording.source_files, recording.load),
    }


def detect_layout(path: str | Path) -> str:
    """Name of the on-disk layout of ``path``: utd_mhad, mmact_raw, mmact_converted or recordings."""
    root = Path(path).expanduser()
    if not root.exists():
        raise EdgeharError(f"{root}: dataset folder not found")
    if not root.is_dir():
        raise EdgeharError(f"{root}: not a folder (give the dataset's root folder)")
    for name, (looks_like, _, _) in _layouts().items():
        if looks_like(root):
            return name
    raise EdgeharError(
        f"{root}: not a recognised dataset layout (UTD-MHAD Inertial/ + Skeleton/ .mat files, MMAct raw or "
        "converted, or edgehar recordings)"
    )


def load_raw(path: str | Path) -> RawDataset:
    """Load the samples of ``path`` without preprocessing (variable lengths, native units)."""
    root = Path(path).expanduser()
    return _layouts()[detect_layout(root)][2](root)


def load_dataset(
    path: str | Path,
    preprocess: PreprocessConfig | None = None,
    cache_dir: str | Path | None = None,
    *,
    use_cache: bool = True,
) -> PreparedDataset:
    """Load and prepare the dataset at ``path``, from the cache when its sources are unchanged."""
    cfg = preprocess or PreprocessConfig()
    root = Path(path).expanduser().resolve()
    layout = detect_layout(root)
    _, list_sources, load = _layouts()[layout]
    key = None
    if use_cache:
        folder = Path(cache_dir) if cache_dir is not None else cache.default_cache_dir()
        key = cache.cache_key(root, layout, list_sources(root), cfg)
        hit = cache.load(folder, key)
        if hit is not None:
            return hit
    prepared = prepare(load(root), cfg)
    if key is not None:
        try:
            cache.store(folder, key, prepared)
        except OSError:
            pass  # a read-only or full cache folder must not stop training; the next load just re-parses
    return prepared
