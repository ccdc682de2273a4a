"""Reading a finished run directory back: what ``edgehar export`` and reports build on.

Layout (written by ``edgehar.train.pipeline``):

    RUN/config.yaml                 the resolved recipe
    RUN/run.json                    dataset facts, IMU normalisation, framework, seeds, version
    RUN/metrics.json                scores per evaluation, per seed and mean with 95% CI
    RUN/seed_<s>/<module>.pt        plain state dicts: imu_encoder, skeleton_encoder, fusion_head,
                                    imu_head, skeleton_head, *_projection (``@<p>pct`` suffix for
                                    label budgets below the largest)
    RUN/seed_<s>/scores.json        that seed's scores; logs/ (CSV, TensorBoard), checkpoints/
    RUN/plots/                      training_curves.png, confusion_matrix.png, embedding_test.png

Modules come back in eval mode on the CPU. IMU inputs are standardised with ``normalization``
(``standardizer``) first; the classifiers do not include that step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from edgehar.errors import EdgeharError
from edgehar.train.recipe import Recipe, validate


@dataclass
class RunDir:
    """A trained run: its recipe (``config``), its facts (``meta``) and builders for its modules."""

    path: Path
    config: Recipe
    meta: dict[str, Any]

    @classmethod
    def open(cls, path: str | Path) -> "RunDir":
        root = Path(path).expanduser()
        for name in ("config.yaml", "run.json"):
            if not (root / name).is_file():
                raise EdgeharError(f"{root}: not a run directory (no {name}; train one with `edgehar train`)")
        try:
            raw = yaml.safe_load((root / "config.yaml").read_text())
            meta = json.loads((root / "run.json").read_text())
        except (yaml.YAMLError, json.JSONDecodeError) as exc:
            raise EdgeharError(f"{root}: config.yaml or run.json is corrupt ({exc.__class__.__name__})") from None
        return cls(path=root, config=validate(raw, source=f"{root / 'config.yaml'}"), meta=meta)

    # ------------------------------------------------------------------ facts

    @property
    def seeds(self) -> list[int]:
        """Seeds that finished (have scores), in recipe order."""
        return [s for s in self.meta["seeds"] if (self.path / f"seed_{s}" / "scores.json").is_file()]

    @property
    def dataset(self) -> dict[str, Any]:
        return self.meta["dataset"]

    @property
    def label_names(self) -> list[str]:
        return list(self.dataset["label_names"])

    @property
    def standardizer(self) -> Any:
        from edgehar.data import ImuStandardizer

        return ImuStandardizer.from_dict(self.meta["normalization"])

    @property
    def metrics(self) -> dict[str, Any]:
        path = self.path / "metrics.json"
        if not path.is_file():
            raise EdgeharError(f"{self.path}: no metrics.json (the run has not finished)")
        return json.loads(path.read_text())

    def load_data(self) -> Any:
        """The prepared dataset, split indices and the saved standardiser (a ``RunData``)."""
        from edgehar.train.run_data import load_run_data

        section = self.config.data.model_copy(update={"dir": self.dataset["data_dir"]})
        return load_run_data(section, standardizer=self.standardizer)

    # ------------------------------------------------------------------ modules

    def _state(self, seed: int, name: str) -> dict[str, Any]:
        import torch

        path = self.path / f"seed_{seed}" / f"{name}.pt"
        if not path.is_file():
            have = sorted(p.stem for p in (self.path / f"seed_{seed}").glob("*.pt"))
            raise EdgeharError(f"{path}: not in this run (seed {seed} has: {', '.join(have) or 'nothing'})")
        return torch.load(path, map_location="cpu", weights_only=True)

    def _loaded(self, module: Any, seed: int, name: str) -> Any:
        module.load_state_dict(self._state(seed, name))
        return module.eval()

    def imu_encoder(self, seed: int) -> Any:
        from edgehar.train import build

        return self._loaded(build.imu_encoder(self.config, self.dataset), seed, "imu_encoder")

    def skeleton_encoder(self, seed: int) -> Any:
        from edgehar.train import build

        if self.dataset.get("skeleton_shape") is None:
            raise EdgeharError(f"{self.path}: the dataset of this run has no skeleton modality")
        return self._loaded(build.skeleton_encoder(self.config, self.dataset), seed, "skeleton_encoder")

    def imu_classifier(self, seed: int) -> Any:
        """IMU encoder + its linear head: (N, C, L) standardised IMU -> logits."""
        from edgehar.models import ImuClassifier
        from edgehar.train import build

        enc = self.imu_encoder(seed)
        head = self._loaded(build.linear_head(enc.out_dim, len(self.label_names)), seed, "imu_head")
        return ImuClassifier(enc, head).eval()

    def skeleton_classifier(self, seed: int) -> Any:
        """Skeleton encoder + its linear head: (N, D, L, J) -> logits."""
        from edgehar.models import UnimodalClassifier
        from edgehar.train import build

        enc = self.skeleton_encoder(seed)
        head = self._loaded(build.linear_head(enc.out_dim, len(self.label_names)), seed, "skeleton_head")
        return UnimodalClassifier(enc, head).eval()

    def multimodal_classifier(self, seed: int) -> Any:
        """Both encoders + the fusion head: (standardised IMU, skeleton) -> logits."""
        from edgehar.models import MultimodalClassifier
        from edgehar.train import build

        imu, skel = self.imu_encoder(seed), self.skeleton_encoder(seed)
        head = build.fusion_head(self.config, imu.out_dim, skel.out_dim, len(self.label_names))
        return MultimodalClassifier(imu, skel, self._loaded(head, seed, "fusion_head")).eval()

