"""How a run's numbers are read against a claim: one rule per kind of claim, one rule per family of rows.

Kinds (each claim's `kind` in paper_claims.json; `RULES` says them in words, claims.json's `method` repeats them):

- `estimate`: the paper gives a value (about 85%; rho 0.773) with a documented band around it;
- `better`: a is better than b (McNemar's exact test; a non-significant difference is never a contradiction);
- `margin`: a gap claimed under a margin (the interval of the gap against the margin);
- `positive`: an effect claimed greater than zero (a non-significant one is inconclusive, never a contradiction);
- `no_effect`: an effect claimed absent (supported only within a documented equivalence bound).

A claim over several models ("for every backbone") is one family: `overall` gives its verdict beside the rows.
"""

from __future__ import annotations

from ruqtopics_kit.facts.paper import paper_claims

SUPPORTS, CONTRADICTS, INCONCLUSIVE, CANNOT_TEST = "supports", "contradicts", "inconclusive", "cannot test"
SYNTHETIC = "cannot test (synthetic sample)"
VERDICTS = (SUPPORTS, CONTRADICTS, INCONCLUSIVE, CANNOT_TEST, SYNTHETIC)

RULES = {
    "estimate": "supports when the run's interval contains the paper's value or its estimate lies in the documented "
                "band around that value; contradicts when the interval lies wholly outside the band; inconclusive "
                "otherwise",
    "better": "supports when McNemar's exact p (Holm-adjusted over the claim's family) is below alpha with the "
              "claimed model ahead; contradicts when it is below alpha with the other ahead; inconclusive otherwise "
              "(a non-significant difference is never a contradiction)",
    "margin": "supports when the interval of the gap (Newcombe, at the family's Bonferroni level) lies below the "
              "margin; contradicts when it lies above; inconclusive when it contains the margin",
    "positive": "supports when rho > 0 with its two-sided p below alpha; contradicts when rho < 0 with p below alpha; "
                "inconclusive otherwise (a non-significant rho is never a contradiction)",
    "no_effect": "supports only when the 95% interval lies within the documented equivalence bound; contradicts when "
                 "the effect is significant (p below alpha); inconclusive otherwise (a non-significant effect with a "
                 "wide interval is not evidence of no effect)",
    "overall": "a claim over a family of rows (for every backbone): supports when every row the paper's set needs "
               "supports (intersection-union: no further correction), contradicts when any row contradicts (each row "
               "already controlled for the family), cannot test when no row can test it, inconclusive otherwise",
}


def claim_row(claim: str, subject: str, verdict: str, why: str, *, paper_value: object = None,
              run_value: float | None = None, interval: list[float] | None = None,
              p_value: float | None = None, role: str = "member", **extra) -> dict:
    """A row of claims.json. `role`: `member` of the claim's family, `overall` (the claim's verdict), `exploratory`
    (reported, not part of the verdict) or `other model` (not the paper's model for the claim)."""
    return {"claim": claim, "statement": paper_claims()["claims"][claim]["statement"], "subject": subject, "role": role,
            "paper": paper_value, "run": run_value, "run_interval": interval, "p_value": p_value,
            "verdict": verdict, "why": why, **extra}


def estimate_verdict(value: float, interval: list[float], paper_value: float, band: tuple[float, float],
                     level: str = "95%") -> tuple[str, str]:
    low, high = band
    if interval[0] <= paper_value <= interval[1]:
        return SUPPORTS, f"the {level} interval {interval[0]:.3f}-{interval[1]:.3f} contains {paper_value}"
    if low <= value <= high:
        return SUPPORTS, f"{value:.3f} is within {low:.3f}-{high:.3f}"
    if interval[1] < low or interval[0] > high:
        return CONTRADICTS, (f"the {level} interval {interval[0]:.3f}-{interval[1]:.3f} lies outside "
                             f"{low:.3f}-{high:.3f}")
    return INCONCLUSIVE, (f"{value:.3f} is outside {low:.3f}-{high:.3f} and the {level} interval reaches into it "
                          f"without containing {paper_value}")


