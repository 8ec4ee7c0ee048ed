"""Shared pieces of the RuQTopics release kit: labels, raw data, text modes, modelling, metrics, cards.

The top-level scripts (`ruqtopics.py`, `train.py`, `evaluate_massive.py`, `python -m analysis`) are thin
entry points over this package.
"""

__version__ = "0.1.0"  # the one place: pyproject.toml reads it (setuptools dynamic version)
