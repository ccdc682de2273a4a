"""edgehar: multimodal contrastive human activity recognition, from pretraining to the wrist."""

__version__ = "0.1.0"
