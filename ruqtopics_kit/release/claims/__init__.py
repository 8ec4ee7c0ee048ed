"""The paper's claims, recomputed from a release folder's files: `claims.json` and report.md's "Paper claims".

    ruqtopics claims RELEASE_DIR

Reads each model repository's `training_args.json` and `test_predictions.parquet` (`hub/<name>/`), the MASSIVE
results (`massive/<name>/results.csv`), the correlation analysis (`analysis/<name>/`) and the paper's numbers
with their provenance (`ruqtopics_kit/data/paper_claims.json`). Writes:

- the grid as the paper's Table 3: backbone x text mode (single_label models), accuracy and macro-F1 on the
  test split with 95% percentile-bootstrap intervals over the test questions;
- paired comparisons on the same test questions, matched by id (different test sets are refused): per
  backbone, question vs answer and question vs question_answer; per text mode, the full backbone vs each of
  its distilled ones. The difference in accuracy and in macro-F1 with a paired bootstrap interval, and
  McNemar's exact p-value: a two-sided binomial test on the questions that exactly one of the two models
  gets right;
- six-class accuracy (massive_aligned models) on MASSIVE ru-RU and on the dataset's test split, and the Russian
  backbones' six-class models compared pairwise on the same ru-RU utterances (`massive/<name>/predictions.parquet`);
- the Spearman correlations of the analysis (size and each distance from Russian);
- with several training seeds per config (`grid --seeds N`): each comparison per seed, the verdict across seeds
  (agreement: `supports`/`contradicts` only when every seed says so), mean and spread; with one seed, the report
  says that training variance is not covered;
- one row per claim: the paper's number, the run's, and a verdict: `supports`, `contradicts`, `inconclusive`
  (the run's data cannot tell at their size) or `cannot test`, each with why.

The parts: `inputs` (what is read, and the paper's numbers), `models` (the grid's cells), `scores` (scores and
paired comparisons), `verdicts` (one rule per kind of claim), `seeds` (per-seed comparisons and the verdict across
seeds), `massive_claims` (the Russian backbones paired on the same MASSIVE ru-RU utterances), `grid_claims` and
`correlation_claims` (the rows of each claim), `rendering` (the report's section) and `command` (the command).
"""

from ruqtopics_kit.release.claims.command import main, write_claims

__all__ = ["main", "write_claims"]
