"""Benchmarks of the Dresden-II signal: templates, fast evaluation, direct integration."""

from __future__ import annotations

import itertools

import numpy as np

from cevns.config import load_experiment
from cevns.likelihood.expansion import QuadraticExpansion
from cevns.physics.families import family

FAMILY = "light_zprime"
MASS_MEV = 9.0
POINT = {"g_nu_g_q": -3e-10, "mediator_mass_mev": MASS_MEV}


def _signal():
    exp = load_experiment("dresden_ii")
    exp.signal.templates(MASS_MEV)  # tabulates the detector response (not timed)
    return exp.signal


def _templates_build():
    """Templates at a mediator mass never seen before (each run a new mass, no cache hit)."""
    sig = _signal()
    masses = (7.0 * (1.0 + 1e-9 * k) for k in itertools.count(1))

    def run():
        sig.templates(next(masses))

    return run


def _templates_build_vector():
    """What a fit at a new mass builds: the vector rows only (a model without S/T terms)."""
    sig = _signal()
    fam = family(FAMILY)
    masses = (7.0 * (1.0 + 1e-9 * k) for k in itertools.count(1))

    def run():
        sig.expected_counts(fam.build(POINT | {"mediator_mass_mev": next(masses)}))

    return run


def _eval_templates():
    """Counts at a new coupling point from the cached quadratic expansion (the fit path)."""
    sig = _signal()
    expansion = QuadraticExpansion(sig, family(FAMILY))
    expansion(POINT)  # identifies the coefficients at this mass (not timed)
    direct = sig.expected_counts_direct(family(FAMILY).build(POINT))
    rel = np.max(np.abs(expansion(POINT) - direct)) / np.max(np.abs(direct))
    assert rel < 1e-8, f"expansion and direct integration differ by {rel:.2e}"
    couplings = itertools.cycle(-np.geomspace(1e-11, 1e-9, 101))

    def run():
        expansion({"g_nu_g_q": next(couplings), "mediator_mass_mev": MASS_MEV})

    return run


def _eval_bruteforce():
    """The same point by direct integration over recoil and neutrino energy (no templates)."""
    sig = _signal()
    model = family(FAMILY).build(POINT)

    def run():
        sig.expected_counts_direct(model)

    return run


def _expected_counts_model():
    """``Signal.expected_counts`` of a prebuilt model with its templates cached."""
    sig = _signal()
    model = family(FAMILY).build(POINT)

    def run():
        sig.expected_counts(model)

    return run


def _expansion_new_mass(weights: bool):
    """The quadratic expansion at a mass never seen before: templates and coefficients.

    What a scan over the mass pays at each new mass, for ``lma_dark_tree`` on the CsI 2017
    timing likelihood (two linear parameters, x and sin^2 theta_W). With ``weights`` the
    coefficients are one product of the templates with the weights' polynomial (identified
    once), checked by one direct evaluation; without, they are identified from the counts
    at every mass (``1 + 2P + P(P-1)/2`` evaluations and more for the steps): the baseline
    in the same run.
    """

    def setup():
        from cevns.reproduce.dfs2018 import EXPERIMENT, tree_family

        sig = load_experiment(EXPERIMENT).signal
        fam = tree_family("lma_dark_tree")
        expansion = QuadraticExpansion(sig, fam)
        if not weights:
            expansion._weight_poly = False
        expansion.coefficients(7.0)  # the response and (with weights) the polynomial
        masses = (7.0 * (1.0 + 1e-9 * k) for k in itertools.count(1))

        def run():
            expansion.coefficients(next(masses))

        return run

    return setup


BENCHMARKS = {
    "expansion_new_mass_weights": _expansion_new_mass(True),
    "expansion_new_mass_counts": _expansion_new_mass(False),
    "signal_templates_build": _templates_build,
    "signal_templates_build_vector": _templates_build_vector,
    "signal_eval_templates": _eval_templates,
    "signal_eval_bruteforce": _eval_bruteforce,
    "signal_expected_counts_model": _expected_counts_model,
}
