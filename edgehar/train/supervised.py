"""Supervised baselines: encoders and head trained end to end with cross-entropy.

The same module serves IMU-only, skeleton-only and multimodal classifiers: the batch holds the
model's inputs followed by the labels. ``val_acc`` drives the choice of the best checkpoint.
"""

from __future__ import annotations

from typing import Callable

import lightning as L
import torch
import torch.nn.functional as F
from torch import nn

from edgehar.train.recipe import StageSection

Augment = Callable[[torch.Tensor], torch.Tensor]


class SupervisedModule(L.LightningModule):
    """``model(*inputs) -> logits`` trained with cross-entropy; logs loss and accuracy per epoch."""

    def __init__(self, *, model: nn.Module, augments: list[Augment | None], optim: StageSection) -> None:
        super().__init__()
        self.model = model
        self.augments = augments  # one per input, None for no augmentation
        self.optim = optim

    def _logits(self, inputs: tuple[torch.Tensor, ...], train: bool) -> torch.Tensor:
        if train:
            inputs = tuple(x if aug is None else aug(x) for x, aug in zip(inputs, self.augments, strict=True))
        return self.model(*inputs)

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        *inputs, y = batch
        logits = self._logits(tuple(inputs), train=True)
        loss = F.cross_entropy(logits, y)
        n = y.shape[0]
        self.log("train_loss", loss, on_step=False, on_epoch=True, prog_bar=True, sync_dist=True, batch_size=n)
        self.log("train_acc", (logits.argmax(1) == y).float().mean(), on_step=False, on_epoch=True,
                 sync_dist=True, batch_size=n)
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        *inputs, y = batch
        logits = self._logits(tuple(inputs), train=False)
        n = y.shape[0]
        self.log("val_loss", F.cross_entropy(logits, y), on_step=False, on_epoch=True, sync_dist=True, batch_size=n)
        self.log("val_acc", (logits.argmax(1) == y).float().mean(), on_step=False, on_epoch=True,
                 prog_bar=True, sync_dist=True, batch_size=n)

    def configure_optimizers(self) -> dict:
        opt = torch.optim.Adam(self.parameters(), lr=self.optim.lr, weight_decay=self.optim.weight_decay)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode="min", factor=self.optim.scheduler.factor, patience=self.optim.scheduler.patience
        )
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": "train_loss", "interval": "epoch"}}
