"""The paper's claims, recomputed from a release folder's files: `claims.json` and report.md's "Paper claims".

    ruqtopics claims RELEASE_DIR

Reads each model repository's `training_args.json` and `test_predictions.parquet` (`hub/<name>/`), the MASSIVE
results (`massive/<name>/results.csv`), the correlation analysis (`analysis/<name>/`) and the paper's numbers
with their provenance (`ruqtopics_kit/data/paper_claims.json`). Writes:

- the grid as the paper's Table 3: backbone x text mode (single_label models), accuracy on the test split with
  Clopper-Pearson's interval and macro-F1 with a percentile-bootstrap one over the test questions;
- paired comparisons on the same test questions, matched by id (different test sets are refused): per
  backbone, question vs answer and question vs question_answer; per text mode, the full backbone vs each of
  its distilled ones. The difference in accuracy with Newcombe's paired interval, in macro-F1 with a paired
  bootstrap interval, and McNemar's exact p-value (`ruqtopics_kit.statistics`);
- six-class accuracy (massive_aligned models) on MASSIVE ru-RU and on the dataset's test split, and the Russian
  backbones' six-class models compared pairwise on the same ru-RU utterances (`massive/<name>/predictions.parquet`);
- the analysis' Spearman and partial Spearman correlations over the paper's 51 locales;
- with several training seeds per config (`grid --seeds N`): each comparison per seed, the verdict across seeds
  (agreement: `supports`/`contradicts` only when every seed says so), mean and spread; with one seed, the report
  says that training variance is not covered;
- one row per model and claim, and one overall row per claim: the paper's number, the run's, and a verdict:
  `supports`, `contradicts`, `inconclusive` (the run's data cannot tell), `cannot test`, or, for a release made
  from the synthetic sample, `cannot test (synthetic sample)`; each with why. The rule of each kind of claim and
  the family each claim controls are in claims.json's `method` (`verdicts.RULES`, paper_claims.json's `family`).

The parts: `inputs` (what is read, and the paper's numbers), `models` (the grid's cells), `scores` (scores and
paired comparisons), `verdicts` (one rule per kind of claim), `seeds` (per-seed comparisons and the verdict across
seeds), `massive_claims` (the Russian backbones paired on the same MASSIVE ru-RU utterances), `grid_claims` and
`correlation_claims` (the rows of each claim), `rendering` (the report's section) and `command`
(`write_claims`; the command line is `ruqtopics_kit.cli.release`).
"""

from ruqtopics_kit.release.claims.command import write_claims

__all__ = ["write_claims"]
