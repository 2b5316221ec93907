"""Neutrino electromagnetic properties: cross sections, coupling shifts, families, signal.

Reference numbers are computed here from scipy.constants (CODATA) and the formulas of the
papers, independently of the package's constants and code paths.
"""

import numpy as np
import pytest
import scipy.constants as sc
from scipy.integrate import simpson

from cevns import NSIModel
from cevns.config import load_experiment
from cevns.core.exceptions import InvalidParameterError
from cevns.likelihood.electromagnetic import (
    _electron_response,
    electron_channel,
    magnetic_moment_counts,
    magnetic_moment_rows,
)
from cevns.likelihood.expansion import QuadraticExpansion
from cevns.physics.cross_section import differential_cross_section
from cevns.physics.electromagnetic import (
    MagneticMomentModel,
    charge_radius_eps,
    charge_radius_shift,
    electron_mm_cross_section,
    millicharge_shift,
    nuclear_mm_cross_section,
    stepping_z_eff,
)
from cevns.physics.families import family
from cevns.physics.form_factors import Unity
from cevns.physics.nuclei import Nucleus

ALPHA = sc.fine_structure
ME_MEV = sc.physical_constants["electron mass energy equivalent in MeV"][0]
HBARC_MEV_CM = sc.physical_constants["reduced Planck constant times c in MeV fm"][0] * 1e-13
GF_MEV2 = sc.physical_constants["Fermi coupling constant"][0] * 1e-6  # GeV^-2 -> MeV^-2
# CODATA editions and the package's constants agree to ~1e-9; 1e-7 leaves room for that
# and nothing else (any error of a formula is a factor, not 1e-7).
RTOL_CONST = 1e-7

GE72 = Nucleus.from_isotope("Ge72")


@pytest.fixture(scope="module")
def dresden():
    return load_experiment("dresden_ii")


def _vogel_engel(t_kev, e_mev, mu):
    """Vogel & Engel PRD 39, 3378 (1989) Eq. 3 [cm^2/keV]: pi alpha^2 mu^2/m_e^2 (1/T - 1/E)."""
    t = t_kev / 1e3
    return np.pi * ALPHA**2 / ME_MEV**2 * mu**2 * (1 / t - 1 / e_mev) * HBARC_MEV_CM**2 / 1e3


class TestCrossSections:
    def test_nuclear_against_textbook_formula(self):
        t = np.array([0.05, 0.3, 1.0])  # T_max = 1.07 keVnr at 6 MeV
        xs = nuclear_mm_cross_section(t, 6.0, GE72, 2e-10, form_factor=Unity())
        want = _vogel_engel(t, 6.0, 2e-10) * GE72.z**2
        np.testing.assert_allclose(xs, want, rtol=RTOL_CONST)

    def test_free_electron_against_textbook_formula(self):
        t = np.array([0.1, 10.0, 500.0])
        xs = electron_mm_cross_section(t, 3.0, 1e-10)
        np.testing.assert_allclose(xs, _vogel_engel(t, 3.0, 1e-10), rtol=RTOL_CONST)

    def test_zero_above_the_kinematic_limit(self):
        e = 2.0
        t_max_nuc = 2 * e**2 / (GE72.mass_mev + 2 * e) * 1e3
        t_max_e = 2 * e**2 / (ME_MEV + 2 * e) * 1e3
        assert nuclear_mm_cross_section(1.0001 * t_max_nuc, e, GE72, 1e-10) == 0.0
        assert nuclear_mm_cross_section(0.999 * t_max_nuc, e, GE72, 1e-10) > 0.0
        assert electron_mm_cross_section(1.0001 * t_max_e, e, 1e-10) == 0.0
        assert electron_mm_cross_section(0.999 * t_max_e, e, 1e-10) > 0.0

    def test_stepping_function_of_germanium(self):
        # X-ray Data Booklet Table 1-1: between the edges, the count of electrons bound
        # more weakly (N: 4, M5: 6, M4: 4, M3: 4, M2: 2, M1: 2, L3: 4, L2: 2, L1: 2, K: 2)
        t = [0.01, 0.0295, 0.05, 0.122, 0.15, 0.2, 1.23, 1.3, 2.0, 12.0]
        want = [4, 10, 14, 18, 20, 22, 26, 28, 30, 32]
        np.testing.assert_array_equal(stepping_z_eff(t, 32), want)
        bound = electron_mm_cross_section(0.5, 3.0, 1e-10, z=32)
        np.testing.assert_allclose(bound, 22 * electron_mm_cross_section(0.5, 3.0, 1e-10))

    def test_bad_inputs_name_the_field(self):
        with pytest.raises(InvalidParameterError, match="Z = 18"):
            stepping_z_eff(1.0, 18)
        with pytest.raises(InvalidParameterError, match="e_nr_kev must be > 0"):
            nuclear_mm_cross_section(0.0, 5.0, GE72, 1e-10)
        with pytest.raises(InvalidParameterError, match="magnetic_moment_mub"):
            MagneticMomentModel(magnetic_moment_mub=[1e-10, 0.0])
        with pytest.raises(InvalidParameterError, match="r2_cm2"):
            charge_radius_eps([1e-32])


