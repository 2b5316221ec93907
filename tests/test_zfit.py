"""zfit interoperability: the exported loss has the cevns value and zfit finds the same minimum."""

import os

import numpy as np
import pytest

os.environ.setdefault("ZFIT_DISABLE_TF_WARNINGS", "1")
zfit = pytest.importorskip("zfit", reason="optional extra cevns[zfit]")

from cevns.config import load_experiment  # noqa: E402
from cevns.interop.zfit import to_zfit  # noqa: E402
from cevns.stats.fit import fit  # noqa: E402


@pytest.fixture(scope="module")
def dresden():
    return load_experiment("dresden_ii")


def test_loss_value_equals_cost(dresden):
    cost = dresden.cost("sin2w")
    ex = to_zfit(cost)
    v = ex.values()
    assert float(ex.loss.value()) == pytest.approx(cost(*v.values()), rel=1e-12)
    assert ex.params["sin2_theta_w"].floating
    np.testing.assert_allclose(np.asarray(ex.data().values()), dresden.dataset.counts)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # zfit-internal deprecations
def test_zfit_minuit_reaches_the_cevns_minimum(dresden):
    cost = dresden.cost("sin2w")
    ours = fit(cost)
    ex = to_zfit(cost)
    result = zfit.minimize.Minuit(tol=1e-4).minimize(ex.loss)
    assert result.valid
    assert result.fmin == pytest.approx(ours.fval, abs=1e-3)
    got = ex.values()
    assert got["sin2_theta_w"] == pytest.approx(ours.values["sin2_theta_w"], abs=2e-3)
    pred = ex.prediction()
    np.testing.assert_allclose(np.asarray(pred.values()), cost.predict(got).total, rtol=1e-9)
