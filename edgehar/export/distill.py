"""Knowledge distillation of a trained run into the IMU-only edge student.

Loss per batch: ``alpha * T^2 * KL(softmax(teacher/T) || softmax(student/T)) + (1 - alpha) * CE``.
The default teacher is the run's fine-tuned multimodal classifier, which saw the skeleton as well
as the IMU: the wrist model learns from what the camera saw (cross-modal distillation). The
alternative teacher is the IMU encoder with its linear head.

By default the teaching is consistent: the teacher scores the very augmented IMU window the
student sees (with the clip's clean skeleton), so every epoch brings new soft targets. The teacher
fits its own training windows perfectly; on clean windows its targets are nearly one-hot and add
little to the labels, while on perturbed windows they carry what it knows about similar classes
(UTD-MHAD cross-subject, seed-0 supervised multimodal teacher: validation accuracy 81.5 % with
consistent teaching against 79.6 % with clean targets computed once, ``consistent: false``, which
is about 20x cheaper). The epoch kept is the one with the best validation accuracy when the
protocol has a validation split, otherwise the last.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from edgehar.errors import EdgeharError
from edgehar.export.profile import DistillSection, StudentSection

STUDENT_FILE = "student.pt"
STUDENT_META = "student.json"


@dataclass
class DistillResult:
    """The trained student and what to know about how it was made."""

    student: Any
    config: dict[str, Any]
    teacher: str
    seed: int
    best_epoch: int
    history: list[dict[str, float]] = field(default_factory=list)
    teacher_scores: dict[str, dict[str, float]] = field(default_factory=dict)
    student_scores: dict[str, dict[str, float]] = field(default_factory=dict)

    def save(self, out: Path) -> None:
        import torch

        out.mkdir(parents=True, exist_ok=True)
        torch.save(self.student.state_dict(), out / STUDENT_FILE)
        meta = {k: v for k, v in asdict(self).items() if k != "student"}
        (out / STUDENT_META).write_text(json.dumps(meta, indent=1))


def load_student(folder: Path) -> DistillResult:
    """A student saved by :meth:`DistillResult.save` (``edgehar distill``)."""
    import torch

    from edgehar.models.edge_student import EdgeStudent, EdgeStudentConfig

    meta_path, state_path = folder / STUDENT_META, folder / STUDENT_FILE
    if not meta_path.is_file() or not state_path.is_file():
        raise EdgeharError(f"{folder}: no distilled student ({STUDENT_META} and {STUDENT_FILE}); run `edgehar distill`")
    meta = json.loads(meta_path.read_text())
    student = EdgeStudent(EdgeStudentConfig(**meta["config"]))
    student.load_state_dict(torch.load(state_path, map_location="cpu", weights_only=True))
    return DistillResult(student=student.eval(), **meta)


def teacher_model(run: Any, kind: str, seed: int) -> tuple[Any, str]:
    """The teacher module and the input modality it takes ('multimodal' or 'imu')."""
    if kind == "multimodal":
        if not run.dataset.get("skeleton_shape"):
            raise EdgeharError(f"{run.path}: the run's dataset has no skeleton; use --teacher imu")
        return run.multimodal_classifier(seed), "multimodal"
    return run.imu_classifier(seed), "imu"


def predict_logits(model: Any, inputs: tuple[Any, ...], batch_size: int = 256) -> np.ndarray:
    """Logits of ``model`` on tensors ``inputs`` (sharing dim 0), batched, without gradients."""
    import torch

    n = inputs[0].shape[0]
    out = []
    with torch.no_grad():
        for start in range(0, n, batch_size):
            out.append(model(*(x[start : start + batch_size] for x in inputs)).float())
    return torch.cat(out).numpy() if out else np.zeros((0, 0), np.float32)


def kd_loss(student_logits, teacher_logits, labels, alpha: float, temperature: float):
    """``alpha * T^2 * KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) * CE(s, y)``, batch mean.

    The T^2 factor keeps the soft term's gradients on the scale of the hard term's as T grows.
    """
    import torch.nn.functional as F

    kl = F.kl_div(
        F.log_softmax(student_logits / temperature, dim=1),
        F.log_softmax(teacher_logits / temperature, dim=1),
        reduction="batchmean",
        log_target=True,
    )
    return alpha * temperature**2 * kl + (1.0 - alpha) * F.cross_entropy(student_logits, labels)


def _accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float((logits.argmax(1) == labels).mean()) if len(labels) else float("nan")


def distill(
    run: Any,
    data: Any,
    seed: int,
    student_cfg: StudentSection,
    cfg: DistillSection,
    log: Callable[[str], None] = lambda msg: None,
) -> DistillResult:
    """Train an :class:`EdgeStudent` on ``data`` (the run's ``RunData``) from the run's teacher."""
    import torch

    from edgehar.models.edge_student import EdgeStudent, EdgeStudentConfig
    from edgehar.train.metrics import scores
    from edgehar.transforms import build_imu_augment

    teacher, modality = teacher_model(run, cfg.teacher, seed)
    splits = {k: v for k, v in data.splits.items() if len(v)}
    labels = {k: data.prepared.labels[v].astype(np.int64) for k, v in splits.items()}
    teacher_logits = {k: predict_logits(teacher, data.inputs(modality, v)) for k, v in splits.items()}
    names = list(data.prepared.label_names)
    teacher_scores = {
        k: {m: scores(labels[k], t.argmax(1), names)[m] for m in ("accuracy", "macro_f1")}
        for k, t in teacher_logits.items()
    }
    log(f"teacher ({cfg.teacher}, seed {seed}): " + ", ".join(f"{k} acc {v['accuracy']:.4f}" for k, v in teacher_scores.items()))

    torch.manual_seed(cfg.seed)
    generator = torch.Generator().manual_seed(cfg.seed)
    imu = {k: data.imu(v) for k, v in splits.items()}
    c, length = imu["train"].shape[1:]
    config = EdgeStudentConfig(
        in_channels=int(c), num_classes=len(names), window_steps=int(length), **student_cfg.model_dump()
    )
    student = EdgeStudent(config)
    augment = build_imu_augment(cfg.augment)
    optimizer = torch.optim.AdamW(student.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=cfg.lr, total_steps=cfg.epochs * -(-len(splits["train"]) // cfg.batch_size)
    )
    x_train, y_train = imu["train"], torch.from_numpy(labels["train"])
    teacher_train = torch.from_numpy(teacher_logits["train"])
    teacher_extra = data.inputs(modality, splits["train"])[1:]  # the skeleton, for a multimodal teacher
    best: tuple[float, int, dict] | None = None
    history: list[dict[str, float]] = []
    for epoch in range(1, cfg.epochs + 1):
        student.train()
        order = torch.randperm(len(x_train), generator=generator)
        total = 0.0
        for start in range(0, len(order), cfg.batch_size):
            idx = order[start : start + cfg.batch_size]
            x = augment(x_train[idx], generator)
            if cfg.consistent:
                with torch.no_grad():
                    targets = teacher(x, *(extra[idx] for extra in teacher_extra))
            else:
                targets = teacher_train[idx]
            logits = student(x)
            loss = kd_loss(logits, targets, y_train[idx], cfg.alpha, cfg.temperature)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss.detach()) * len(idx)
        student.eval()
        row = {"epoch": epoch, "loss": total / len(order)}
        if "val" in imu:
            row["val_accuracy"] = _accuracy(predict_logits(student, (imu["val"],)), labels["val"])
        history.append(row)
        score = row.get("val_accuracy", float(epoch))
        if best is None or score > best[0] or "val" not in imu:
            best = (score, epoch, copy.deepcopy(student.state_dict()))
        if epoch % max(1, cfg.epochs // 10) == 0 or epoch == cfg.epochs:
            log(f"distill epoch {epoch}/{cfg.epochs}: loss {row['loss']:.4f}"
                + (f", val acc {row['val_accuracy']:.4f}" if "val_accuracy" in row else ""))
    assert best is not None
    student.load_state_dict(best[2])
    student.eval()
    student_scores = {
        k: {m: scores(labels[k], predict_logits(student, (x,)).argmax(1), names)[m] for m in ("accuracy", "macro_f1")}
        for k, x in imu.items()
    }
    log(f"student (epoch {best[1]}): " + ", ".join(f"{k} acc {v['accuracy']:.4f}" for k, v in student_scores.items()))
    return DistillResult(
        student=student,
        config=asdict(config),
        teacher=cfg.teacher,
        seed=seed,
        best_epoch=best[1],
        history=history,
        teacher_scores=teacher_scores,
        student_scores=student_scores,
    )
