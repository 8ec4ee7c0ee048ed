"""The paper the kit releases data and models for: its one citation and its page, used by the dataset builder
and cards, the model cards, the `evaluate` metric module (which imports it) and the README (a copy that a test
holds equal); and its numbers with their provenance (`data/paper_claims.json`), which the claims are checked
against.
"""

import json
from functools import lru_cache

from ruqtopics_kit.core.resources import package_path

PAPER_CLAIMS_NAME = "ruqtopics_kit/data/paper_claims.json"  # as published in claims.json: no local path
PAPER_CLAIMS_FILE = package_path("data", "paper_claims.json")

PAPER_URL = "https://arxiv.org/abs/2306.07797"
PAPER_TAG = "arxiv:" + PAPER_URL.rsplit("/", 1)[1]  # a card tag: the Hub links the repository to the paper's page

CITATION = """\
@article{karpov2023ruqtopics,
  title   = {Monolingual and Cross-Lingual Knowledge Transfer for Topic Classification},
  author  = {Karpov, Dmitry and Burtsev, Mikhail},
  journal = {Zapiski Nauchnykh Seminarov POMI},
  volume  = {529},
  pages   = {54--71},
  year    = {2023},
  note    = {arXiv:2306.07797}
}
"""


@lru_cache(maxsize=1)
def paper_claims() -> dict:
    """The paper's numbers: its claims, the backbones' roles, the decision rule, their provenance."""
    return json.loads(PAPER_CLAIMS_FILE.read_text(encoding="utf-8"))
