"""Training speed: the Lightning module against a plain PyTorch loop, and the UTD-MHAD pipeline.

Part 1 trains CMC-HNL with the reference-sized models (CSSHAR IMU encoder, HCN skeleton encoder,
projection heads) at batch 64 on UTD-MHAD-shaped tensors, once through ``ContrastiveModule`` on a
Lightning Trainer (checkpointing and logging as ``edgehar train`` configures them) and once as a
plain loop with the same modules, augmentations, loss and optimiser. The two alternate for
``--rounds`` rounds (the machine is shared, so interleaving keeps the comparison fair) and the
median samples/s of each is reported with the engine's overhead.

Part 2 (``--data-dir``) times the real pipeline on UTD-MHAD for one seed with a few pretraining
epochs, and extrapolates the paper schedule (150 pretraining epochs, 100 fine-tuning epochs).

    python benchmarks/train_throughput.py --threads 2 [--data-dir ../shared/data/utd-mhad]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch


def _models(seed: int):
    from edgehar.models import ProjectionHead, build_imu_encoder, build_skeleton_encoder

    torch.manual_seed(seed)
    imu = build_imu_encoder({}, in_channels=6, length=50)
    skel = build_skeleton_encoder({}, in_channels=3, length=50, joints=20)
    return {"imu": imu, "skeleton": skel}, {"imu": ProjectionHead(imu.out_dim), "skeleton": ProjectionHead(skel.out_dim)}


def _loss():
    from functools import partial

    from edgehar.losses import cross_modal_hnl

    return partial(cross_modal_hnl, temperature=0.1, beta=1.0, tau_plus=0.037)


def _data(n: int):
    g = torch.Generator().manual_seed(0)
    return torch.randn(n, 6, 50, generator=g), torch.randn(n, 3, 50, 20, generator=g), torch.zeros(n, dtype=torch.long)


def plain_loop(epochs: int, steps: int, batch: int) -> float:
    """Samples/s of a hand-written training loop over epochs 1.. (epoch 0 is warm-up)."""
    from edgehar.train.batches import batch_loader
    from edgehar.transforms import build_imu_augment, build_skeleton_augment

    enc, proj = _models(0)
    modules = torch.nn.ModuleList([*enc.values(), *proj.values()]).train()
    aug_i, aug_s = build_imu_augment("utd"), build_skeleton_augment("utd")
    loss_fn = _loss()
    opt = torch.optim.Adam(modules.parameters(), lr=1e-3, weight_decay=1e-5)
    loader = batch_loader(_data(batch * steps), batch_size=batch, shuffle=True, drop_last=True)
    start = 0.0
    for epoch in range(epochs):
        if epoch == 1:
            start = time.perf_counter()
        for imu, skel, _ in loader:
            z_i = proj["imu"](enc["imu"](aug_i(imu)))
            z_s = proj["skeleton"](enc["skeleton"](aug_s(skel)))
            loss = loss_fn(z_i, z_s)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return (epochs - 1) * steps * batch / (time.perf_counter() - start)


def lightning_loop(epochs: int, steps: int, batch: int, workdir: Path) -> float:
    """Samples/s of the same training through ContrastiveModule + the edgehar Trainer, including its
    per-epoch checkpoint, loggers and LR scheduler (epoch 0 is warm-up)."""
    import lightning as L

    from edgehar.train.batches import batch_loader
    from edgehar.train.contrastive import ContrastiveModule
    from edgehar.train.engine import build_trainer
    from edgehar.train.recipe import StageSection, TrainerSection
    from edgehar.transforms import build_imu_augment, build_skeleton_augment

    class Clock(L.Callback):
        def __init__(self) -> None:
            self.start = self.end = 0.0

        def on_train_epoch_start(self, trainer, module) -> None:  # noqa: ANN001
            if trainer.current_epoch == 1:
                self.start = time.perf_counter()

        def on_train_end(self, trainer, module) -> None:  # noqa: ANN001
            self.end = time.perf_counter()

    enc, proj = _models(0)
    loss = _loss()
    module = ContrastiveModule(
        modalities=("imu", "skeleton"), encoders=enc, projections=proj,
        augments={"imu": build_imu_augment("utd"), "skeleton": build_skeleton_augment("utd")},
        loss=loss, val_loss=loss, optim=StageSection(epochs=epochs, batch_size=batch),
    )
    loader = batch_loader(_data(batch * steps), batch_size=batch, shuffle=True, drop_last=True)
    trainer = build_trainer(TrainerSection(progress_bar=False), max_epochs=epochs, log_dir=workdir, stage="bench",
                            has_val=False, steps_per_epoch=steps)
    clock = Clock()
    trainer.callbacks.insert(0, clock)
    trainer.fit(module, loader)
    return (epochs - 1) * steps * batch / (clock.end - clock.start)


def pipeline_time(data_dir: Path, epochs: int, workdir: Path) -> dict:
    """Wall time of the real pipeline for one seed and ``epochs`` pretraining epochs, extrapolated."""
    from edgehar.train.pipeline import train_run
    from edgehar.train.recipe import load_recipe

    recipe_file = Path(__file__).resolve().parents[1] / "train" / "utd_mhad" / "cmc_hnl.yaml"
    recipe = load_recipe(recipe_file, [f"data.dir={data_dir}", "seeds=[0]", f"pretrain.epochs={epochs}",
                                       "trainer.progress_bar=false"])
    t0 = time.perf_counter()
    run = train_run(recipe, workdir / "pipeline", log=lambda _m: None)
    total = time.perf_counter() - t0
    import csv

    # Lightning's CSV log has one row per epoch; timing comes from the checkpoint/log mtimes instead.
    log = run / "seed_0" / "logs" / "pretrain" / "version_0" / "metrics.csv"
    with log.open() as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("train_loss")]
    ckpt = run / "seed_0" / "checkpoints" / "pretrain" / "last.ckpt"
    created = (run / "run.json").stat().st_mtime
    pretrain_s = ckpt.stat().st_mtime - created
    rest_s = total - pretrain_s
    return {
        "pretrain_epochs": len(rows),
        "pretrain_s": round(pretrain_s, 1),
        "rest_s (data, features, 3 heads x 100 epochs, scoring, plots)": round(rest_s, 1),
        "total_s": round(total, 1),
        "paper_schedule_one_seed_min (150 epochs)": round((pretrain_s / len(rows) * 150 + rest_s) / 60, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5, help="steps per epoch (UTD-MHAD: 5 at batch 64)")
    parser.add_argument("--train-epochs", type=int, default=4, help="epochs per measurement, the first is warm-up")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--epochs", type=int, default=5, help="pretraining epochs of the pipeline timing")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    plain, engine = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            plain.append(plain_loop(args.train_epochs, args.steps, args.batch))
            engine.append(lightning_loop(args.train_epochs, args.steps, args.batch, Path(tmp) / f"r{r}"))
            print(f"round {r}: plain {plain[-1]:.1f} samples/s, lightning {engine[-1]:.1f} samples/s", flush=True)
        p, e = statistics.median(plain), statistics.median(engine)
        result = {
            "threads": args.threads, "batch": args.batch, "steps_per_epoch": args.steps,
            "measured_epochs": args.train_epochs - 1,
            "plain_samples_per_s": round(p, 1), "lightning_samples_per_s": round(e, 1),
            "engine_overhead_pct": round(100 * (p - e) / p, 1),
        }
        if args.data_dir is not None:
            result["pipeline"] = pipeline_time(args.data_dir.resolve(), args.epochs, Path(tmp))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
