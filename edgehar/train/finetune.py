"""Fine-tuning heads on frozen encoders, from features computed once.

The encoders are frozen and fine-tuning uses no augmentation, so every epoch would compute the
same features again: they are computed once per split (encoders in eval mode, so BatchNorm uses
its running statistics and dropout is off) and the head trains on the cached tensors. The loop is
plain PyTorch because there is nothing left for an engine to do: a few hundred rows of features,
milliseconds per epoch.

Selection follows the reference: ReduceLROnPlateau on validation accuracy, the head state with
the best validation accuracy is kept, and training stops when validation loss has not improved
for ``early_stop_patience`` epochs. Without a validation split the last epoch is kept and the
scheduler follows the training loss.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from edgehar.train.recipe import FinetuneSection


@torch.no_grad()
def extract_features(encoder: nn.Module, x: torch.Tensor, *, batch_size: int = 512) -> torch.Tensor:
    """Features of ``x`` with the encoder in eval mode (its own mode is restored afterwards).

    Returned on the CPU: the cache is small, and heads train wherever they were built."""
    was_training = encoder.training
    encoder.eval()
    device = next(encoder.parameters()).device
    out = [encoder(x[i : i + batch_size].to(device)).float().cpu() for i in range(0, x.shape[0], batch_size)]
    encoder.train(was_training)
    return torch.cat(out) if out else torch.empty(0)


@torch.no_grad()
def predict(model: nn.Module, inputs: Sequence[torch.Tensor], *, batch_size: int = 512) -> torch.Tensor:
    """Logits of ``model(*inputs)`` in eval mode, batched."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    n = inputs[0].shape[0]
    out = [model(*(x[i : i + batch_size].to(device) for x in inputs)).float() for i in range(0, n, batch_size)]
    model.train(was_training)
    return torch.cat(out).cpu() if out else torch.empty(0)


@dataclass
class HeadResult:
    """The trained head (best state loaded) and one history row per epoch."""

    head: nn.Module
    best_epoch: int
    history: list[dict[str, float]] = field(default_factory=list)


def train_head(
    head: nn.Module,
    train: tuple[Sequence[torch.Tensor], torch.Tensor],
    val: tuple[Sequence[torch.Tensor], torch.Tensor] | None,
    cfg: FinetuneSection,
    *,
    seed: int,
) -> HeadResult:
    """Train ``head(*features) -> logits`` on cached features; returns it with the selected state."""
    device = next(head.parameters()).device
    feats = [f.to(device) for f in train[0]]
    y = train[1].to(device)
    has_val = val is not None and val[1].numel() > 0
    if has_val:
        v_feats = [f.to(device) for f in val[0]]  # type: ignore[index]
        v_y = val[1].to(device)  # type: ignore[index]
    opt = torch.optim.Adam(head.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, mode="max" if has_val else "min", factor=cfg.scheduler.factor, patience=cfg.scheduler.patience
    )
    gen = torch.Generator().manual_seed(seed)
    n = y.shape[0]
    best_acc, best_epoch, best_state = -1.0, 0, copy.deepcopy(head.state_dict())
    best_val_loss, since_improved = float("inf"), 0
    history: list[dict[str, float]] = []
    for epoch in range(cfg.epochs):
        head.train()
        order = torch.randperm(n, generator=gen).to(device)
        total = 0.0
        for i in range(0, n, cfg.batch_size):
            idx = order[i : i + cfg.batch_size]
            if idx.numel() < 2 and n >= 2:  # BatchNorm needs two rows; fold a lone row into the epoch's end
                continue
            loss = F.cross_entropy(head(*(f[idx] for f in feats)), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * idx.numel()
        row = {"epoch": float(epoch), "train_loss": total / n, "lr": opt.param_groups[0]["lr"]}
        if has_val:
            head.eval()
            with torch.no_grad():
                logits = head(*v_feats)
                val_loss = float(F.cross_entropy(logits, v_y))
                val_acc = float((logits.argmax(1) == v_y).float().mean())
            row.update(val_loss=val_loss, val_acc=val_acc)
            sched.step(val_acc)
            if val_acc > best_acc:
                best_acc, best_epoch, best_state = val_acc, epoch, copy.deepcopy(head.state_dict())
            if val_loss < best_val_loss:
                best_val_loss, since_improved = val_loss, 0
            else:
                since_improved += 1
        else:
            sched.step(row["train_loss"])
            best_epoch, best_state = epoch, None
        history.append(row)
        if has_val and since_improved >= cfg.early_stop_patience:
            break
    if best_state is not None:
        head.load_state_dict(best_state)
    head.eval()
    return HeadResult(head=head, best_epoch=best_epoch, history=history)
