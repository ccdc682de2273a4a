"""``edgehar train`` from top to bottom: data, pretraining, fine-tuning, evaluation, run directory.

For each seed:
  1. CMC-CMKM only: pretrain one SimCLR encoder per modality (frozen similarity encoders).
  2. Pretrain (SSL frameworks) or train end to end (supervised), on Lightning.
  3. Compute the frozen encoders' features once per split, then fit the heads on them:
     multimodal pretraining -> fusion head, IMU-only and skeleton-only linear heads;
     unimodal pretraining -> a linear head; supervised multimodal -> also the two linear heads,
     so export always finds an IMU-only teacher. One set of heads per label budget.
  4. Score every head on train/val/test and save plain state dicts.
Then metrics.json (per seed and mean with 95% CI) and the plots.

Every stage is resumable: finished stages are recognised by their saved state dicts, an
interrupted one restarts from its Lightning ``last.ckpt``, and finished seeds by ``scores.json``.
Under DDP every process runs the training stages; only global rank 0 fine-tunes and writes.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, Callable

import numpy as np
import yaml

from edgehar import __version__
from edgehar.errors import EdgeharError
from edgehar.train import build
from edgehar.train.recipe import MULTIMODAL_SSL, Recipe
from edgehar.train.run_data import SPLITS, RunData, load_run_data

MODALITIES = ("imu", "skeleton")


def is_global_zero() -> bool:
    """True in the process that writes files; Lightning and torchrun set these variables."""
    return all(os.environ.get(var, "0") == "0" for var in ("RANK", "LOCAL_RANK", "NODE_RANK", "SLURM_PROCID"))


def _suffix(percent: float, main: float) -> str:
    return "" if percent == main else f"@{percent:g}pct"


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def main_evaluation(recipe: Recipe) -> str:
    """Name of the evaluation a run is judged by (its fusion head, or its single modality)."""
    return recipe.framework.modality


# --------------------------------------------------------------------------- augmentation and losses


def _augments(recipe: Recipe) -> dict[str, Callable]:
    return recipe.augment.build()


def _losses(recipe: Recipe) -> tuple[Callable, Callable]:
    """(training loss, validation loss) for the recipe's framework."""
    from edgehar import losses

    fw, lc = recipe.framework.name, recipe.loss
    t = lc.temperature
    hnl = dict(temperature=t, tau_plus=lc.tau_plus, reference_compat=lc.reference_compat)
    if fw == "simclr":
        loss = partial(losses.nt_xent, temperature=t)
        return loss, loss
    if fw == "simclr_hnl":
        return partial(losses.simclr_hnl, beta=lc.beta, **hnl), partial(losses.nt_xent, temperature=t)
    plain = partial(losses.cross_modal_infonce, temperature=t)
    if fw == "cmc":
        return plain, plain
    if fw == "cmc_hnl":
        return partial(losses.cross_modal_hnl, beta=lc.beta, **hnl), plain
    if fw == "cmc_debiased":
        return partial(losses.cross_modal_hnl, beta=0.0, **hnl), plain
    if fw == "cmc_cmkm":
        def cmkm_loss(z_imu, z_skel, f_imu, f_skel):  # noqa: ANN001, ANN202
            return losses.cmkm(
                z_imu, z_skel,
                sim_imu=losses.feature_similarity(f_imu), sim_skel=losses.feature_similarity(f_skel),
                temperature=t, k=recipe.cmkm.k, intra_weight=recipe.cmkm.intra_weight,
                reference_compat=lc.reference_compat,
            )
        return cmkm_loss, plain
    raise EdgeharError(f"framework {fw} has no contrastive loss")


# --------------------------------------------------------------------------- one Lightning stage


def _fit(module: Any, recipe: Recipe, stage_cfg: Any, seed_dir: Path, stage: str, train: tuple, val: tuple | None,
         *, resume: bool, seed: int, monitor_best: str | None = None, val_every: int = 1,
         drop_last: bool = False) -> Any:
    """Fit ``module`` on tensors; resumes from ``last.ckpt`` when asked. Returns the Trainer."""
    from edgehar.train.batches import batch_loader
    from edgehar.train.engine import build_trainer

    has_val = val is not None and val[0].shape[0] > 0
    train_loader = batch_loader(train, batch_size=stage_cfg.batch_size, shuffle=True, drop_last=drop_last, seed=seed)
    trainer = build_trainer(
        recipe.trainer, max_epochs=stage_cfg.epochs, log_dir=seed_dir, stage=stage,
        monitor_best=monitor_best, val_every_n_epochs=val_every, has_val=has_val,
        steps_per_epoch=max(1, len(train_loader)),
    )
    val_loader = batch_loader(val, batch_size=512, shuffle=False, drop_last=False) if has_val else None
    last = seed_dir / "checkpoints" / stage / "last.ckpt"
    trainer.fit(module, train_loader, val_loader, ckpt_path=str(last) if resume and last.exists() else None)
    return trainer


