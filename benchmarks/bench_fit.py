"""Benchmarks of Dresden-II fits: one full SM fit and one cost evaluation."""

from __future__ import annotations

from cevns.config import load_experiment
from cevns.stats.fit import fit


def _cost():
    cost = load_experiment("dresden_ii").cost("sm_tree")
    res = fit(cost)  # builds the templates and the expansion (not timed)
    if not res.valid or res.nfree != 8:
        msg = f"Dresden-II SM fit: valid={res.valid}, nfree={res.nfree} (expected 8 free)"
        raise RuntimeError(msg)
    return cost, res


def _fit_dresden_sm():
    """Migrad + Hesse with 8 free parameters (background and flux normalisation)."""
    cost, res = _cost()
    print(f"  fit_dresden_sm: nfcn = {res.nfcn}, fval = {res.fval:.4f}, nfree = {res.nfree}")

    def run():
        fit(cost)

    return run


def _cost_eval_dresden():
    """One evaluation of the cost at the best-fit point."""
    cost, res = _cost()
    args = [res.values[n] for n in cost._parameters]

    def run():
        cost(*args)

    return run


BENCHMARKS = {
    "fit_dresden_sm": _fit_dresden_sm,
    "cost_eval_dresden": _cost_eval_dresden,
}
