"""The generic constant + exponential + tied Gaussian lines background (cevns.likelihood.lines).

Every expectation is compared with the rate density written out here by hand in numpy:
at the bin centres directly, and integrated over the bins by a composite Simpson rule on
a fine grid (not by the closed forms of the implementation). Simpson's error for these
smooth shapes (widths >= 0.02, grid step 1/400 of a 0.05-wide bin) is below 1e-12
relative, hence the tolerances: rtol 1e-12 at centres (same formula, different
operations), 1e-9 for the quadrature. Jacobians: central differences of the value,
rtol 1e-5 (step 1e-5 relative: truncation and rounding both below 1e-7).
"""

import math
import tomllib

import numpy as np
import pytest
from scipy.integrate import simpson

from cevns.config import load_experiment
from cevns.config.components import component
from cevns.core.exceptions import InvalidConfigError, InvalidParameterError
from cevns.core.files import shipped
from cevns.experiments.dresden_ii import dresden_ii_dataset
from cevns.likelihood.dataset import Dataset
from cevns.likelihood.lines import Exponential, Line, LinesBackground, TiedLine
from cevns.physics.families import Parameter

EDGES = np.linspace(0.1, 2.1, 41)  # 40 bins of 0.05


def every_tie(evaluation, edges=EDGES):
    """Two free lines and one tied line of each kind (ratio fixed or fitted, of the
    amplitudes or of the areas, the parent's width or a fixed one)."""
    return LinesBackground(
        "b",
        edges,
        evaluation,
        constant=Parameter("c", 3.0, (0.0, 20.0), 0.5),
        exponential=Exponential(
            Parameter("a_exp", 40.0, (0.0, 200.0), 2.0), Parameter("tau", 0.3, (0.05, 2.0)), 0.1
        ),
        lines=[
            Line("p", Parameter("a_p", 60.0, (0, 300)), Parameter("mu_p", 1.3, (1.1, 1.5), 0.01),
                 Parameter("s_p", 0.07, (0.03, 0.15), 0.003)),
            TiedLine("t_amp_fixed_parent", "p", 1.15, 0.3, "amplitude", None),
            TiedLine("t_area_fixed_fixed", "p", 0.4, 0.5, "area", 0.05),
            TiedLine("t_amp_par_fixed", "p", 0.7, Parameter("r1", 0.2, (0.0, 1.0), 0.02),
                     "amplitude", 0.04),
            TiedLine("t_area_par_parent", "p", 1.7, Parameter("r2", 0.4, (0.0, 2.0), 0.02),
                     "area", None),
            Line("q", Parameter("a_q", 20.0, (0, 100)), Parameter("mu_q", 0.9, (0.8, 1.0), 0.01),
                 Parameter("s_q", 0.05, (0.02, 0.1), 0.003)),
            TiedLine("t_amp_fixed_fixed", "q", 1.9, 0.25, "amplitude", 0.06),
            TiedLine("t_area_fixed_parent", "q", 0.55, 0.7, "area", None),
        ],
    )  # fmt: skip


def density(x, v):
    """The rate density of :func:`every_tie`, written out: each line with its own
    amplitude; area ties as A sigma = r A_parent sigma_parent."""

    def g(a, mu, s):
        return a * np.exp(-((x - mu) ** 2) / (2 * s**2))

    ap, sp, aq, sq = v["a_p"], v["s_p"], v["a_q"], v["s_q"]
    return (
        v["c"]
        + v["a_exp"] * np.exp(-(x - 0.1) / v["tau"])
        + g(ap, v["mu_p"], sp)
        + g(0.3 * ap, 1.15, sp)
        + g(0.5 * ap * sp / 0.05, 0.4, 0.05)
        + g(v["r1"] * ap, 0.7, 0.04)
        + g(v["r2"] * ap, 1.7, sp)  # area ratio with the parent's width: amplitude ratio
        + g(aq, v["mu_q"], sq)
        + g(0.25 * aq, 1.9, 0.06)
        + g(0.7 * aq, 0.55, sq)
    )


def by_hand(bkg, v):
    """Expected counts from :func:`density`: at the centres, or Simpson-integrated."""
    e = bkg.edges
    if bkg.evaluation == "centres":
        return density(0.5 * (e[1:] + e[:-1]), v)
    grid = np.linspace(e[:-1], e[1:], 401, axis=1)  # (bins, points)
    return simpson(density(grid, v), x=grid, axis=1)