def _load_best(module: Any, trainer: Any) -> None:
    """Load the best-on-validation weights into ``module`` (model selection), if a best one was kept."""
    import torch

    best = next((cb.best_model_path for cb in trainer.checkpoint_callbacks if cb.monitor), "")
    if best and Path(best).exists():
        state = torch.load(best, map_location="cpu", weights_only=True)["state_dict"]
        module.load_state_dict(state)


def _save(modules: dict[str, Any], seed_dir: Path) -> None:
    import torch

    if not is_global_zero():
        return
    seed_dir.mkdir(parents=True, exist_ok=True)
    for name, mod in modules.items():
        tmp = seed_dir / f".{name}.pt.tmp"
        torch.save({k: v.detach().cpu() for k, v in mod.state_dict().items()}, tmp)
        tmp.replace(seed_dir / f"{name}.pt")  # atomic: a half-written file never looks finished


def _load_into(modules: dict[str, Any], seed_dir: Path) -> bool:
    """Load saved state dicts; False if any is missing (the stage has not finished)."""
    import torch

    files = {name: seed_dir / f"{name}.pt" for name in modules}
    if not all(f.exists() for f in files.values()):
        return False
    for name, mod in modules.items():
        mod.load_state_dict(torch.load(files[name], map_location="cpu", weights_only=True))
    return True


# --------------------------------------------------------------------------- training stages


