"""Self-supervised pretraining as one LightningModule.

SimCLR and SimCLR-HNL see two augmented views of one modality; the CMC family (CMC, CMC-HNL,
CMC-Debiased, CMC-CMKM) sees one augmented view of each modality and treats the IMU and skeleton
windows of the same clip as the positive pair. Augmentation runs here, on the batch, on the
device the batch already lives on. CMKM's frozen similarity encoders are kept outside the
module's children on purpose: they are not trained, not checkpointed, and never switched to
training mode by Lightning.
"""

from __future__ import annotations

from typing import Callable

import lightning as L
import torch
from torch import nn

from edgehar.train.recipe import StageSection

Augment = Callable[[torch.Tensor], torch.Tensor]


class ContrastiveModule(L.LightningModule):
    """Encoders + projection heads trained with a contrastive loss; logs ``train_loss``/``val_loss``."""

    def __init__(
        self,
        *,
        modalities: tuple[str, ...],
        encoders: dict[str, nn.Module],
        projections: dict[str, nn.Module],
        augments: dict[str, Augment],
        loss: Callable[..., torch.Tensor],
        val_loss: Callable[..., torch.Tensor],
        optim: StageSection,
        similarity_encoders: dict[str, nn.Module] | None = None,
    ) -> None:
        super().__init__()
        self.modalities = modalities  # ("imu", "skeleton") for CMC, one name for SimCLR
        self.encoders = nn.ModuleDict(encoders)
        self.projections = nn.ModuleDict(projections)
        self.augments = augments
        self.loss_fn = loss
        self.val_loss_fn = val_loss
        self.optim = optim
        # A plain dict, not a ModuleDict: frozen, excluded from state_dict and from .train().
        self._similarity = dict(similarity_encoders or {})

    def on_fit_start(self) -> None:
        for enc in self._similarity.values():
            enc.to(self.device).eval().requires_grad_(False)

    def embed(self, modality: str, x: torch.Tensor) -> torch.Tensor:
        return self.projections[modality](self.encoders[modality](x))

    def _step_loss(self, batch: tuple[torch.Tensor, ...], train: bool) -> torch.Tensor:
        if len(self.modalities) == 2:
            imu, skeleton = batch[0], batch[1]
            if train:
                imu, skeleton = self.augments["imu"](imu), self.augments["skeleton"](skeleton)
            z_imu, z_skel = self.embed("imu", imu), self.embed("skeleton", skeleton)
            if train and self._similarity:
                with torch.no_grad():
                    f_imu = self._similarity["imu"](imu)
                    f_skel = self._similarity["skeleton"](skeleton)
                return self.loss_fn(z_imu, z_skel, f_imu, f_skel)
            return (self.loss_fn if train else self.val_loss_fn)(z_imu, z_skel)
        (modality,) = self.modalities
        x = batch[0]
        aug = self.augments[modality] if train else (lambda t: t)
        # Both views through the encoder in one call: larger kernels, same parameters.
        z = self.embed(modality, torch.cat([aug(x), aug(x)], dim=0))
        z1, z2 = z.chunk(2, dim=0)
        return (self.loss_fn if train else self.val_loss_fn)(z1, z2)

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        loss = self._step_loss(batch, train=True)
        self.log("train_loss", loss, on_step=False, on_epoch=True, prog_bar=True, sync_dist=True,
                 batch_size=batch[0].shape[0])
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        loss = self._step_loss(batch, train=False)
        self.log("val_loss", loss, on_step=False, on_epoch=True, prog_bar=True, sync_dist=True,
                 batch_size=batch[0].shape[0])

    def configure_optimizers(self) -> dict:
        opt = torch.optim.Adam(self.parameters(), lr=self.optim.lr, weight_decay=self.optim.weight_decay)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode="min", factor=self.optim.scheduler.factor, patience=self.optim.scheduler.patience
        )
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": "train_loss", "interval": "epoch"}}