def dresden_eq18():
    """The background of ``models/experiments/dresden_ii.toml`` (seed 004 Eq. 18), built
    through its kind on the Rx-ON bins without loading the whole experiment."""
    raw = tomllib.loads(shipped("experiments")["dresden_ii"].read_text())["backgrounds"][0]
    comp = component("background", raw.pop("kind"))
    return comp.builder(comp.options.model_validate(raw), dataset=dresden_ii_dataset("on"))


def random_values(bkg, rng):
    return {p.name: float(rng.uniform(*p.limits)) for p in bkg.parameters}


@pytest.mark.parametrize("evaluation", ["centres", "integrated"])
def test_expected_matches_the_density_written_out(evaluation):
    bkg = every_tie(evaluation)
    rtol = 1e-12 if evaluation == "centres" else 1e-9
    rng = np.random.default_rng(11)
    for v in [{p.name: p.value for p in bkg.parameters}] + [
        random_values(bkg, rng) for _ in range(5)
    ]:
        np.testing.assert_allclose(bkg.expected(v), by_hand(bkg, v), rtol=rtol, atol=0)
        terms = bkg.components(v)
        assert set(terms) == {"constant", "exponential", "p", "q", *(
            t.name for t in bkg.tied_lines)}  # fmt: skip
        np.testing.assert_allclose(sum(terms.values()), bkg.expected(v), rtol=1e-12)


def test_parameters_are_ordered_and_the_linear_ones_declared():
    bkg = every_tie("centres")
    assert [p.name for p in bkg.parameters] == [
        "c", "a_exp", "tau", "a_p", "mu_p", "s_p", "r1", "r2", "a_q", "mu_q", "s_q",
    ]  # fmt: skip
    assert bkg.linear_parameters == ("c", "a_exp", "a_p", "a_q")
    assert bkg.linear_rest_is_zero


def test_integrated_line_area_and_area_ratio():
    """Integrated over a range much wider than the lines: each line's area is
    A sigma sqrt(2 pi), and an area tie makes the area ratio the given r."""
    edges = np.linspace(-5.0, 5.0, 2001)
    bkg = LinesBackground(
        "w", edges, "integrated",
        lines=[Line("p", Parameter("a", 7.0, (0, 10)), Parameter("m", -1.0, (-2, 2)),
                    Parameter("s", 0.2, (0.1, 1))),
               TiedLine("m_shell", "p", 2.0, Parameter("beta", 0.16, (0, 1)), "area", 0.05)],
    )  # fmt: skip
    terms = bkg.components({})
    assert terms["p"].sum() == pytest.approx(7.0 * 0.2 * math.sqrt(2 * math.pi), rel=1e-13)
    assert terms["m_shell"].sum() / terms["p"].sum() == pytest.approx(0.16, rel=1e-12)
    # and an amplitude tie with a fixed width: the peak heights have the ratio r
    centred = LinesBackground(
        "c", edges, "centres",
        lines=[Line("p", Parameter("a", 7.0, (0, 10)), Parameter("m", 0.0025, (-2, 2)),
                    Parameter("s", 0.2, (0.1, 1))),
               TiedLine("k", "p", 2.0025, 0.008, "amplitude", 0.05)],
    )  # fmt: skip
    t = centred.components({})
    assert t["k"].max() / t["p"].max() == pytest.approx(0.008, rel=1e-12)


@pytest.mark.parametrize("evaluation", ["centres", "integrated"])
def test_linear_terms_reassemble_the_expectation(evaluation):
    bkg = every_tie(evaluation)
    rng = np.random.default_rng(5)
    for _ in range(5):
        v = random_values(bkg, rng)
        rest, t = bkg.linear_terms(v)
        assert rest == 0.0
        a = np.array([v[n] for n in bkg.linear_parameters])
        np.testing.assert_allclose(a @ t, bkg.expected(v), rtol=1e-12, atol=0)
        for k, n in enumerate(bkg.linear_parameters):  # one unit more adds its template
            np.testing.assert_allclose(
                bkg.expected(v | {n: v[n] + 1.0}) - bkg.expected(v), t[k], rtol=1e-8, atol=1e-9
            )


def central(f, x, rel=1e-5):
    g = []
    for i in range(x.size):
        h = rel * max(abs(x[i]), 1e-2)
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        g.append((f(up) - f(down)) / (2 * h))
    return np.array(g)