def _pretrain_contrastive(recipe: Recipe, data: RunData, meta: dict, seed: int, seed_dir: Path, *, resume: bool,
                          modalities: tuple[str, ...], stage: str, loss: tuple[Callable, Callable],
                          stage_cfg: Any, similarity: dict | None = None) -> dict[str, Any]:
    """Contrastive pretraining of the encoders of ``modalities``; returns the encoders."""
    import lightning as L

    from edgehar.train.contrastive import ContrastiveModule

    L.seed_everything(seed, workers=True, verbose=False)
    encoders = {m: build.encoder(recipe, meta, m) for m in modalities}
    projections = {m: build.projection(recipe, encoders[m].out_dim) for m in modalities}
    prefix = "" if stage == "pretrain" else "similarity_"  # CMKM's frozen encoders: similarity_<m>_encoder.pt
    saved = {f"{prefix}{m}_encoder": encoders[m] for m in modalities}
    saved.update({f"{prefix}{m}_projection": projections[m] for m in modalities})
    if not _load_into(saved, seed_dir):
        module = ContrastiveModule(
            modalities=modalities, encoders=encoders, projections=projections, augments=_augments(recipe),
            loss=loss[0], val_loss=loss[1], optim=stage_cfg, similarity_encoders=similarity,
        )
        tr, va = data.splits["train"], data.splits["val"]
        train = (*(data.inputs(m, tr)[0] for m in modalities), data.labels(tr))
        val = (*(data.inputs(m, va)[0] for m in modalities), data.labels(va))
        # Validation loss is only a curve here (the last epoch is kept), so sample it sparsely.
        # Contrastive batches drop the remainder: a tiny last batch would be an easy, noisy task.
        _fit(module, recipe, stage_cfg, seed_dir, stage, train, val, resume=resume, seed=seed,
             val_every=max(1, stage_cfg.epochs // 15), drop_last=True)
        _save(saved, seed_dir)
    return encoders


def _similarity_encoders(recipe: Recipe, data: RunData, meta: dict, seed: int, seed_dir: Path,
                         *, resume: bool) -> dict[str, Any]:
    """CMKM's frozen unimodal encoders, each pretrained with SimCLR at its own settings."""
    from functools import partial as _p

    from edgehar import losses
    from edgehar.train.recipe import StageSection

    out = {}
    for m in MODALITIES:
        spec = getattr(recipe.cmkm, f"{m}_encoder")
        stage_cfg = StageSection(epochs=spec.epochs, batch_size=spec.batch_size, lr=spec.lr,
                                 weight_decay=recipe.pretrain.weight_decay, scheduler=recipe.pretrain.scheduler)
        loss = _p(losses.nt_xent, temperature=spec.temperature)
        out[m] = _pretrain_contrastive(recipe, data, meta, seed, seed_dir, resume=resume, modalities=(m,),
                                       stage=f"similarity_{m}", loss=(loss, loss), stage_cfg=stage_cfg)[m]
    return out


def _train_supervised(recipe: Recipe, data: RunData, meta: dict, seed: int, seed_dir: Path, train_idx: np.ndarray,
                      suffix: str, *, resume: bool) -> tuple[dict[str, Any], Any]:
    """End-to-end training on ``train_idx``; returns (encoders, head) with the best-on-val weights."""
    import lightning as L

    from edgehar.models import MultimodalClassifier, UnimodalClassifier
    from edgehar.train.supervised import SupervisedModule

    L.seed_everything(seed, workers=True, verbose=False)
    modality = recipe.framework.modality
    mods = MODALITIES if modality == "multimodal" else (modality,)
    encoders = {m: build.encoder(recipe, meta, m) for m in mods}
    if modality == "multimodal":
        head = build.fusion_head(recipe, encoders["imu"].out_dim, encoders["skeleton"].out_dim, data.num_classes)
        model = MultimodalClassifier(encoders["imu"], encoders["skeleton"], head)
        head_name = "fusion_head"
    else:
        head = build.linear_head(encoders[modality].out_dim, data.num_classes)
        model = UnimodalClassifier(encoders[modality], head)
        head_name = f"{modality}_head"
    saved = {f"{m}_encoder{suffix}": encoders[m] for m in mods}
    saved[f"{head_name}{suffix}"] = head
    if not _load_into(saved, seed_dir):
        augs = _augments(recipe) if recipe.augment.supervised else {}
        module = SupervisedModule(model=model, augments=[augs.get(m) for m in mods], optim=recipe.pretrain)
        va = data.splits["val"]
        train = (*data.inputs(modality, train_idx), data.labels(train_idx))
        val = (*data.inputs(modality, va), data.labels(va))
        trainer = _fit(module, recipe, recipe.pretrain, seed_dir, f"supervised{suffix}", train, val,
                       resume=resume, seed=seed, monitor_best="val_acc")
        _load_best(module, trainer)
        _save(saved, seed_dir)
    return encoders, head


# --------------------------------------------------------------------------- fine-tuning and scoring


def _features(encoders: dict[str, Any], data: RunData) -> dict[str, dict[str, Any]]:
    """Frozen-encoder features of every split, computed once: {modality: {split: (N, F)}}."""
    from edgehar.train.finetune import extract_features

    return {m: {s: extract_features(enc, data.inputs(m, data.splits[s])[0]) for s in SPLITS}
            for m, enc in encoders.items()}


def _score_head(head: Any, feats: dict[str, list[Any]], data: RunData, train_idx_pos: np.ndarray) -> dict[str, Any]:
    """Scores of ``head(*features)`` per split; the train split is the labelled subset used."""
    from edgehar.train.finetune import predict
    from edgehar.train.metrics import scores

    names = data.prepared.label_names
    out = {}
    for split in SPLITS:
        idx = data.splits[split]
        if idx.size == 0:
            continue
        rows = train_idx_pos if split == "train" else np.arange(idx.size)
        logits = predict(head, [f[rows] for f in feats[split]])
        out[split] = scores(data.prepared.labels[idx[rows]], logits.argmax(1).numpy(), names)
    return out


def _positions(indices: np.ndarray, subset: np.ndarray) -> np.ndarray:
    """Where each element of ``subset`` sits in ``indices`` (both index arrays into the dataset)."""
    order = np.argsort(indices, kind="stable")
    return order[np.searchsorted(indices, subset, sorter=order)]


def _fit_heads(recipe: Recipe, data: RunData, feats: dict[str, dict[str, Any]], seed: int, seed_dir: Path,
               percent: float, suffix: str, heads: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Fit and score the heads named in ``heads`` ('multimodal', 'imu', 'skeleton') on cached features."""
    import lightning as L
    import torch

    from edgehar.data import limited_labels
    from edgehar.train.finetune import train_head

    train_idx = limited_labels(data.prepared, data.splits["train"], percent, seed=seed, method=recipe.data.label_method)
    pos = _positions(data.splits["train"], train_idx)  # rows of the cached train features
    y_train = data.labels(train_idx)
    y_val = data.labels(data.splits["val"])
    results = {}
    for name in heads:
        mods = MODALITIES if name == "multimodal" else (name,)
        L.seed_everything(seed, verbose=False)
        if name == "multimodal":
            head = build.fusion_head(recipe, feats["imu"]["train"].shape[1], feats["skeleton"]["train"].shape[1],
                                     data.num_classes)
            file = f"fusion_head{suffix}"
        else:
            head = build.linear_head(feats[name]["train"].shape[1], data.num_classes)
            file = f"{name}_head{suffix}"
        split_feats = {s: [feats[m][s] for m in mods] for s in SPLITS}
        result = train_head(head, ([f[torch.from_numpy(pos)] for f in split_feats["train"]], y_train),
                            (split_feats["val"], y_val), recipe.finetune, seed=seed)
        _save({file: result.head}, seed_dir)
        _write_history(seed_dir / "logs" / "finetune" / f"{name}{suffix}.csv", result.history)
        results[name] = {"scores": _score_head(result.head, split_feats, data, pos), "best_epoch": result.best_epoch,
                         "head": result.head, "features": split_feats}
    return results


def _write_history(path: Path, history: list[dict[str, float]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = sorted({k for row in history for k in row}, key=lambda k: (k != "epoch", k))
    lines = [",".join(keys)] + [",".join(f"{row.get(k, '')}" for k in keys) for row in history]
    path.write_text("\n".join(lines) + "\n")


def _embedding_2d(x: np.ndarray) -> np.ndarray:
    """First two principal components (numpy SVD), for the test-set embedding map."""
    x = x - x.mean(axis=0, keepdims=True)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    return x @ vt[:2].T


def _fused(head: Any, feats: list[Any]) -> Any:
    """The fusion head's representation before its classifier (what it separates classes in)."""
    import torch

    head.eval()
    with torch.no_grad():
        return torch.cat([branch(f) for branch, f in zip(head.branches, feats)], dim=1)


def _train_seed(recipe: Recipe, data: RunData, meta: dict, seed: int, seed_dir: Path, *, resume: bool) -> dict | None:
    """All stages of one seed; returns {evaluation: record} on rank 0, None on other ranks."""
    scores_file = seed_dir / "scores.json"
    if resume and scores_file.exists():
        return json.loads(scores_file.read_text())
    fw, modality = recipe.framework.name, recipe.framework.modality
    percents = sorted(recipe.data.label_percents, reverse=True)
    main = percents[0]
    evaluations: dict[str, Any] = {}
    embedding = None

    def record(name: str, percent: float, head_name: str, scores_: dict, best_epoch: int | None) -> None:
        evaluations[name] = {"head": head_name, "label_percent": percent, "best_epoch": best_epoch,
                             "splits": scores_}

    if fw == "supervised":
        from edgehar.data import limited_labels

        for percent in percents:
            suffix = _suffix(percent, main)
            train_idx = limited_labels(data.prepared, data.splits["train"], percent, seed=seed,
                                       method=recipe.data.label_method)
            encoders, head = _train_supervised(recipe, data, meta, seed, seed_dir, train_idx, suffix, resume=resume)
            if not is_global_zero():
                continue
            feats = _features(encoders, data)
            mods = MODALITIES if modality == "multimodal" else (modality,)
            split_feats = {s: [feats[m][s] for m in mods] for s in SPLITS}
            pos = _positions(data.splits["train"], train_idx)
            record(f"{modality}{suffix}", percent, modality, _score_head(head, split_feats, data, pos), None)
            if percent == main:
                embedding = _fused(head, split_feats["test"]) if modality == "multimodal" else split_feats["test"][0]
                if modality == "multimodal":  # linear probes on the trained encoders: export's IMU teacher
                    for name, res in _fit_heads(recipe, data, feats, seed, seed_dir, main, "",
                                                MODALITIES).items():
                        record(name, main, name, res["scores"], res["best_epoch"])
    else:
        similarity = _similarity_encoders(recipe, data, meta, seed, seed_dir, resume=resume) if fw == "cmc_cmkm" else None
        mods = MODALITIES if fw in MULTIMODAL_SSL else (modality,)
        encoders = _pretrain_contrastive(recipe, data, meta, seed, seed_dir, resume=resume, modalities=mods,
                                         stage="pretrain", loss=_losses(recipe), stage_cfg=recipe.pretrain,
                                         similarity=similarity)
        if not is_global_zero():
            return None
        feats = _features(encoders, data)
        heads = ("multimodal", *MODALITIES) if fw in MULTIMODAL_SSL else (modality,)
        for percent in percents:
            suffix = _suffix(percent, main)
            for name, res in _fit_heads(recipe, data, feats, seed, seed_dir, percent, suffix, heads).items():
                record(f"{name}{suffix}", percent, name, res["scores"], res["best_epoch"])
                if percent == main and name == main_evaluation(recipe):
                    test = res["features"]["test"]
                    embedding = _fused(res["head"], test) if name == "multimodal" else test[0]
    if not is_global_zero():
        return None
    if embedding is not None:
        test_idx = data.splits["test"]
        np.savez(seed_dir / "embedding_test.npz", xy=_embedding_2d(embedding.cpu().numpy().astype(np.float64)),
                 labels=data.prepared.labels[test_idx])
    seed_dir.mkdir(parents=True, exist_ok=True)
    tmp = seed_dir / ".scores.json.tmp"
    tmp.write_text(json.dumps(evaluations, indent=1))
    tmp.replace(scores_file)
    return evaluations


# --------------------------------------------------------------------------- the run


def _prepare_out(out: Path, resume: bool) -> None:
    if out.exists() and any(out.iterdir()) and not resume:
        raise EdgeharError(f"{out} already holds a run; pass --resume to continue it or choose another --out")
    if resume and out.exists() and (out / "config.yaml").exists():
        return
    out.mkdir(parents=True, exist_ok=True)


def check_resume_config(recipe: Recipe, out: Path) -> None:
    """Refuse to resume a run with a different recipe (its checkpoints would not match)."""
    saved = out / "config.yaml"
    if saved.exists():
        old = yaml.safe_load(saved.read_text())
        new = recipe.to_dict()
        for k in ("seeds",):
            old.pop(k, None), new.pop(k, None)
        if old != new:
            raise EdgeharError(f"{out}: --resume needs the recipe the run was started with ({saved} differs)")


def build_metrics(recipe: Recipe, data: RunData, per_seed: dict[int, dict]) -> dict[str, Any]:
    """metrics.json: every evaluation per seed and summarised over seeds."""
    from edgehar.train.metrics import summarize

    names = list(next(iter(per_seed.values())).keys()) if per_seed else []
    evaluations = {}
    for name in names:
        runs = {str(s): ev[name]["splits"] for s, ev in per_seed.items() if name in ev}
        first = next(ev[name] for ev in per_seed.values() if name in ev)
        evaluations[name] = {
            "head": first["head"],
            "label_percent": first["label_percent"],
            "summary": summarize(runs),
            "per_seed": runs,
        }
    return {
        "framework": recipe.framework.name,
        "modality": recipe.framework.modality,
        "main": main_evaluation(recipe),
        "dataset": data.prepared.name,
        "protocol": data.protocol,
        "seeds": sorted(per_seed),
        "evaluations": evaluations,
    }


def train_run(recipe: Recipe, out: Path, *, resume: bool = False, log: Callable[[str], None] = print) -> Path:
    """Run the whole recipe into the run directory ``out`` and return it."""
    import torch

    if recipe.trainer.num_threads:
        torch.set_num_threads(recipe.trainer.num_threads)
    writer = is_global_zero()
    if writer and resume:
        check_resume_config(recipe, out)
    data = load_run_data(recipe.data)  # before creating anything: a bad data folder leaves no debris
    meta = data.meta()
    if writer:
        _prepare_out(out, resume)
        (out / "config.yaml").write_text(yaml.safe_dump(recipe.to_dict(), sort_keys=False))
        run_meta = {
            "edgehar_version": __version__,
            "git_commit": _git_commit(),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "framework": recipe.framework.name,
            "modality": recipe.framework.modality,
            "seeds": list(recipe.seeds),
            "main_evaluation": main_evaluation(recipe),
            "dataset": meta,
            "normalization": data.standardizer.to_dict(),
            "inputs": "IMU (N, C, L) standardised with normalization; skeleton (N, D, L, J) as prepared",
        }
        (out / "run.json").write_text(json.dumps(run_meta, indent=1))
        log(f"{recipe.name}: {recipe.framework.name} ({recipe.framework.modality}) on {meta['name']} "
            f"[{data.protocol}: {meta['split_sizes']}], seeds {list(recipe.seeds)} -> {out}")
        from edgehar.train.engine import resolve_accelerator, resolve_precision

        accelerator = resolve_accelerator(recipe.trainer)
        log(f"engine: {accelerator}, precision {resolve_precision(recipe.trainer, accelerator)}, "
            f"strategy {recipe.trainer.strategy}, {torch.get_num_threads()} CPU thread(s)")
    per_seed: dict[int, dict] = {}
    for seed in recipe.seeds:
        result = _train_seed(recipe, data, meta, seed, out / f"seed_{seed}", resume=resume)
        if result is not None:
            per_seed[seed] = result
            main = result.get(main_evaluation(recipe), {}).get("splits", {}).get("test", {})
            if main:
                log(f"seed {seed}: test accuracy {main['accuracy']:.4f}, macro F1 {main['macro_f1']:.4f}")
    if writer:
        metrics = build_metrics(recipe, data, per_seed)
        (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
        from edgehar.train.plots import plot_run

        plot_run(out, metrics, data.prepared.label_names)
    return out
