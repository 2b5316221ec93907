"""A sum of costs that share only fixed parameters is minimised part by part (fit(separate=)).

Reference: the same sum minimised by one Minuit over every parameter (separate=False);
both minimise the same function, so they agree to Migrad's tolerance (tol = 1e-4 here:
chi^2 within 1e-6).
"""

import numpy as np
import pytest
from iminuit.cost import NormalConstraint

from cevns.stats.fit import _independent_groups, fit

from .test_profiled import _experiment


def _pair():
    a = _experiment("chi2", seed=1)
    b = _experiment("poisson", seed=2)
    b.name = "other"
    return a.cost("sin2w") + b.cost("sin2w")


def test_parts_are_grouped_by_free_shared_parameters():
    total = _pair()
    assert len(_independent_groups(total, start=None, fix=None, free=None)) == 1
    assert len(_independent_groups(total, start=None, fix=["sin2_theta_w"], free=None)) == 2


def test_separate_fit_equals_joint_fit_at_fixed_physics():
    total = _pair()
    fix = {"sin2_theta_w": 0.245}
    joint = fit(total, fix=fix, separate=False, tol=1e-4, profile_linear=False)
    parts = fit(total, fix=fix, tol=1e-4)
    assert parts.minuit is None  # assembled from two fits
    assert joint.minuit is not None
    assert parts.fval == pytest.approx(joint.fval, abs=1e-6)
    assert parts.nfree == joint.nfree
    assert parts.ndata == joint.ndata
    assert parts.free == joint.free
    assert parts.fixed == joint.fixed
    for n in joint.values:
        assert parts.values[n] == pytest.approx(joint.values[n], abs=2e-3 * joint.errors[n] + 1e-12)
        assert parts.errors[n] == pytest.approx(joint.errors[n], rel=5e-3, abs=1e-12)
    # no correlation between the parts: the assembled covariance is block diagonal
    i = parts.free.index("toy.flat_level")
    j = parts.free.index("other.flat_level")
    assert parts.covariance[i, j] == 0.0
    assert joint.covariance[i, j] == pytest.approx(
        0.0, abs=1e-3 * np.sqrt(joint.covariance[i, i] * joint.covariance[j, j])
    )
    assert set(parts.expected) == {"toy", "other"}


def test_a_constraint_joins_the_group_of_its_parameter():
    total = _pair() + NormalConstraint("toy.line_mean", 1.1, 0.01)
    assert len(_independent_groups(total, start=None, fix=["sin2_theta_w"], free=None)) == 2
    res = fit(total, fix={"sin2_theta_w": 0.245}, tol=1e-4)
    ref = fit(total, fix={"sin2_theta_w": 0.245}, tol=1e-4, separate=False, profile_linear=False)
    assert res.fval == pytest.approx(ref.fval, abs=1e-6)


def test_separate_with_minos_and_profiled_parts():
    total = _pair()
    fix = {"sin2_theta_w": 0.245}
    ref = fit(
        total, fix=fix, separate=False, tol=1e-4, minos=["toy.line_mean"], profile_linear=False
    )
    res = fit(total, fix=fix, tol=1e-4, minos=["toy.line_mean"], profile_linear=True)
    assert res.fval == pytest.approx(ref.fval, abs=1e-6)
    np.testing.assert_allclose(res.minos["toy.line_mean"], ref.minos["toy.line_mean"], rtol=5e-3)
