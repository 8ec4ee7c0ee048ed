"""How a run's numbers are read against a claim: one rule per kind of claim, each returning a verdict and why."""

from __future__ import annotations

from ruqtopics_kit.release.claims.inputs import paper

SUPPORTS, CONTRADICTS, INCONCLUSIVE, CANNOT_TEST = "supports", "contradicts", "inconclusive", "cannot test"


def claim_row(claim: str, subject: str, verdict: str, why: str, *, paper_value: object = None,
              run_value: float | None = None, interval: list[float] | None = None,
              p_value: float | None = None) -> dict:
    return {"claim": claim, "statement": paper()["claims"][claim]["statement"], "subject": subject,
            "paper": paper_value, "run": run_value, "run_interval": interval, "p_value": p_value,
            "verdict": verdict, "why": why}


def band_verdict(value: float, interval: list[float], low: float, high: float) -> tuple[str, str]:
    if low <= value <= high:
        return SUPPORTS, f"{value:.3f} is within {low:.2f}-{high:.2f}"
    if interval[1] < low or interval[0] > high:
        return CONTRADICTS, f"the 95% interval {interval[0]:.3f}-{interval[1]:.3f} lies outside {low:.2f}-{high:.2f}"
    return INCONCLUSIVE, f"{value:.3f} is outside {low:.2f}-{high:.2f} but its 95% interval reaches into it"


def better_verdict(difference: float, p_value: float, n: int, alpha: float) -> tuple[str, str]:
    """A claims that a is better than b: McNemar's exact test decides, the sign says which way."""
    if p_value >= alpha:
        return INCONCLUSIVE, f"McNemar p {p_value:.3g} >= {alpha}: no difference these {n} test questions can detect"
    if difference > 0:
        return SUPPORTS, f"higher accuracy, McNemar p {p_value:.3g} < {alpha}"
    return CONTRADICTS, f"lower accuracy, McNemar p {p_value:.3g} < {alpha}"


def margin_verdict(interval: list[float], margin: float) -> tuple[str, str]:
    """A gap claimed to be under `margin`: the interval of the gap decides."""
    if interval[1] < margin:
        return SUPPORTS, f"the 95% interval of the gap lies below {margin}"
    if interval[0] > margin:
        return CONTRADICTS, f"the 95% interval of the gap lies above {margin}"
    return INCONCLUSIVE, f"the 95% interval of the gap contains {margin}"


def correlation_verdict(claim: str, row: dict, alpha: float) -> tuple[str, str]:
    if claim == "size_correlation":
        significant = row["p_value"] < alpha and row["rho"] > 0
        return SUPPORTS if significant else CONTRADICTS, f"rho {row['rho']:.3f}, p {row['p_value']:.3g}, n {row['n']}"
    verdict = SUPPORTS if row["p_value"] >= alpha else CONTRADICTS
    return verdict, f"p {row['p_value']:.3g} {'>=' if verdict == SUPPORTS else '<'} {alpha}"
