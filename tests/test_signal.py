import numpy as np
import pytest

from cevns import NSIModel, Target
from cevns.core.constants import M_MUON, M_PION
from cevns.core.exceptions import InvalidParameterError
from cevns.likelihood.signal import Signal
from cevns.sources.flux import CallableFlux


class RecoilCounter:
    """A minimal detector: perfect recoil-energy measurement in bins (tests the protocol)."""

    def __init__(self, target, edges_kev, exposure_kg_day=100.0, n_nodes=2000):
        self.target = target
        self.edges = np.asarray(edges_kev, dtype=float)
        self._exposure = exposure_kg_day
        self.n_nodes = n_nodes

    @property
    def exposure_kg_day(self):
        return self._exposure

    def recoil_grid(self, e_nr_max_kev):
        return np.linspace(self.edges[0], min(self.edges[-1], e_nr_max_kev), self.n_nodes)

    def response_matrix(self, nodes):
        # trapezoid weights, restricted to each bin (bin edges on nodes are shared halves)
        w = np.zeros(nodes.size)
        dx = np.diff(nodes)
        w[:-1] += dx / 2
        w[1:] += dx / 2
        centres = nodes
        idx = np.clip(
            np.searchsorted(self.edges, centres, side="right") - 1, 0, self.edges.size - 2
        )
        r = np.zeros((self.edges.size - 1, nodes.size))
        r[idx, np.arange(nodes.size)] = w
        return r


def _reactor():
    return CallableFlux(
        {"nuebar": lambda e: 1e13 * np.exp(0.870 - 0.160 * e - 0.091 * e**2)},
        {"nuebar": (0.0, 10.0)},
    )


def _pidar():
    e_prompt = (M_PION**2 - M_MUON**2) / (2 * M_PION)
    return CallableFlux(
        {
            "nue": lambda e: 1e7 * 192 / M_MUON * (e / M_MUON) ** 2 * (0.5 - e / M_MUON),
            "numubar": lambda e: 1e7 * 64 / M_MUON * (e / M_MUON) ** 2 * (0.75 - e / M_MUON),
        },
        {"nue": (0.0, M_MUON / 2), "numubar": (0.0, M_MUON / 2)},
        {"numu": [(e_prompt, 1e7)]},
    )


MODELS = [
    NSIModel.sm(),
    NSIModel.sm(0.30),
    NSIModel.sm(0.2225, couplings="tree"),
    NSIModel.lma_dark(x=0.7, mediator_mass_mev=12.0),
    NSIModel.vector_nsi({"ee_u": 0.3, "emu_d": 0.1 - 0.2j, "mumu_d": -0.4, "etau_q": 0.05j}),
    NSIModel.ngi(c_s_u=0.02, c_t_d=0.3, c_v_u=0.1),
    NSIModel.non_unitary(alpha11=0.9, alpha12=0.2),
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: repr(m)[:60])
@pytest.mark.parametrize("source", ["reactor", "pidar"])
def test_templates_equal_direct_integration(model, source):
    # issue 3: the template fast path equals brute-force integration to 1e-4 (it is exact
    # algebra on the same integrals, so we hold it to 1e-10)
    if source == "reactor":
        sig = Signal(_reactor(), RecoilCounter(Target.by_name("ge"), np.linspace(0.05, 2.0, 40)))
    else:
        sig = Signal(_pidar(), RecoilCounter(Target.by_name("csi"), np.linspace(3.0, 40.0, 30)))
    fast = sig.expected_counts(model)
    direct = sig.expected_counts_direct(model)
    np.testing.assert_allclose(fast, direct, rtol=1e-10, atol=1e-12 * direct.max())
    assert fast.sum() > 0


def _light_models():
    import dataclasses

    ngi = NSIModel.ngi(c_s_u=0.02, c_t_d=0.3, c_v_u=0.1)
    return [
        NSIModel.lma_dark(x=1.3, mediator_mass_mev=0.4),
        NSIModel.vector_nsi({"ee_u": 0.3, "mumu_d": -0.4}, mediator_mass_mev=60.0),
        NSIModel.lma_dark(x=0.7, mediator_mass_mev=900.0),
        # S/T rows at a finite mass: every kinematic term carries the propagator's rows
        dataclasses.replace(ngi, mediator_mass_mev=25.0),
    ]


@pytest.mark.parametrize("source", ["reactor", "pidar"])
def test_templates_at_many_masses_equal_direct_integration(source):
    # the templates fold the mass-independent rows once and the propagator's rows
    # (g, g^2) at each mass: one signal, several masses, against brute-force integration
    if source == "reactor":
        sig = Signal(_reactor(), RecoilCounter(Target.by_name("ge"), np.linspace(0.05, 2.0, 40)))
    else:
        sig = Signal(_pidar(), RecoilCounter(Target.by_name("csi"), np.linspace(3.0, 40.0, 30)))
    for model in [*_light_models(), NSIModel.sm()]:
        fast = sig.expected_counts(model)
        direct = sig.expected_counts_direct(model)
        np.testing.assert_allclose(fast, direct, rtol=1e-10, atol=1e-12 * direct.max())
    assert len(sig._cache) >= 4


def test_templates_cached_per_mass():
    sig = Signal(_reactor(), RecoilCounter(Target.by_name("ge"), np.linspace(0.05, 2.0, 10)))
    t1 = sig.templates(5.0)
    assert sig.templates(5.0) is t1
    assert sig.templates(6.0) is not t1
    # the same templates serve every coupling at that mass
    a = sig.expected_counts(NSIModel.lma_dark(x=0.0, mediator_mass_mev=5.0))
    b = sig.expected_counts(NSIModel.lma_dark(x=1.0, mediator_mass_mev=5.0))
    assert not np.allclose(a, b)
    assert len(sig._cache) == 2


def test_timing_gives_2d_counts():
    det = RecoilCounter(Target.by_name("csi"), np.linspace(3.0, 40.0, 5))
    timing = {"numu": [0.9, 0.1, 0.0], "nue": [0.2, 0.5, 0.3], "numubar": [0.2, 0.5, 0.3]}
    sig = Signal(_pidar(), det, timing=timing)
    c2 = sig.expected_counts(NSIModel.sm())
    assert c2.shape == (4, 3)
    per = sig.expected_counts_per_flavour(NSIModel.sm())
    np.testing.assert_allclose(c2[:, 0], 0.9 * per[1] + 0.2 * (per[0] + per[2]))
    np.testing.assert_allclose(c2, sig.expected_counts_direct(NSIModel.sm()), rtol=1e-10)


def test_signal_bad_input():
    det = RecoilCounter(Target.by_name("csi"), np.linspace(3.0, 40.0, 5))
    with pytest.raises(InvalidParameterError, match="timing is missing flavours"):
        Signal(_pidar(), det, timing={"numu": [1.0]})
    with pytest.raises(InvalidParameterError, match="detector must provide 'target'"):
        Signal(_pidar(), object())
    with pytest.raises(InvalidParameterError, match="kinematics must be"):
        Signal(_pidar(), det, kinematics="exact")
    with pytest.raises(InvalidParameterError, match="mediator_mass_mev must be > 0"):
        Signal(_pidar(), det).templates(-1.0)