class TestChargeRadiusAndMillicharge:
    def test_shift_is_the_papers_formula(self):
        # Atzori Corona et al. arXiv:2205.09484 Sec. 2: Q = sqrt2 pi alpha <r^2> / (3 G_F),
        # g_V^p -> g_V^p - Q; evaluated with CODATA G_F and hbar c
        r2 = np.array([-3e-32, 1e-32, 4.5e-32])
        want = -np.sqrt(2) * np.pi * ALPHA / (3 * GF_MEV2) * r2 / HBARC_MEV_CM**2
        np.testing.assert_allclose(charge_radius_shift(r2), want, rtol=RTOL_CONST)
        q = np.array([1.0, 7.0])
        want_q = -2 * np.sqrt(2) * np.pi * ALPHA / (GF_MEV2 * q**2) * 1e-12
        np.testing.assert_allclose(millicharge_shift(1e-12, q), want_q, rtol=RTOL_CONST)

    @pytest.mark.parametrize(
        ("name", "value"), [("charge_radius", {"r2_nu_e": 6.0}), ("millicharge", {"q_nu_e": 3.0})]
    )
    def test_cross_section_is_the_sm_one_with_the_shifted_proton_coupling(self, name, value):
        model = family(name).build(value)
        sm = NSIModel.sm()
        t = np.array([0.2, 0.8, 1.5])  # T_max = 1.91 keVnr at 8 MeV
        q = np.sqrt(2 * GE72.mass_mev * t / 1e3)
        if name == "charge_radius":
            delta = charge_radius_shift(value["r2_nu_e"] * 1e-32)
        else:
            delta = millicharge_shift(value["q_nu_e"] * 1e-12, q)
        z, n = GE72.z, GE72.n
        ratio = ((z * (sm.g_p + delta) + n * sm.g_n) / (z * sm.g_p + n * sm.g_n)) ** 2
        got = differential_cross_section(t, 8.0, GE72, model) / differential_cross_section(
            t, 8.0, GE72, sm
        )
        # the millicharge's photon stands in as a mediator of 1e-6 MeV: (M/q)^2 < 1e-12
        np.testing.assert_allclose(got, ratio, rtol=1e-9)
        # the same for antineutrinos and for muon neutrinos untouched
        got_nu = differential_cross_section(t, 8.0, GE72, model, flavour="nue")
        np.testing.assert_allclose(
            got_nu / differential_cross_section(t, 8.0, GE72, sm, flavour="nue"), ratio, rtol=1e-9
        )
        np.testing.assert_allclose(
            differential_cross_section(t, 8.0, GE72, model, flavour="numu"),
            differential_cross_section(t, 8.0, GE72, sm, flavour="numu"),
            rtol=1e-12,
        )

    @pytest.mark.parametrize("name", ["charge_radius", "millicharge"])
    def test_no_matter_potential_in_a_neutral_medium(self, name):
        par = family(name).names[0]
        eps = family(name).build({par: 10.0}).hamiltonian_eps(0.7)
        scale = np.max(np.abs(family(name).build({par: 10.0}).eps_e))
        assert np.max(np.abs(eps)) <= 1e-14 * scale