@pytest.mark.parametrize("evaluation", ["centres", "integrated"])
def test_jacobian_matches_central_differences(evaluation):
    bkg = every_tie(evaluation)
    assert bkg.has_jacobian
    names = [p.name for p in bkg.parameters]
    rng = np.random.default_rng(3)
    for _ in range(4):
        x = np.array([rng.uniform(lo + 0.05 * (hi - lo), hi) for lo, hi in (
            p.limits for p in bkg.parameters)])  # fmt: skip
        jac = bkg.jacobian(dict(zip(names, x, strict=True)))
        num = central(lambda y: bkg.expected(dict(zip(names, y, strict=True))), x)
        assert jac.shape == num.shape == (len(names), EDGES.size - 1)
        np.testing.assert_allclose(jac, num, rtol=1e-5, atol=1e-7 * np.abs(num).max())


@pytest.mark.parametrize("evaluation", ["centres", "integrated"])
def test_evaluators_follow_every_parameter_change(evaluation):
    """The position-reading evaluators (which keep each term for the last values of its
    parameters) equal the density written out along a Migrad-like sequence: one
    parameter moved at a time, moves undone, repeats, random jumps."""
    bkg = every_tie(evaluation)
    names = [p.name for p in bkg.parameters]
    slots = np.random.default_rng(0).permutation(len(names) + 4)[: len(names)]
    where = dict(zip(names, slots.tolist(), strict=True))  # scattered in a longer vector
    positions = list(where.items())
    evaluate, terms = bkg.evaluator(positions), bkg.linear_evaluator(positions)
    rng = np.random.default_rng(8)
    start = random_values(bkg, rng)
    sequence = [start]
    for p in bkg.parameters:
        sequence += [start | {p.name: start[p.name] + 0.1 * p.step}, start, start]
    sequence += [random_values(bkg, rng) for _ in range(3)]
    rtol = 1e-12 if evaluation == "centres" else 1e-9
    lin = list(bkg.linear_parameters)
    for v in sequence:
        args = np.full(len(names) + 4, np.nan)
        for n, i in where.items():
            args[i] = v[n]
        want = by_hand(bkg, v)
        np.testing.assert_allclose(evaluate(args), want, rtol=rtol, atol=0)
        np.testing.assert_allclose(evaluate(tuple(args.tolist())), want, rtol=rtol, atol=0)
        rest, t = terms(args)
        np.testing.assert_allclose(rest + np.array([v[n] for n in lin]) @ t, want, rtol=rtol)
        with pytest.raises(ValueError, match="read-only"):
            t[1, 0] = 0.0  # the kept templates cannot be changed by a caller
    with pytest.raises(InvalidParameterError, match=r"positions lack the parameters \['s_q'\]"):
        bkg.evaluator([pair for pair in positions if pair[0] != "s_q"])


def test_only_some_terms():
    """A background with a single line (no constant, no exponential) and one with only a
    constant: the same formulas with the other terms absent."""
    line = LinesBackground(
        "l", EDGES, "centres",
        lines=[Line("p", Parameter("a", 5.0, (0, 10)), Parameter("m", 1.0, (0, 2)),
                    Parameter("s", 0.1, (0.01, 1))),
               TiedLine("k", "p", 1.5, Parameter("r", 0.5, (0, 1)), "amplitude", None)],
    )  # fmt: skip
    x = 0.5 * (EDGES[1:] + EDGES[:-1])
    want = 5.0 * np.exp(-((x - 1.0) ** 2) / 0.02) + 2.5 * np.exp(-((x - 1.5) ** 2) / 0.02)
    np.testing.assert_allclose(line.expected({}), want, rtol=1e-12)
    flat = LinesBackground("f", EDGES, "integrated", constant=Parameter("c", 2.0, (0, 5)))
    np.testing.assert_allclose(flat.expected({}), 2.0 * np.diff(EDGES), rtol=1e-15)
    _, t = flat.linear_evaluator([("c", 0)])([2.0])
    np.testing.assert_allclose(t, np.diff(EDGES)[None], rtol=1e-15)
    np.testing.assert_allclose(flat.jacobian({"c": 2.0}), np.diff(EDGES)[None], rtol=1e-15)


def _free(name="p", sigma_limits=(0.01, 1.0)):
    return Line(name, Parameter("a", 1.0, (0, 5)), Parameter("m", 1.0, (0, 2)),
                Parameter("s", 0.1, sigma_limits))  # fmt: skip


