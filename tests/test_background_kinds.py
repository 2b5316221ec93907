"""Generic background kinds (flat, exponential, Gaussian line, template) from experiment files.

Expected counts are checked against closed-form bin integrals computed here with the
standard library (math.exp, math.erf), independently of the vectorised implementation.
"""

import itertools
import math

import numpy as np
import pytest

from cevns.config import load_experiment
from cevns.core.exceptions import InvalidConfigError, InvalidParameterError
from cevns.experiments.dresden_ii import dresden_ii_dataset
from cevns.likelihood.background import (
    ExponentialBackground,
    FlatBackground,
    GaussianLineBackground,
)
from cevns.physics.families import Parameter
from cevns.stats.fit import fit

EDGES = [0.2, 0.5, 0.9, 1.5]


def test_flat_is_level_times_width():
    bkg = FlatBackground("f", EDGES, Parameter("level", 3.0, (0, 10)))
    np.testing.assert_allclose(bkg.expected({}), [0.9, 1.2, 1.8], rtol=1e-15)
    assert [p.name for p in bkg.parameters] == ["f_level"]


def test_exponential_matches_the_closed_form_bin_integral():
    a, d, x0 = 7.0, 0.3, 0.2
    bkg = ExponentialBackground(
        "e", EDGES, Parameter("a", a, (0, 50)), Parameter("d", d, (0.01, 5))
    )
    want = [
        a * d * (math.exp(-(lo - x0) / d) - math.exp(-(hi - x0) / d))
        for lo, hi in itertools.pairwise(EDGES)
    ]
    np.testing.assert_allclose(bkg.expected({}), want, rtol=1e-13)


def test_gaussian_line_area_and_bins_match_erf():
    n, mu, s = 40.0, 0.8, 0.15
    bkg = GaussianLineBackground(
        "l",
        EDGES,
        Parameter("n", n, (0, 100)),
        Parameter("m", mu, (0, 2)),
        Parameter("s", s, (0.01, 1)),
    )

    def cdf(x):
        return 0.5 * (1 + math.erf((x - mu) / (s * math.sqrt(2))))

    want = [n * (cdf(hi) - cdf(lo)) for lo, hi in itertools.pairwise(EDGES)]
    np.testing.assert_allclose(bkg.expected({}), want, rtol=1e-12)
    wide = GaussianLineBackground(
        "w",
        [-100.0, 0.0, 100.0],
        Parameter("n", n, (0, 100)),
        Parameter("m", 0.0, (-1, 1)),
        Parameter("s", 1.0, (0.1, 2)),
    )
    assert wide.expected({}).sum() == pytest.approx(n, rel=1e-14)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: FlatBackground("f", [1.0, 0.5], Parameter("l", 1.0)), "increasing"),
        (
            lambda: ExponentialBackground(
                "e", EDGES, Parameter("a", 1.0), Parameter("d", 1.0, (-1, 2))
            ),
            r"decay length must have limits > 0, got \(-1\.0, 2\.0\)",
        ),
        (
            lambda: GaussianLineBackground(
                "g", EDGES, Parameter("n", 1.0), Parameter("m", 1.0), Parameter("s", 1.0, (0, 2))
            ),
            r"sigma must have limits > 0",
        ),
    ],
)
def test_bad_shapes_are_refused(make, match):
    with pytest.raises(InvalidParameterError, match=match):
        make()


def _experiment_dir(tmp_path, backgrounds: str):
    """A Dresden-II-like experiment file whose backgrounds are generic kinds."""
    data = dresden_ii_dataset("on")
    data.to_text(tmp_path / "spectrum.txt")
    (tmp_path / "experiment.toml").write_text(
        f"""schema = "cevns.experiment/1"
name = "generic_bkg"
likelihood = "chi2"

[flux]
kind = "reactor"
preset = "dresden_ii"

[detector]
kind = "dresden_ii"

[dataset]
kind = "text"
path = "{tmp_path / "spectrum.txt"}"

{backgrounds}
"""
    )
    return tmp_path / "experiment.toml"


def test_generic_backgrounds_fit_the_dresden_spectrum(tmp_path):
    n_bins = dresden_ii_dataset("on").counts.size
    (tmp_path / "flat.txt").write_text("\n".join(["1.0"] * n_bins))
    path = _experiment_dir(
        tmp_path,
        """
[[backgrounds]]
kind = "template"
name = "flatbins"
path = "flat.txt"
norm_limits = [0.0, 100.0]

[[backgrounds]]
kind = "exponential"
name = "epith"
amplitude = { value = 6000.0, limits = [0.0, 50000.0] }  # per keVee: 60 per 10 eV bin
decay = { value = 0.25, limits = [0.01, 2.0] }

[[backgrounds]]
kind = "gaussian_line"
name = "l1"
counts = { value = 1000.0, limits = [0.0, 5000.0] }  # area: counts per bin summed
mean = { value = 1.29, limits = [1.2, 1.4] }
sigma = { value = 0.07, limits = [0.03, 0.12] }
""",
    )
    exp = load_experiment(path)
    assert [b.name for b in exp.backgrounds] == ["flatbins", "epith", "l1"]
    res = fit(exp.cost(signal=False))
    assert res.valid
    # Without CEvNS, the M and L2 lines and the Eq. 18 ties, these generic shapes still
    # find the seed-004 background (Table III, Fef column; amplitudes per 10 eV bin): the
    # 71Ge L1 line at E = 1.292 keVee with sigma = 0.0696 keVee and height A = 84.6, i.e.
    # an area of A sqrt(2 pi) sigma / 10 eV = 1476 per bin-sum, on an epithermal constant
    # of 13.8-14.1 per bin. Tolerances: the shapes differ from Eq. 18, so per-cent level.
    v = res.values
    assert v["generic_bkg.l1_mean"] == pytest.approx(1.292, abs=0.002)
    assert v["generic_bkg.l1_sigma"] == pytest.approx(0.0696, rel=0.02)
    area = 84.6 * math.sqrt(2 * math.pi) * 0.0696 / 0.010
    assert v["generic_bkg.l1_counts"] == pytest.approx(area, rel=0.03)
    assert v["generic_bkg.flatbins_norm"] == pytest.approx(14.0, rel=0.1)
    assert res.fval < 140.0  # 130 bins, 6 parameters (Eq. 18 with ties: 110.7)


def test_template_file_relative_to_the_experiment_file_and_checked(tmp_path):
    (tmp_path / "short.txt").write_text("1.0\n2.0\n")
    path = _experiment_dir(
        tmp_path, '[[backgrounds]]\nkind = "template"\nname = "t"\npath = "short.txt"\n'
    )
    with pytest.raises(
        InvalidConfigError, match=r"short\.txt has 2 values, the dataset .* 130 bins"
    ):
        load_experiment(path)
    path = _experiment_dir(
        tmp_path, '[[backgrounds]]\nkind = "template"\nname = "t"\npath = "absent.txt"\n'
    )
    with pytest.raises(
        InvalidConfigError,
        match=r"backgrounds\.0\.path: .*'absent\.txt' \(relative to .*\) does not exist",
    ):
        load_experiment(path)
    path = _experiment_dir(
        tmp_path,
        '[[backgrounds]]\nkind = "flat"\nname = "f"\nlevel = { value = 1.0, limit = [0, 1] }\n',
    )
    with pytest.raises(InvalidConfigError, match=r"did you mean 'limits'"):
        load_experiment(path)
