"""Mini-batches sliced straight out of preprocessed tensors.

The dataset is small and already preprocessed, so a batch is one fancy-index per tensor:
no per-item ``__getitem__`` calls, no collation, no worker processes. ``__getitems__`` is the
hook torch's DataLoader calls with a whole batch of indices; keeping the DataLoader (rather
than a hand-written iterator) lets Lightning swap in a DistributedSampler under DDP.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch.utils.data import DataLoader, Dataset


class TensorBatches(Dataset):
    """Aligned tensors (same first dimension) served a batch at a time."""

    def __init__(self, *tensors: torch.Tensor) -> None:
        if not tensors or any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise ValueError("TensorBatches needs tensors with the same first dimension")
        self.tensors = tensors

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __getitems__(self, indices: Sequence[int]) -> tuple[torch.Tensor, ...]:
        idx = torch.as_tensor(indices, dtype=torch.long)
        return tuple(t[idx] for t in self.tensors)


def _as_batch(batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    """The batch is already stacked by ``__getitems__``; nothing to collate."""
    return batch


def batch_loader(
    tensors: Sequence[torch.Tensor], *, batch_size: int, shuffle: bool, drop_last: bool, seed: int = 0
) -> DataLoader:
    """A DataLoader over ``tensors``; shuffling is seeded so a run is repeatable."""
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    dataset = TensorBatches(*tensors)
    # Never drop the only batch (a tiny split must still train), but never leave a batch of one:
    # BatchNorm cannot train on it.
    n = len(dataset)
    drop = n > batch_size and (drop_last or n % batch_size == 1)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        drop_last=drop,
        generator=generator,
        collate_fn=_as_batch,
        num_workers=0,
    )
