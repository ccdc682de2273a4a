"""On-disk cache of prepared arrays, so repeated runs skip parsing hundreds of source files.

An entry is ``<key>.npz`` (arrays, read with ``allow_pickle=False``) plus ``<key>.json``
(metadata); the JSON is written last, so an entry without it is incomplete and ignored. The key
hashes the cache format version, the layout, the preprocessing config, the loader options and,
for every source file, its path relative to the dataset root, size and modification time in
nanoseconds: editing, adding or removing a file or changing the config gives a new key.
Location: ``$EDGEHAR_CACHE`` or ``~/.cache/edgehar``, under ``datasets/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from edgehar.data.preprocess import PreparedDataset, PreprocessConfig

CACHE_VERSION = 1


def default_cache_dir() -> Path:
    env = os.environ.get("EDGEHAR_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "edgehar"


def cache_key(root: Path, layout: str, files: list[Path], cfg: PreprocessConfig, options: dict | None = None) -> str:
    """Hash of everything that determines the prepared arrays."""
    h = hashlib.sha256()
    header = {"version": CACHE_VERSION, "layout": layout, "config": cfg.model_dump(mode="json"), "options": options or {}}
    h.update(json.dumps(header, sort_keys=True).encode())
    for path in files:
        st = path.stat()
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:
            rel = str(path)
        h.update(f"\n{rel}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()[:32]


def _entry(cache_dir: Path, key: str) -> tuple[Path, Path]:
    folder = cache_dir / "datasets"
    return folder / f"{key}.npz", folder / f"{key}.json"


def load(cache_dir: Path, key: str) -> PreparedDataset | None:
    """The cached dataset for ``key``, or None on a miss or an unreadable entry."""
    npz_path, json_path = _entry(cache_dir, key)
    if not json_path.exists() or not npz_path.exists():
        return None
    try:
        meta = json.loads(json_path.read_text())
        with np.load(npz_path, allow_pickle=False) as arrays:
            values = {name: (arrays[name] if name in arrays.files else None) for name in PreparedDataset.ARRAY_FIELDS}
    except (OSError, ValueError, KeyError):
        return None
    if meta.pop("cache_version", None) != CACHE_VERSION:
        return None
    tuples = {k: tuple(v) if isinstance(v, list) else v for k, v in meta.items()}
    try:
        return PreparedDataset(**values, **tuples)
    except TypeError:
        return None


def store(cache_dir: Path, key: str, ds: PreparedDataset) -> None:
    """Write ``ds`` under ``key`` atomically (a crash leaves no half entry that looks valid)."""
    npz_path, json_path = _entry(cache_dir, key)
    npz_path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {name: getattr(ds, name) for name in PreparedDataset.ARRAY_FIELDS if getattr(ds, name) is not None}
    for target, write in (
        (npz_path, lambda f: np.savez(f, **arrays)),
        (json_path, lambda f: f.write(json.dumps({"cache_version": CACHE_VERSION, **ds.metadata()}).encode())),
    ):
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
