"""Backbones and classifiers: the paper's backbone registry, loading a model, the tiny test backbone."""