@pytest.mark.parametrize(
    ("lines", "extra", "match"),
    [
        ([_free(), TiedLine("k", "x", 1.0, 0.1, "amplitude", None)], {},
         r"tied line 'k': parent 'x' is not a free line \(free lines: \['p'\]\)"),
        ([_free(), TiedLine("k", "p", 1.0, -0.1, "amplitude", None)], {},
         r"tied line 'k': ratio must be finite and >= 0, got -0\.1"),
        ([_free(), TiedLine("k", "p", 1.0, Parameter("r", 0.1, (-1, 1)), "area", 0.1)], {},
         r"tied line 'k': the ratio parameter's limits must be >= 0, got \(-1\.0, 1\.0\)"),
        ([_free(), TiedLine("k", "p", 1.0, 0.1, "amplitude", 0.0)], {},
         r"tied line 'k': sigma must be finite and > 0 .* got 0\.0"),
        ([_free(), TiedLine("k", "p", 1.0, 0.1, "height", None)], {},  # type: ignore[arg-type]
         r"ratio_of must be 'amplitude' or 'area', got 'height'"),
        ([_free(sigma_limits=(0.0, 1.0))], {}, r"line 'p': sigma must have limits > 0"),
        ([_free(), _free()], {}, r"line names must be unique, \['p'\]"),
        ([_free()], {"constant": Parameter("a", 1.0, (0, 5))},
         r"parameter names must be unique, \['a'\]"),
        ([], {}, "give at least a constant, an exponential or a free line"),
        ([], {"exponential": Exponential(Parameter("x", 1.0), Parameter("d", 1.0, (0, 2)), 0)},
         r"decay length must have limits > 0, got \(0\.0, 2\.0\)"),
        ([], {"exponential": Exponential(Parameter("x", 1.0), Parameter("d", 1.0, (0.1, 2)),
                                          float("nan"))},
         r"the exponential's reference must be finite, got nan"),
    ],
)  # fmt: skip
def test_bad_declarations_are_refused(lines, extra, match):
    with pytest.raises(InvalidParameterError, match=match):
        LinesBackground("b", EDGES, "centres", lines=lines, **extra)


def test_bad_edges_and_evaluation_are_refused():
    with pytest.raises(InvalidParameterError, match="increasing"):
        LinesBackground("b", [1.0, 0.5], "centres", constant=Parameter("c", 1.0))
    with pytest.raises(InvalidParameterError, match=r"evaluation must be .* got 'middle'"):
        LinesBackground("b", EDGES, "middle", constant=Parameter("c", 1.0))  # type: ignore[arg-type]


# ---------------------------------------------------------------------- experiment files
LINES_TOML = """
[[backgrounds]]
kind = "lines"
name = "b"
evaluation = "{evaluation}"
constant = {{ name = "c", value = 3.0, limits = [0.0, 20.0], step = 0.5 }}

[backgrounds.exponential]
reference = 0.1
amplitude = {{ name = "a_exp", value = 40.0, limits = [0, 200], step = 2.0 }}
decay = {{ name = "tau", value = 0.3, limits = [0.05, 2.0] }}

[[backgrounds.lines]]
name = "p"
amplitude = {{ name = "a_p", value = 60.0, limits = [0, 300] }}
mean = {{ name = "mu_p", value = 1.3, limits = [1.1, 1.5], step = 0.01 }}
sigma = {{ name = "s_p", value = 0.07, limits = [0.03, 0.15], step = 0.003, unit = "keVee" }}

[[backgrounds.lines]]
name = "q"
amplitude = {{ name = "a_q", value = 20.0, limits = [0, 100] }}
mean = {{ name = "mu_q", value = 0.9, limits = [0.8, 1.0], step = 0.01 }}
sigma = {{ name = "s_q", value = 0.05, limits = [0.02, 0.1], step = 0.003 }}

[[backgrounds.tied_lines]]
name = "t_amp_fixed_parent"
parent = "p"
mean = 1.15
sigma = "parent"
amplitude_ratio = 0.3

[[backgrounds.tied_lines]]
name = "t_area_fixed_fixed"
parent = "p"
mean = 0.4
sigma = 0.05
area_ratio = 0.5

[[backgrounds.tied_lines]]
name = "t_amp_par_fixed"
parent = "p"
mean = 0.7
sigma = 0.04
amplitude_ratio = {{ name = "r1", value = 0.2, limits = [0.0, 1.0], step = 0.02 }}

[[backgrounds.tied_lines]]
name = "t_area_par_parent"
parent = "p"
mean = 1.7
sigma = "parent"
area_ratio = {{ name = "r2", value = 0.4, limits = [0.0, 2.0], step = 0.02 }}

[[backgrounds.tied_lines]]
name = "t_amp_fixed_fixed"
parent = "q"
mean = 1.9
sigma = 0.06
amplitude_ratio = 0.25

[[backgrounds.tied_lines]]
name = "t_area_fixed_parent"
parent = "q"
mean = 0.55
sigma = "parent"
area_ratio = 0.7
"""


