"""The paper the kit releases data and models for: its one citation and its page, used by the dataset builder
and cards, the model cards, the `evaluate` metric module (which imports it) and the README (a copy that a test
holds equal).
"""

PAPER_URL = "https://arxiv.org/abs/2306.07797"

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