class TestSignal:
    def test_zero_moment_is_the_sm_exactly(self, dresden):
        sig = dresden.signal
        sm = sig.expected_counts(NSIModel.sm())
        np.testing.assert_array_equal(sig.expected_counts(MagneticMomentModel()), sm)
        np.testing.assert_array_equal(
            sig.expected_counts(family("magnetic_moment").build({"mu_nu_e": 0.0})), sm
        )

    def test_no_interference(self, dresden):
        sig = dresden.signal
        base = [NSIModel.sm(), NSIModel.vector_nsi({"ee_q": 0.2})]
        extra = []
        for m in base:
            with_mu = MagneticMomentModel(
                eps_u=m.eps_u, eps_d=m.eps_d, magnetic_moment_mub=[3e-10, 0, 0]
            )
            extra.append(sig.expected_counts(with_mu) - sig.expected_counts(m))
        # the magnetic-moment counts do not depend on the weak amplitude...
        np.testing.assert_allclose(extra[0], extra[1], rtol=1e-10, atol=0)
        # ...and are mu^2 times a fixed spectrum
        one = MagneticMomentModel(magnetic_moment_mub=[1e-10, 0, 0])
        np.testing.assert_allclose(
            extra[0],
            9 * (sig.expected_counts(one) - sig.expected_counts(NSIModel.sm())),
            rtol=1e-10,
        )
        # muon-neutrino moments do nothing with a reactor flux
        mu_only = MagneticMomentModel(magnetic_moment_mub=[0, 5e-10, 0])
        np.testing.assert_array_equal(
            sig.expected_counts(mu_only), sig.expected_counts(NSIModel.sm())
        )

    def test_rows_against_a_direct_quadrature(self, dresden):
        """Nuclear and electron channels integrated over E_nu independently at each node."""
        sig = dresden.signal
        assert electron_channel(sig) is None
        flux = sig.flux
        lo, hi = flux.energy_range("nuebar")
        nodes, mats = sig._grid_and_responses()
        det = sig.detector
        # a subsample of the nodes whose E_min lies well inside the flux range
        e_min_max = 0.9 * hi
        top = np.searchsorted(
            nodes, 1e3 * 2 * e_min_max**2 / (det.target.nuclei[-1].mass_mev + 2 * e_min_max)
        )
        pick = np.unique(np.geomspace(1, top, 60).astype(int))

        # Simpson on 400001 points (the package uses cumulative trapezoids on 20001): the
        # tabulated reactor flux has kinks that keep scipy.quad from converging
        grid = np.linspace(lo, hi, 400001)
        phi = flux.spectrum("nuebar", grid)

        def rate(t_kev, z_factor, mass):
            t = t_kev / 1e3
            e_min = 0.5 * (t + np.sqrt(t * t + 2 * mass * t))
            keep = grid >= e_min  # the partial first cell is < 3e-6 of the range
            e = grid[keep]
            return z_factor * simpson(phi[keep] * (1 / t - 1 / e), x=e)

        nuc = np.zeros(nodes.size)
        from cevns.physics.form_factors import Helm

        for nucleus, n_per_kg in det.target:
            q = np.sqrt(2 * nucleus.mass_mev * nodes / 1e3)
            fz2 = (nucleus.z * Helm()(q, nucleus)) ** 2
            nuc[pick] += [n_per_kg * fz2[i] * rate(nodes[i], 1.0, nucleus.mass_mev) for i in pick]
        pref = np.pi * ALPHA**2 / ME_MEV**2 * HBARC_MEV_CM**2 / 1e3 * det.exposure_kg_day * 86400
        rows = magnetic_moment_rows(sig)
        # compare the nuclear spectrum node by node (before folding): the package's tail
        # moments against quad, through the same response-free quantity
        from cevns.likelihood.spectrum import _Tails

        tail = _Tails(flux, "nuebar", sig.n_enu)
        mine = np.zeros(nodes.size)
        for nucleus, n_per_kg in det.target:
            q = np.sqrt(2 * nucleus.mass_mev * nodes / 1e3)
            fz2 = (nucleus.z * Helm()(q, nucleus)) ** 2
            t = nodes / 1e3
            mom = tail(0.5 * (t + np.sqrt(t * t + 2 * nucleus.mass_mev * t)))
            mine += n_per_kg * fz2 * np.maximum(mom[0] / t - mom[1], 0)
        # the tail moments are trapezoid sums on 20001 points: 1e-4 covers their error at
        # the steepest part of the reactor spectrum (tested for CEvNS in test_spectrum)
        np.testing.assert_allclose(mine[pick], nuc[pick], rtol=1e-4)
        # electrons: the same kernel with Z_eff, against quad at a few energies
        t_e = np.array([0.05, 0.3, 1.0])
        z_eff = sum(n * stepping_z_eff(t_e, nu.z) for nu, n in det.target)
        mom = tail(0.5 * (t_e / 1e3 + np.sqrt((t_e / 1e3) ** 2 + 2 * ME_MEV * t_e / 1e3)))
        mine_e = z_eff * (mom[0] / (t_e / 1e3) - mom[1])
        want_e = [rate(tt, z, ME_MEV) for tt, z in zip(t_e, z_eff, strict=True)]
        np.testing.assert_allclose(mine_e, want_e, rtol=1e-4)
        # and the folded rows are the response applied to these spectra
        enodes, eresp = _electron_response(det, 3.0 * det.bin_edges[-1])
        te = enodes / 1e3
        mom_e = tail(0.5 * (te + np.sqrt(te * te + 2 * ME_MEV * te)))
        z_e = sum(n * stepping_z_eff(enodes, nu.z) for nu, n in det.target)
        spec_e = z_e * np.maximum(mom_e[0] / te - mom_e[1], 0)
        folded = pref * (mats[0] @ mine + eresp @ spec_e)
        np.testing.assert_allclose(rows[0], folded, rtol=RTOL_CONST)  # scipy vs package constants
        assert np.all(pref * (eresp @ spec_e) > 0)  # the electron channel is there

    def test_counts_scale_with_the_non_unitarity_factor(self, dresden):
        sig = dresden.signal
        m = MagneticMomentModel(magnetic_moment_mub=[2e-10, 0, 0], alpha=np.diag([0.9, 1, 1]))
        np.testing.assert_allclose(
            magnetic_moment_counts(sig, m)[0],
            0.9**4 * 4e-20 * magnetic_moment_rows(sig)[0],
            rtol=1e-12,
        )

    @pytest.mark.parametrize("name", ["magnetic_moment", "charge_radius", "millicharge"])
    def test_families_keep_the_expansion_exact(self, dresden, name):
        sig = dresden.signal
        fam = family(name)
        exp = QuadraticExpansion(sig, fam)  # identifies and self-checks (rtol 1e-8)
        par = fam.names[0]
        for v in (0.7, 2.5, -4.0):
            np.testing.assert_allclose(
                exp({par: v}), sig.expected_counts(fam.build({par: v})), rtol=1e-8
            )

    def test_a_target_without_binding_energies_has_no_electron_channel(self):
        sig = load_experiment("conus_si").signal
        assert "Z = [14]" in electron_channel(sig)
        rows = magnetic_moment_rows(sig)  # nuclear recoils only, still positive
        assert np.all(rows >= 0)
        assert rows.sum() > 0


def test_em2022_is_a_registered_analysis():
    import importlib

    from cevns.reproduce.runner import ANALYSES, TITLES

    assert "em2022" in ANALYSES
    assert "em2022" in TITLES
    assert callable(importlib.import_module(f"cevns.reproduce.{ANALYSES['em2022']}").run)


@pytest.mark.parametrize("name", ["magnetic_moment", "charge_radius", "millicharge"])
def test_model_files_name_the_families(name):
    from cevns.physics.model_files import load_model

    assert load_model(name).names == family(name).names