def _experiment_file(tmp_path, backgrounds):
    """The Dresden-II spectrum (0.2-1.5 keVee) with these backgrounds."""
    dresden_ii_dataset("on").to_text(tmp_path / "spectrum.txt")
    path = tmp_path / "experiment.toml"
    path.write_text(
        'schema = "cevns.experiment/1"\nname = "toy"\nlikelihood = "chi2"\n\n'
        '[flux]\nkind = "reactor"\npreset = "dresden_ii"\n\n'
        '[detector]\nkind = "dresden_ii"\n\n'
        '[dataset]\nkind = "text"\npath = "spectrum.txt"\n' + backgrounds
    )
    return path


@pytest.mark.parametrize("evaluation", ["centres", "integrated"])
def test_a_toml_declaration_builds_the_same_background(tmp_path, evaluation):
    """The experiment-file kind gives the background of every_tie (same parameters,
    same expectation as the density written out)."""
    opts = component("background", "lines").options
    raw = tomllib.loads(LINES_TOML.format(evaluation=evaluation))["backgrounds"][0]
    raw.pop("kind")
    dataset = Dataset.from_arrays(np.ones(40), EDGES, errors=np.ones(40))
    bkg = component("background", "lines").builder(opts.model_validate(raw), dataset=dataset)
    ref = every_tie(evaluation)
    assert [p.name for p in bkg.parameters] == [p.name for p in ref.parameters]
    assert next(p for p in bkg.parameters if p.name == "s_p").unit == "keVee"
    v = random_values(ref, np.random.default_rng(2))
    rtol = 1e-12 if evaluation == "centres" else 1e-9
    np.testing.assert_allclose(bkg.expected(v), by_hand(ref, v), rtol=rtol, atol=0)


def test_an_experiment_file_with_lines_loads_and_names_its_parameters(tmp_path):
    toml = LINES_TOML.format(evaluation="integrated")
    toml = toml.replace('name = "r1", ', "")  # default name: <background>_<line>_ratio
    path = _experiment_file(tmp_path, toml)
    exp = load_experiment(path)
    (bkg,) = exp.backgrounds
    assert "b_t_amp_par_fixed_ratio" in [p.name for p in bkg.parameters]
    cost = exp.cost(signal=False)
    names = [p.name for p in cost.parameter_objects]
    assert "toy.a_p" in names
    assert "toy.b_t_amp_par_fixed_ratio" in names


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (('parent = "q"', 'parent = "L9"'),
         r"tied_lines\[4\] \('t_amp_fixed_fixed'\): parent 'L9' is not one of the lines \['p', 'q'\]"),
        (("amplitude_ratio = 0.25", "amplitude_ratio = -0.25"),
         r"tied_lines\.4\.amplitude_ratio.*greater than or equal to 0"),
        (("limits = [0.0, 1.0], step = 0.02", "limits = [-1.0, 1.0], step = 0.02"),
         r"tied line 't_amp_par_fixed': amplitude_ratio\.limits must be >= 0 .* got \[-1\.0, 1\.0\]"),
        (("area_ratio = 0.7", "area_ratio = 0.7\namplitude_ratio = 0.1"),
         r"tied line 't_area_fixed_parent': give exactly one of amplitude_ratio and area_ratio"),
        (("sigma = 0.06", "sigma = -0.06"), r"tied_lines\.4\.sigma"),
        (('evaluation = "integrated"\n', ""), r"evaluation.*(Field required|missing)"),
        (('name = "t_amp_fixed_fixed"', 'name = "p"'), r"line names must be unique .*\['p'\]"),
        (('name = "s_q"', 'name = "a_q"'), r"parameter names must be unique, \['a_q'\]"),
    ],
)  # fmt: skip
def test_bad_experiment_files_name_the_field(tmp_path, change, match):
    toml = LINES_TOML.format(evaluation="integrated")
    assert change[0] in toml
    path = _experiment_file(tmp_path, toml.replace(*change, 1))
    with pytest.raises(InvalidConfigError, match=match):
        load_experiment(path)
