"""The options of a MASSIVE evaluation (`EvaluationConfig`), without torch: the command line
(`ruqtopics_kit.cli.massive`) reads their defaults, and the release passes them on."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, fields

from ruqtopics_kit.core.errors import InvalidParameterError, check_choice
from ruqtopics_kit.core.randomness import DEFAULT_SEED
from ruqtopics_kit.facts.mappings import DEFAULT_MAPPING
from ruqtopics_kit.massive.locales import check_locales
from ruqtopics_kit.massive.records import SPLITS
from ruqtopics_kit.massive.scoring import SCORES

PRECISIONS = ("auto", "float32", "bfloat16")


def check_precision(precision: str) -> str:
    return check_choice("dtype", precision, PRECISIONS)


@dataclass(frozen=True)
class EvaluationConfig:
    model: str  # model folder (train.py output) or Hub model id
    massive: str  # official archive, its folder, a Hub-copy folder, or a Hub dataset id
    output_dir: str
    locales: str | Sequence[str] = "all"  # "all": every locale of the copy; or codes ("ru-RU,en-US" or a list)
    split: str = "test"  # MASSIVE partition: test | dev | train (test: INFERRED, the paper does not say)
    mapping: str = DEFAULT_MAPPING  # bundled mapping name or a JSON file
    score: str = "restricted"  # the main score: argmax over the mapped classes' logits, or over all (`full`)
    batch_size: int = 64
    max_length: int = 128  # tokens after truncation; MASSIVE utterances are far shorter
    bootstrap: int = 10_000  # resamples for the 95% interval of macro-F1 (accuracy's is Clopper-Pearson's)
    seed: int = DEFAULT_SEED  # with the locale, seeds each locale's bootstrap
    device: str = "auto"  # auto (CUDA when available), cpu, cuda, cuda:N
    dtype: str = "auto"  # autocast: auto (bf16 where native, else float32), float32 or bfloat16
    overwrite_output_dir: bool = False
    update_model_card: bool = False  # add per-locale accuracies to the model folder's README.md
    progress: bool = True

    def __post_init__(self):
        for name, minimum in (("batch_size", 1), ("max_length", 4), ("bootstrap", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
                raise InvalidParameterError(f"{name} must be an integer >= {minimum}; got {value!r}")
        check_precision(self.dtype)
        check_choice("split", self.split, SPLITS)
        check_choice("score", self.score, SCORES)
        self.locale_list  # noqa: B018 - validates the locale codes

    @property
    def locale_list(self) -> list[str] | None:
        """The requested locale codes, or None for every locale of the copy."""
        codes = self.locales.split(",") if isinstance(self.locales, str) else list(self.locales)
        codes = [code.strip() for code in codes if code.strip()]
        if codes == ["all"]:
            return None
        if not codes:
            raise InvalidParameterError(f"locales must be 'all' or locale codes such as 'ru-RU,en-US'; "
                                        f"got {self.locales!r}")
        return check_locales(codes)


def locale_codes(value: str) -> str | tuple[str, ...]:
    """`--locales`: 'all', or the codes of a comma-separated list (checked by `EvaluationConfig`). A list, so that
    a config file's YAML list of locales is taken as the list it is (`core/config_files.py`)."""
    codes = tuple(code.strip() for code in value.split(",") if code.strip())
    if not codes:
        raise argparse.ArgumentTypeError(f"expected 'all' or locale codes such as ru-RU,en-US; got {value!r}")
    return "all" if value.strip() == "all" else codes  # "all," too: EvaluationConfig reads ("all",) as all


def default_of(option: str):
    """The default of an `EvaluationConfig` option: what the command line and the release offer too."""
    return next(spec.default for spec in fields(EvaluationConfig) if spec.name == option)
