"""The Lightning Trainer every training stage runs on, configured from the recipe's trainer section.

Lightning gives device placement, mixed precision, DDP across processes and nodes (it reads
torchrun's and SLURM's environment itself), checkpoints with resume, loggers and progress bars.
This module only chooses sensible defaults: bf16 (or fp16) mixed precision on a GPU, full precision
and deterministic algorithms on the CPU, and a process count taken from the launcher when the
recipe says ``devices: auto``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from edgehar.train.recipe import TrainerSection


def _launcher_devices() -> tuple[int, int] | None:
    """(devices per node, nodes) as set by torchrun or SLURM, or None when not launched by one."""
    if "LOCAL_WORLD_SIZE" in os.environ and "WORLD_SIZE" in os.environ:  # torchrun / torchelastic
        per_node = int(os.environ["LOCAL_WORLD_SIZE"])
        return per_node, max(1, int(os.environ["WORLD_SIZE"]) // per_node)
    if "SLURM_NTASKS_PER_NODE" in os.environ and "SLURM_NNODES" in os.environ:
        if os.environ.get("SLURM_JOB_NAME") not in ("bash", "interactive"):
            return int(os.environ["SLURM_NTASKS_PER_NODE"].split("(")[0]), int(os.environ["SLURM_NNODES"])
    return None


def resolve_accelerator(cfg: TrainerSection) -> str:
    """'cpu' or 'gpu' ('auto' picks a CUDA GPU when there is one)."""
    import torch

    if cfg.accelerator != "auto":
        return "gpu" if cfg.accelerator in ("cuda", "gpu") else cfg.accelerator
    return "gpu" if torch.cuda.is_available() else "cpu"


def resolve_precision(cfg: TrainerSection, accelerator: str) -> str:
    """bf16 mixed precision on GPUs that have it, fp16 mixed on older ones, fp32 on the CPU."""
    import torch

    if cfg.precision is not None:
        return cfg.precision
    if accelerator == "gpu":
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    return "32-true"


def _quiet_lightning() -> None:
    """Keep the console to progress bars and our own lines: no tips, no deprecation chatter."""
    import logging
    import warnings

    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
    warnings.filterwarnings("ignore", message=r".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=r"Checkpoint directory .* exists and is not empty")  # --resume


def _next_version(root: Path) -> str:
    """One version name shared by the CSV and TensorBoard loggers of a stage (a resume gets a new one)."""
    taken = [int(p.name.split("_")[1]) for p in root.glob("version_*") if p.name.split("_")[1].isdigit()]
    return f"version_{max(taken, default=-1) + 1}"


def build_trainer(
    cfg: TrainerSection,
    *,
    max_epochs: int,
    log_dir: Path,
    stage: str,
    monitor_best: str | None = None,
    val_every_n_epochs: int = 1,
    has_val: bool = True,
    steps_per_epoch: int = 50,
) -> Any:
    """A Trainer for one stage: checkpoints in ``log_dir/checkpoints/<stage>``, logs in ``log_dir/logs``.

    ``monitor_best`` keeps the best checkpoint on that (maximised) quantity as well as the last one.
    """
    import lightning as L
    from lightning.pytorch.callbacks import ModelCheckpoint
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    _quiet_lightning()
    accelerator = resolve_accelerator(cfg)
    devices: Any = cfg.devices
    num_nodes = cfg.num_nodes
    launched = _launcher_devices()
    if devices == "auto" and launched is not None:
        devices, num_nodes = launched
    if devices == "auto" and accelerator == "cpu":
        devices = 1
    deterministic = cfg.deterministic if cfg.deterministic is not None else accelerator == "cpu"
    # "last" is rewritten at the end of every epoch (what --resume continues from); "best" keeps
    # the best epoch on a validation quantity when the stage selects a model.
    callbacks = [
        ModelCheckpoint(
            dirpath=log_dir / "checkpoints" / stage, filename="last", monitor=None, save_top_k=1,
            save_on_train_epoch_end=True, enable_version_counter=False,
        )
    ]
    if monitor_best and has_val:
        callbacks.append(
            ModelCheckpoint(
                dirpath=log_dir / "checkpoints" / stage, filename="best", monitor=monitor_best, mode="max",
                save_top_k=1, enable_version_counter=False,
            )
        )
    version = _next_version(log_dir / "logs" / stage)
    return L.Trainer(
        accelerator=accelerator,
        devices=devices,
        num_nodes=num_nodes,
        strategy=cfg.strategy,
        precision=resolve_precision(cfg, accelerator),
        deterministic=deterministic,
        max_epochs=max_epochs,
        logger=[
            CSVLogger(log_dir / "logs", name=stage, version=version),
            TensorBoardLogger(log_dir / "logs", name=stage, version=version, default_hp_metric=False),
        ],
        callbacks=callbacks,
        enable_progress_bar=cfg.progress_bar,
        enable_model_summary=False,
        log_every_n_steps=min(cfg.log_every_n_steps, steps_per_epoch),
        check_val_every_n_epoch=val_every_n_epochs,
        limit_val_batches=None if has_val else 0,
        num_sanity_val_steps=0,
        gradient_clip_val=None,
    )
