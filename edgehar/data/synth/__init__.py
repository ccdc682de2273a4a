"""Synthetic paired IMU + skeleton dataset with real physics: the embedded default of edgehar.

A simulated body performs parametric activities; the skeleton (as a Kinect sees it) and a wrist
or thigh IMU (as a MEMS part measures it) are both sampled from the same motion, so the two
modalities agree the way contrastive pretraining needs them to.
"""

from edgehar.data.synth.activities import ACTIVITIES
from edgehar.data.synth.trial import SynthTrial, generate_trial
from edgehar.data.synth.writer import DEFAULT_TRIALS, GENERATOR_VERSION, default_dataset_dir, write_synthetic_dataset

__all__ = ["ACTIVITIES", "DEFAULT_TRIALS", "GENERATOR_VERSION", "SynthTrial", "default_dataset_dir", "generate_trial",
           "write_synthetic_dataset"]
