"""Shared machinery of the batched augmentations: per-sample probability, composition, building from dicts.

Every augmentation takes a batch tensor and an optional ``torch.Generator`` (same device as the
batch) and decides *per sample* whether it applies, with probability ``p``, like the reference's
``RandomApply`` applied to one sample at a time.
"""

from __future__ import annotations

import inspect
from typing import Any, Mapping

import torch

from edgehar.errors import EdgeharError


class Augmentation:
    """Base class: subclasses implement ``transform`` for the whole batch; ``__call__`` applies it to a
    random subset of samples chosen with probability ``p``."""

    def __init__(self, p: float = 1.0, reference_compat: bool = False) -> None:
        if not 0.0 <= p <= 1.0:
            raise EdgeharError(f"{type(self).__name__}: probability p must be in [0, 1], got {p}")
        self.p = p
        self.reference_compat = reference_compat

    def transform(self, x: torch.Tensor, g: torch.Generator | None) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        if self.p == 0.0:
            return x
        out = self.transform(x, generator)
        if self.p == 1.0:
            return out
        chosen = rand(x.shape[0], g=generator, device=x.device) < self.p
        return torch.where(chosen.view(-1, *([1] * (x.ndim - 1))), out, x)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"


class Compose:
    """Apply augmentations in order (the reference applies them in its YAML order)."""

    def __init__(self, augmentations: list[Augmentation]) -> None:
        self.augmentations = list(augmentations)

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        for aug in self.augmentations:
            x = aug(x, generator)
        return x

    def __len__(self) -> int:
        return len(self.augmentations)

    def __repr__(self) -> str:
        return f"Compose({self.augmentations!r})"


def rand(*shape: int, g: torch.Generator | None, device: torch.device) -> torch.Tensor:
    return torch.rand(*shape, generator=g, device=device)


def randn(*shape: int, g: torch.Generator | None, device: torch.device) -> torch.Tensor:
    return torch.randn(*shape, generator=g, device=device)


def randint(low: int, high: int, shape: tuple[int, ...], g: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """Integers uniform on [low, high) (exclusive, like numpy.random.randint)."""
    return torch.randint(low, high, shape, generator=g, device=device)


def build(
    registry: Mapping[str, type[Augmentation]],
    config: Mapping[str, Any],
    *,
    reference_compat: bool,
    what: str,
) -> Compose:
    """Compose from ``{name: {"p": prob, "apply": bool, **params}}`` in dict order.

    Unknown names or parameters are rejected with their key path, so a typo in a recipe cannot
    silently disable an augmentation.
    """
    augs = []
    for name, params in config.items():
        if name not in registry:
            raise EdgeharError(f"{what}.{name}: unknown augmentation (choose from {', '.join(registry)})")
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            raise EdgeharError(f"{what}.{name}: expected a mapping of parameters, got {type(params).__name__}")
        params = dict(params)
        if not params.pop("apply", True):
            continue
        cls = registry[name]
        accepted = set(inspect.signature(cls.__init__).parameters) - {"self", "reference_compat"}
        unknown = sorted(set(params) - accepted)
        if unknown:
            raise EdgeharError(f"{what}.{name}.{unknown[0]}: unknown parameter (accepted: {', '.join(sorted(accepted))})")
        try:
            augs.append(cls(**params, reference_compat=reference_compat))
        except (TypeError, ValueError, EdgeharError) as exc:
            raise EdgeharError(f"{what}.{name}: {exc}") from exc
    return Compose(augs)
