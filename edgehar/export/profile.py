"""Export profiles: what to ship for a class of device, as YAML in the top-level ``export/`` folder.

A profile names the model (distilled student or the run's IMU encoder), the precisions and file
formats, the student's size, the distillation settings, and the device's limits (flash for the
model file, RAM for the tensor arena) that the report checks. ``--set key=value`` overrides any
key, as for training recipes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edgehar.errors import EdgeharError

PROFILE_DIR = Path(__file__).resolve().parents[2] / "export"
DEFAULT_PROFILE = "mcu-256k"
FORMATS = ("tflite", "onnx", "c")
MIN_CALIBRATION_WINDOWS = 200

# Mild, physically plausible perturbations of a standardised wrist signal: the student should
# become robust to sensor noise, gain and mounting angle, not to shuffled axes or time.
DEFAULT_DISTILL_AUGMENT: dict[str, dict[str, Any]] = {
    "jitter": {"p": 0.8, "sigma": 0.05},
    "scaling": {"p": 0.8, "sigma": 0.1},
    "rotation": {"p": 0.5, "max_angle_deg": 15.0},
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StudentSection(_Section):
    width: float = Field(1.0, gt=0.0, le=8.0, description="multiplies every channel count")
    depth: int = Field(3, ge=1, le=7, description="number of strided conv blocks")
    kernel_size: int = Field(5, ge=1, le=31)
    dropout: float = Field(0.1, ge=0.0, lt=1.0)


class DistillSection(_Section):
    teacher: Literal["multimodal", "imu"] = "multimodal"
    alpha: float = Field(0.7, ge=0.0, le=1.0, description="weight of the KL term; 1 - alpha weighs cross-entropy")
    temperature: float = Field(4.0, gt=0.0)
    consistent: bool = Field(
        True, description="the teacher sees the student's augmented IMU window (else: clean targets computed once)"
    )
    epochs: int = Field(300, ge=1)
    batch_size: int = Field(64, ge=1)
    lr: float = Field(3e-3, gt=0.0)
    weight_decay: float = Field(1e-4, ge=0.0)
    augment: dict[str, dict[str, Any]] | None = Field(default_factory=lambda: dict(DEFAULT_DISTILL_AUGMENT))
    seed: int = 0


class LimitsSection(_Section):
    max_file_bytes: int | None = Field(None, ge=1, description="flash budget for the int8 model file")
    max_arena_bytes: int | None = Field(None, ge=1, description="RAM budget for the TFLM tensor arena")


class ExportProfile(_Section):
    name: str = DEFAULT_PROFILE
    description: str = ""
    model: Literal["student", "encoder"] = "student"
    precisions: list[Literal["float32", "float16", "int8"]] = Field(default_factory=lambda: ["int8"])
    formats: list[Literal["tflite", "onnx", "c"]] = Field(default_factory=lambda: ["tflite", "c"])
    calibration_windows: int = Field(256, ge=MIN_CALIBRATION_WINDOWS)
    hop_seconds: float = Field(0.5, gt=0.0, description="default hop written into the model card")
    latency_runs: int = Field(300, ge=10)
    student: StudentSection = Field(default_factory=StudentSection)
    distill: DistillSection = Field(default_factory=DistillSection)
    limits: LimitsSection = Field(default_factory=LimitsSection)


def _set_key(data: dict[str, Any], dotted: str, raw: str) -> None:
    keys = dotted.split(".")
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise EdgeharError(f"--set {dotted}: '{key}' is not a section")
    node[keys[-1]] = yaml.safe_load(raw)


def load_profile(name_or_path: str | Path | None, overrides: list[str] = ()) -> ExportProfile:
    """A profile by name (``export/<name>.yaml``) or path, with ``key=value`` overrides applied."""
    ref = str(name_or_path or DEFAULT_PROFILE)
    path = Path(ref)
    if not path.suffix:
        path = PROFILE_DIR / f"{ref}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PROFILE_DIR.glob("*.yaml")))
        raise EdgeharError(f"export profile {ref}: not found (known profiles: {known or 'none'})")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise EdgeharError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
    for item in overrides:
        if "=" not in item:
            raise EdgeharError(f"--set {item}: expected key=value")
        key, value = item.split("=", 1)
        _set_key(data, key.strip(), value)
    try:
        return ExportProfile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise EdgeharError(f"{path}: {where}: {err['msg']}") from None
