"""Resampling methods, the preprocessing config, and the torch-free data package."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from pydantic import ValidationError
from scipy.signal import resample as fft_resample

from edgehar.data import PreprocessConfig
from edgehar.data.preprocess import prepare, resample
from edgehar.data.sample import ImuSeries, RawDataset, Sample
from edgehar.errors import EdgeharError


@pytest.mark.parametrize("method", ["fft", "polyphase", "linear"])
@pytest.mark.parametrize("n", [37, 50, 181, 326])
def test_resample_lengths_and_constants(method, n):
    x = np.full((n, 4), 3.25)
    y = resample(x, 50, method, axis=0)
    assert y.shape == (50, 4)
    np.testing.assert_allclose(y, 3.25, rtol=1e-3 if method == "polyphase" else 1e-9)  # FIR ripple


def test_fft_is_scipy_and_linear_is_exact_on_ramps():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 160, 2))
    np.testing.assert_allclose(resample(x, 50, "fft", axis=1), fft_resample(x, 50, axis=1))
    ramp = np.linspace(-1.0, 4.0, 123)[:, None]
    np.testing.assert_allclose(resample(ramp, 50, "linear"), np.linspace(-1.0, 4.0, 50)[:, None], atol=1e-12)


def test_polyphase_avoids_fft_wraparound_ringing():
    """A clip that ends somewhere else than it starts (stand up): FFT assumes periodicity and rings."""
    step = np.linspace(0.0, 1.0, 200)[:, None]
    fft_err = np.abs(resample(step, 50, "fft") - np.linspace(0, 1, 50)[:, None]).max()
    poly_err = np.abs(resample(step, 50, "polyphase") - np.linspace(0, 1, 50)[:, None])[2:-2].max()
    assert fft_err > 0.2 and poly_err < 0.05


def test_config_is_strict():
    with pytest.raises(ValidationError, match="lenght"):
        PreprocessConfig(lenght=30)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="resample"):
        PreprocessConfig(resample="cubic")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="different joints"):
        PreprocessConfig(scale_joints=(1, 1))
    assert PreprocessConfig().length == 50 and PreprocessConfig().resample == "fft"


def _raw(samples: list[Sample]) -> RawDataset:
    return RawDataset(name="t", layout="recordings", samples=samples, label_names=("a",), imu_channels=("x", "y"),
                      imu_units=("g", "g"), imu_rate_hz=10.0)


def test_prepare_checks_consistency():
    good = Sample(label=0, label_name="a", source="one.csv", imu=ImuSeries(np.ones((20, 2)), 10.0, ("x", "y"), ("g", "g")))
    ds = prepare(_raw([good]), PreprocessConfig(length=8))
    assert ds.imu.shape == (1, 2, 8) and ds.skeleton is None and ds.durations_s[0] == 2.0
    odd = Sample(label=0, label_name="a", source="three.csv",
                 imu=ImuSeries(np.ones((20, 3)), 10.0, ("x", "y", "z"), ("g",) * 3))
    with pytest.raises(EdgeharError, match="three.csv: 3 IMU channels, dataset has 2"):
        prepare(_raw([good, odd]), PreprocessConfig())
    with pytest.raises(EdgeharError, match="has no samples"):
        prepare(_raw([]), PreprocessConfig())


def test_data_package_does_not_import_torch():
    code = ("import sys, edgehar.data, edgehar.data.recording, edgehar.cli.datasets; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