def better_verdict(difference: float, p_adjusted: float, n: int, alpha: float,
                   adjustment: str = "Holm") -> tuple[str, str]:
    """A claims that a is better than b: McNemar's exact test (adjusted for the family) decides, the sign says
    which way."""
    if p_adjusted >= alpha:
        return INCONCLUSIVE, (f"{adjustment}-adjusted McNemar p {p_adjusted:.3g} >= {alpha}: no difference these {n} "
                              f"test questions can detect")
    if difference > 0:
        return SUPPORTS, f"higher accuracy, {adjustment}-adjusted McNemar p {p_adjusted:.3g} < {alpha}"
    return CONTRADICTS, f"lower accuracy, {adjustment}-adjusted McNemar p {p_adjusted:.3g} < {alpha}"


def margin_verdict(interval: list[float], margin: float, level: str) -> tuple[str, str]:
    """A gap claimed to be under `margin`: the interval of the gap decides."""
    if interval[1] < margin:
        return SUPPORTS, f"the {level} interval of the gap lies below {margin}"
    if interval[0] > margin:
        return CONTRADICTS, f"the {level} interval of the gap lies above {margin}"
    return INCONCLUSIVE, f"the {level} interval of the gap contains {margin}"


def positive_verdict(rho: float, p_value: float, n: int, alpha: float) -> tuple[str, str]:
    text = f"rho {rho:.3f}, p {p_value:.3g}, n {n}"
    if p_value >= alpha:
        return INCONCLUSIVE, f"{text}: not significant at {alpha}, which does not show that there is no correlation"
    return (SUPPORTS, f"{text}: significantly above 0") if rho > 0 else (CONTRADICTS, f"{text}: significantly below 0")


def no_effect_verdict(rho: float, interval: list[float], p_value: float, alpha: float,
                      bound: float) -> tuple[str, str]:
    text = f"rho {rho:.3f}, p {p_value:.3g}"
    if p_value < alpha:
        return CONTRADICTS, f"{text} < {alpha}: a significant correlation"
    if None not in interval and -bound < interval[0] and interval[1] < bound:
        return SUPPORTS, f"{text}; the 95% interval {interval[0]:.3f}-{interval[1]:.3f} lies within ±{bound}"
    return INCONCLUSIVE, (f"{text}: not significant, but the 95% interval is not within ±{bound}, so no equivalence "
                          f"to no correlation is shown")


def overall(claim: str, rows: list[dict], *, complete: bool, family: str, paper_value: object = None) -> dict:
    """The claim's one verdict from its family's rows (`RULES["overall"]`). `complete`: the rows cover every model
    the paper's claim is about (needed for `supports`)."""
    verdicts = [row["verdict"] for row in rows if row["role"] == "member"]
    if CONTRADICTS in verdicts:
        verdict, why = CONTRADICTS, f"{verdicts.count(CONTRADICTS)} of {len(verdicts)} rows contradict"
    elif verdicts and complete and set(verdicts) == {SUPPORTS}:
        verdict, why = SUPPORTS, f"all {len(verdicts)} rows support"
    elif not verdicts or set(verdicts) == {CANNOT_TEST}:
        verdict, why = CANNOT_TEST, "no row can test the claim"
    else:
        counts = ", ".join(f"{verdicts.count(v)} {v}" for v in VERDICTS if v in verdicts)
        missing = "" if complete else "; not every model the claim is about is in the grid"
        verdict, why = INCONCLUSIVE, f"rows: {counts}{missing}"
    return claim_row(claim, "overall", verdict, f"{why} ({family})", paper_value=paper_value, role="overall")


def as_synthetic(row: dict) -> dict:
    """A row of a synthetic release: its numbers kept, its verdict (and each training seed's) `cannot test
    (synthetic sample)`."""
    if row["verdict"] == CANNOT_TEST:
        return row
    why = "the release was made from the bundled synthetic sample: its numbers show that the pipeline runs, not " \
          "what the paper found"
    found = {**row, "verdict": SYNTHETIC, "why": why}
    if row.get("seeds"):
        found["seeds"] = {**row["seeds"], "verdict": SYNTHETIC, "why": why,
                          "per_seed": [{**pair, "verdict": SYNTHETIC, "why": why} for pair in row["seeds"]["per_seed"]]}
    return found
