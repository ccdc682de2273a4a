"""The data a run trains and evaluates on: prepared arrays, split indices and IMU standardisation.

Loaded once per run (from the data layer's cache), standardised once, and handed out as tensors,
so training never touches numpy or per-sample Python again. The same object comes back from
``RunDir.load_data()`` so export sees exactly what training saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgehar.data import ImuStandardizer, PreparedDataset, fit_imu_standardizer, load_dataset, split_indices
from edgehar.errors import EdgeharError
from edgehar.train.recipe import DataSection

SPLITS = ("train", "val", "test")


def resolve_data_dir(section: DataSection) -> Path:
    """The recipe's dataset folder, or the embedded synthetic dataset when none is given."""
    if section.dir is None:
        from edgehar.data.synth import default_dataset_dir

        return Path(default_dataset_dir())
    path = Path(section.dir).expanduser()
    if not path.exists():
        raise EdgeharError(f"data.dir {path}: no such folder (give the dataset folder with --data-dir)")
    return path.resolve()


@dataclass
class RunData:
    """Prepared dataset, its splits and the standardiser fitted on the training split."""

    prepared: PreparedDataset
    splits: dict[str, np.ndarray]
    standardizer: ImuStandardizer
    data_dir: Path
    protocol: str

    @property
    def has_skeleton(self) -> bool:
        return self.prepared.skeleton is not None

    @property
    def num_classes(self) -> int:
        return self.prepared.num_classes

    def imu(self, indices: np.ndarray) -> Any:
        """Standardised IMU windows (N, C, L) as a float32 tensor."""
        import torch

        return torch.from_numpy(self.standardizer.apply(self.prepared.imu[indices]))

    def skeleton(self, indices: np.ndarray) -> Any:
        """Skeleton windows (N, D, L, J) as a float32 tensor."""
        import torch

        if self.prepared.skeleton is None:
            raise EdgeharError(f"dataset '{self.prepared.name}' has no skeleton modality")
        return torch.from_numpy(np.ascontiguousarray(self.prepared.skeleton[indices]))

    def labels(self, indices: np.ndarray) -> Any:
        import torch

        return torch.from_numpy(self.prepared.labels[indices].astype(np.int64))

    def inputs(self, modality: str, indices: np.ndarray) -> tuple[Any, ...]:
        """Model inputs for ``modality`` ('imu', 'skeleton' or 'multimodal')."""
        if modality == "imu":
            return (self.imu(indices),)
        if modality == "skeleton":
            return (self.skeleton(indices),)
        return (self.imu(indices), self.skeleton(indices))

    def meta(self) -> dict[str, Any]:
        """Dataset facts export and the runtime need (run.json's ``dataset`` entry)."""
        p = self.prepared
        train = self.splits["train"]
        return {
            "name": p.name,
            "layout": p.layout,
            "data_dir": str(self.data_dir),
            "protocol": self.protocol,
            "split_sizes": {k: int(v.size) for k, v in self.splits.items()},
            "label_names": list(p.label_names),
            "imu_channels": list(p.imu_channels),
            "imu_units": list(p.imu_units),
            "imu_rate_hz": float(p.imu_rate_hz),
            "joint_names": list(p.joint_names),
            "window_steps": int(p.imu.shape[-1]),
            # One window stands for a whole clip, so its duration is a typical clip's.
            "window_seconds": float(np.median(p.durations_s[train])),
            "imu_shape": list(p.imu.shape[1:]),
            "skeleton_shape": None if p.skeleton is None else list(p.skeleton.shape[1:]),
        }


def load_run_data(section: DataSection, *, standardizer: ImuStandardizer | None = None) -> RunData:
    """Load, split and standardise; ``standardizer`` reuses saved statistics instead of refitting."""
    data_dir = resolve_data_dir(section)
    prepared = load_dataset(data_dir, section.preprocess)
    splits = split_indices(prepared, section.protocol)
    protocol = section.protocol or _default_protocol(prepared)
    if standardizer is None:
        if section.standardize_imu:
            standardizer = fit_imu_standardizer(prepared.imu, splits["train"])
        else:
            c = prepared.imu.shape[1]
            standardizer = ImuStandardizer(np.zeros(c, np.float32), np.ones(c, np.float32))
    return RunData(prepared=prepared, splits=splits, standardizer=standardizer, data_dir=data_dir, protocol=protocol)


def _default_protocol(prepared: PreparedDataset) -> str:
    from edgehar.data import DEFAULT_PROTOCOL

    return DEFAULT_PROTOCOL.get(prepared.layout, "random")
