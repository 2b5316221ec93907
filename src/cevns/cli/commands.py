"""Analysis commands of the ``cevns`` command line: info, fit, scan, reproduce, plot.

They are registered on the click group of :mod:`cevns.cli`. Errors are one line on stderr
with a non-zero exit code (no traceback).
"""

from __future__ import annotations

import functools
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = ["COMMANDS"]


def __dir__() -> list[str]:
    return __all__


F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(fn: F) -> F:
    """Turn cevns, value and key errors into one-line click errors."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from cevns.core.exceptions import CevnsError

        try:
            return fn(*args, **kwargs)
        except click.ClickException:
            raise
        except (CevnsError, ValueError, KeyError, OSError, ModuleNotFoundError) as e:
            if isinstance(e, OSError) and e.filename is not None:
                text = f"{e.filename}: {e.strerror or e}"
            else:
                text = str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)
            raise click.ClickException(_one_line(text)) from None

    return wrapper  # type: ignore[return-value]


def _one_line(text: str) -> str:
    """A multi-line error (a header and one line per problem) as one line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith("invalid configuration"):
        return f"{lines[0]}: " + "; ".join(lines[1:])
    return "; ".join(lines)


def _pairs(items: Sequence[str], what: str) -> dict[str, str]:
    out = {}
    for item in items:
        if "=" not in item:
            msg = f"{what} expects NAME=VALUE, got {item!r}"
            raise click.BadParameter(msg)
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _floats(items: Sequence[str], what: str) -> dict[str, float]:
    out = {}
    pairs = _pairs(items, what)
    if len(pairs) != len(items):
        names = [item.split("=", 1)[0].strip() for item in items]
        twice = sorted({n for n in names if names.count(n) > 1})
        msg = f"{what} {', '.join(twice)} given more than once"
        raise click.BadParameter(msg)
    for k, v in pairs.items():
        try:
            out[k] = float(v)
        except ValueError:
            msg = f"{what} {k}={v!r}: the value must be a number"
            raise click.BadParameter(msg) from None
        if not math.isfinite(out[k]):
            msg = f"{what} {k}={v!r}: the value must be finite"
            raise click.BadParameter(msg)
    return out


def _experiments(spec: str, sets: Sequence[str]) -> list[Any]:
    from cevns.config import load_experiment

    names = [s for s in spec.split("+") if s]
    if not names:
        msg = "give at least one experiment, e.g. dresden_ii or coherent_csi_2017+dresden_ii"
        raise click.BadParameter(msg)
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        msg = f"{spec}: {', '.join(twice)} given twice (its data would be counted twice)"
        raise click.BadParameter(msg)
    overrides: dict[str, dict[str, str]] = {n: {} for n in names}
    for k, v in _pairs(sets, "--set").items():
        head, _, rest = k.partition(".")
        if head in overrides and rest:
            overrides[head][rest] = v
        elif len(names) == 1:
            overrides[names[0]][k] = v
        else:
            msg = f"--set {k}: with several experiments prefix the key with one of {names}"
            raise click.BadParameter(msg)
    import numpy as np

    # an input far out of range overflows while the templates are built; what comes of it
    # (a non-finite reference or prediction) is refused in one line, without the warnings
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return [load_experiment(n, overrides[n]) for n in names]


def _cost(experiments: Sequence[Any], model: str) -> Any:
    import numpy as np

    from cevns.physics.model_files import load_model

    fam = load_model(model)
    # an input far out of range overflows here; the check below says so in one line
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        costs = [e.cost(fam) for e in experiments]
        for c in costs:
            _check_finite_start(c)
    cost = costs[0]
    for c in costs[1:]:
        cost = cost + c
    return cost


def _check_finite_start(cost: Any) -> None:
    """Refuse, before any fit, an experiment whose prediction at the start is not finite.

    An input far out of range (an exposure of 1e300 days, a reactor power of 1e308 GW)
    passes every per-field check but overflows the prediction or the cost; Minuit would
    then report a meaningless minimum.
    """
    import numpy as np

    values = cost.defaults
    pred = cost.predict(values)
    sig, bkg = float(np.sum(pred.signal)), float(np.sum(pred.background))
    fval = float(cost(*values.values()))
    if not all(math.isfinite(v) for v in (sig, bkg, fval)):
        msg = (
            f"{cost.experiment.name}: the prediction at the start values is not finite "
            f"(signal {sig:.4g}, background {bkg:.4g}, cost {fval:.4g}): an input is out of "
            "range (an exposure, a power, a flux normalisation or a prior of the model?)"
        )
        raise click.ClickException(msg)


def _echo(quiet: bool, text: str) -> None:
    if not quiet:
        click.echo(text)


# ---------------------------------------------------------------------- info
@click.command("info")
@friendly_errors
def info_cmd() -> None:
    """List the shipped experiments, physics models, component kinds and datasets.

    Example: cevns info
    """
    from cevns.config import available_experiments, available_models, load_experiment_config
    from cevns.config.components import all_components, origin
    from cevns.data import store as data
    from cevns.physics.families import FAMILIES
    from cevns.physics.model_files import load_model

    click.echo("Experiments (models/experiments):")
    for name in available_experiments():
        cfg = load_experiment_config(name).file
        click.echo(f"  {name:24s} {cfg.description}")
    click.echo("Physics models (models/physics; built-in families also accepted):")
    for name in available_models():
        click.echo(f"  {name:24s} parameters: {', '.join(load_model(name).names)}")
    extra = sorted(set(FAMILIES) - set(available_models()))
    click.echo(f"  built-in families: {', '.join(extra)}")
    click.echo("Component kinds (experiment-file sections; entry points 'cevns.components'):")
    for (section, kind), comp in all_components().items():
        click.echo(f"  [{section}] kind = {kind!r}: {comp.description}")
        click.echo(f"      options: {', '.join(comp.options.model_fields) or '(none)'}")
        click.echo(f"      from {origin(section, kind)}")
    files = data.list_files()
    click.echo(f"Datasets: {len(files)} registered public files (cevns data list)")


# ---------------------------------------------------------------------- fit
@click.command("fit")
@click.argument("experiments")
@click.option(
    "--model",
    "-m",
    default="sm",
    show_default=True,
    help="Physics model (file name, path or family).",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a config key, e.g. detector.quenching=ybe.",
)
@click.option("--fix", multiple=True, metavar="NAME=VALUE", help="Fix a parameter.")
@click.option("--free", multiple=True, metavar="NAME", help="Release a parameter fixed by default.")
@click.option("--start", multiple=True, metavar="NAME=VALUE", help="Start value of a parameter.")
@click.option("--minos", is_flag=True, help="Run Minos on the free physics parameters.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the result as JSON.",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write spectrum plots (the suffix chooses the format; PNG without one).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@friendly_errors
def fit_cmd(
    experiments: str,
    model: str,
    sets: tuple[str, ...],
    fix: tuple[str, ...],
    free: tuple[str, ...],
    start: tuple[str, ...],
    minos: bool,
    json_path: Path | None,
    plot_path: Path | None,
    quiet: bool,
) -> None:
    """Fit EXPERIMENT[+EXPERIMENT...] and print the result table.

    Example: cevns fit dresden_ii --model sin2w --set detector.quenching=ybe --json fit.json
    """
    from cevns.stats.fit import fit

    _exclusive(start=start, fix=fix, free=free)
    _plot_target(plot_path)
    _writable(json_path, plot_path)
    exps = _experiments(experiments, sets)
    cost = _cost(exps, model)
    fam_names = exps[0].cost(model).family.names if exps else ()
    res = fit(
        cost,
        start=_floats(start, "--start"),
        fix=_floats(fix, "--fix"),
        free=list(free),
        minos=[n for n in fam_names if n in _free_names(cost, fix, free)] if minos else False,
        warn=False,
    )
    if not math.isfinite(res.fval):
        msg = f"the fit did not converge to a finite minimum (fval = {res.fval}): {res.message}"
        raise click.ClickException(msg)
    _echo(quiet, res.table())
    if not res.valid:
        click.echo(f"warning: the fit is not valid: {res.message}", err=True)
    if json_path:
        d = res.to_dict()
        d["-2lnL" if all(e.likelihood == "poisson" for e in exps) else "chi2"] = res.fval
        d["experiments"] = [e.name for e in exps]
        d["model"] = model
        _write_text(json_path, json.dumps(d, indent=1) + "\n")
        _echo(quiet, f"wrote {json_path}")
    if plot_path:
        from cevns.viz.plotting import plot_fit, save

        for e, fig in zip(exps, plot_fit(cost, res), strict=False):
            target = (
                plot_path
                if len(exps) == 1
                else plot_path.with_name(f"{plot_path.stem}_{e.name}{plot_path.suffix}")
            )
            written = _writing(target, functools.partial(save, fig, target))
            _echo(quiet, "wrote " + ", ".join(map(str, written)))


def _exclusive(**options: Sequence[str]) -> None:
    """A parameter named in two of --start, --fix, --free, --param is a contradiction."""
    seen: dict[str, str] = {}
    for option, items in options.items():
        for item in items:
            name = item.split("=", 1)[0].strip()
            flag = f"--{option}"
            if name in seen and seen[name] != flag:
                msg = f"{name} is given to both {seen[name]} and {flag}; name it once"
                raise click.BadParameter(msg)
            seen[name] = flag


def _free_names(cost: Any, fix: Sequence[str], free: Sequence[str]) -> set[str]:
    from cevns.stats.fit import _names, parameter_info

    _, fixed_default, _ = parameter_info(cost)
    fixed = (fixed_default - set(free)) | {f.split("=")[0] for f in fix}
    return set(_names(cost)) - fixed


# ---------------------------------------------------------------------- scan
#: Bytes written (and synced) into a test file to check that an output folder is not full.
PROBE_BYTES = 64 * 1024


def _probe_folder(folder: Path, what: str) -> None:
    """Create, fill with :data:`PROBE_BYTES`, sync and delete a test file in ``folder``.

    A read-only folder fails at the creation, a full one at the write or the sync
    (``ENOSPC``), before any work is done.
    """
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".cevns-write-test-") as fh:
            fh.write(b"\0" * PROBE_BYTES)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as e:
        msg = f"cannot write {what}: {e.strerror or e}"
        raise click.BadParameter(msg) from None


def _writable(*paths: Path | None) -> None:
    """Refuse, before any work, an output that cannot be written (a test file is made)."""
    for path in paths:
        if path is None:
            continue
        if path.is_dir():
            msg = f"cannot write {path}: it is a folder"
            raise click.BadParameter(msg)
        if path.exists() and not os.access(path, os.W_OK):
            msg = f"cannot write {path}: the file is not writable"
            raise click.BadParameter(msg)
        _probe_folder(path.parent, str(path))


def _plot_target(path: Path | None) -> None:
    """A --plot path: its suffix must be a figure format, or absent (PNG)."""
    if path is None or not path.suffix:
        return
    from cevns.viz.plotting import _KNOWN_FORMATS

    if path.suffix.lstrip(".").lower() not in _KNOWN_FORMATS:
        msg = (
            f"--plot {path}: {path.suffix!r} is not a figure format; end the name with one of "
            f"{', '.join('.' + f for f in sorted(_KNOWN_FORMATS))} (or none, for PNG)"
        )
        raise click.BadParameter(msg)


def _write_text(path: Path, text: str) -> None:
    """Write an output file; a failure (disk full, ...) is one line naming the file."""
    try:
        path.write_text(text)
    except OSError as e:
        msg = f"cannot write {path}: {e.strerror or e}"
        raise click.ClickException(msg) from None


def _writing(path: Path, write: Callable[[], Any]) -> Any:
    """Run ``write`` (an export to ``path``); an OSError is one line naming the file."""
    try:
        return write()
    except OSError as e:
        msg = f"cannot write {path}: {e.strerror or e}"
        raise click.ClickException(msg) from None


def _param_axis(text: str, logs: set[str]) -> tuple[str, Any]:
    from cevns.stats.scan import grid_axis

    if "=" not in text or text.count(":") != 2:
        msg = f"--param expects NAME=START:STOP:N, got {text!r}"
        raise click.BadParameter(msg)
    name, rng = text.split("=", 1)
    a, b, n = rng.split(":")
    try:
        start, stop = float(a), float(b)
    except ValueError:
        msg = f"--param {text!r}: START and STOP must be numbers, got {a!r} and {b!r}"
        raise click.BadParameter(msg) from None
    try:
        points = int(n)
    except ValueError:
        msg = f"--param {text!r}: N must be an integer (the number of points), got {n!r}"
        raise click.BadParameter(msg) from None
    try:
        return name, grid_axis(start, stop, points, log=name in logs)
    except ValueError as e:
        msg = f"--param {text!r}: {e}"
        raise click.BadParameter(msg) from None


@click.command("scan")
@click.argument("experiments")
@click.option("--model", "-m", required=True, help="Physics model (file name, path or family).")
@click.option(
    "--param",
    "params",
    multiple=True,
    required=True,
    metavar="NAME=START:STOP:N",
    help="Scanned parameter (1 or 2).",
)
@click.option("--log", "logs", multiple=True, metavar="NAME", help="Log-spaced axis for NAME.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a config key.")
@click.option("--fix", multiple=True, metavar="NAME=VALUE", help="Fix a parameter everywhere.")
@click.option("--free", multiple=True, metavar="NAME", help="Profile a parameter fixed by default.")
@click.option(
    "--backend",
    type=click.Choice(["serial", "processes", "dask"]),
    default="serial",
    show_default=True,
    help="Where the grid lines run: this process, local processes, or dask workers "
    "(the numbers are identical).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes or dask workers (default: all cores).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help=(
        "Address of a dask scheduler to use (default: a LocalCluster on this machine). "
        "cevns connects only to the address given here. dask exchanges pickled Python "
        "objects with the scheduler and its workers, which can run any code: name only a "
        "scheduler you trust like your own machine."
    ),
)
@click.option(
    "--checkpoint",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Resume/record points here.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the scan as JSON.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the scan as CSV.",
)
@click.option(
    "--root",
    "root_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the scan as a ROOT TTree.",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Plot the profile or contours.",
)
@click.option(
    "--cl",
    "cls",
    multiple=True,
    type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
    default=(0.6827, 0.9545, 0.9973),
    show_default=True,
    help="Confidence levels of the reported intervals and contours.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@friendly_errors
def scan_cmd(
    experiments: str,
    model: str,
    params: tuple[str, ...],
    logs: tuple[str, ...],
    sets: tuple[str, ...],
    fix: tuple[str, ...],
    free: tuple[str, ...],
    backend: str,
    workers: int | None,
    scheduler: str | None,
    checkpoint: Path | None,
    json_path: Path | None,
    csv_path: Path | None,
    root_path: Path | None,
    plot_path: Path | None,
    cls: tuple[float, ...],
    quiet: bool,
) -> None:
    """Profile-likelihood scan of 1 or 2 parameters; all others are refitted at each point.

    Example: cevns scan dresden_ii --model light_zprime --param mediator_mass_mev=1:100:30
    --log mediator_mass_mev --param g_nu_g_q=-3e-10:0:40 --backend processes --json s.json
    """
    from cevns.stats.scan import profile_scan

    if len(params) > 2:
        msg = f"at most two --param, got {len(params)}"
        raise click.BadParameter(msg)
    if scheduler is not None and backend != "dask":
        msg = f"--scheduler {scheduler} needs --backend dask (got --backend {backend})"
        raise click.BadParameter(msg)
    if workers is not None and backend == "serial":
        msg = f"--workers {workers} needs --backend processes or dask (got --backend serial)"
        raise click.BadParameter(msg)
    scanned = [p.split("=", 1)[0] for p in params]
    if len(set(scanned)) != len(scanned):
        msg = f"--param {scanned[0]} given twice; scan two different parameters"
        raise click.BadParameter(msg)
    _exclusive(param=params, fix=fix, free=free)
    grid = dict(_param_axis(p, set(logs)) for p in params)
    for name in logs:
        if name not in grid:
            msg = f"--log {name}: not a scanned parameter (scanned: {', '.join(grid)})"
            raise click.BadParameter(msg)
    _plot_target(plot_path)
    _writable(checkpoint, json_path, csv_path, root_path, plot_path)
    exps = _experiments(experiments, sets)
    cost = _cost(exps, model)
    t0 = time.perf_counter()
    res = profile_scan(
        cost,
        grid,
        fix=_floats(fix, "--fix"),
        free=list(free),
        backend=backend,  # type: ignore[arg-type]
        workers=workers,
        scheduler=scheduler,
        checkpoint=checkpoint,
        progress=not quiet and sys.stderr.isatty(),
        log_axes=list(logs),
    )
    dt = time.perf_counter() - t0
    for line in _scan_summary(res, cls, dt, backend):
        _echo(quiet, line)
    n_bad = int((~res.valid).sum())
    if n_bad:
        bad = [", ".join(f"{n} = {v:.6g}" for n, v in p.items()) for p in res.invalid_points()]
        more = f" (and {len(bad) - 10} more: all in --json)" if len(bad) > 10 else ""
        # on stderr as well under --quiet: these points are not to be trusted
        click.echo(f"warning: invalid fits at: {'; '.join(bad[:10])}{more}", err=True)
    if not res.best_fit.get("valid", True):
        click.echo("warning: the global best fit of the scan is not valid", err=True)
    if json_path:
        d = res.to_dict()
        d["experiments"] = [e.name for e in exps]
        d["model"] = model
        _write_text(json_path, json.dumps(d, indent=1) + "\n")
        _echo(quiet, f"wrote {json_path}")
    if csv_path:
        _writing(csv_path, lambda: res.to_csv(csv_path))
    if root_path:
        _writing(root_path, lambda: res.to_root(root_path))
    if plot_path:
        from cevns.viz.plotting import plot_scan, save

        written = _writing(plot_path, lambda: save(plot_scan(res, cls=cls), plot_path))
        _echo(quiet, "wrote " + ", ".join(map(str, written)))


#: The scan summary names at most this many profiled (nuisance) parameters and invalid points.
_SUMMARY_NUISANCES = 12
_SUMMARY_INVALID = 5


def _scan_summary(res: Any, cls: tuple[float, ...], seconds: float, backend: str) -> list[str]:
    """Lines of the scan summary: a screen at most, whatever the grid and the model.

    The best fit (scanned parameters, then at most ``_SUMMARY_NUISANCES`` profiled ones),
    the invalid fits (at most ``_SUMMARY_INVALID``) and, per confidence level, the interval
    of a 1-D scan or, for a 2-D scan, the projection of the region on each axis (the
    profile over the other axis, with the 2-dof threshold).
    """
    import numpy as np

    shape = " x ".join(str(a.size) for a in res.axes)
    n_bad = int((~res.valid).sum())
    lines = [
        f"scanned {res.chi2.size} points ({shape}) in {seconds:.1f} s ({backend}); "
        f"chi2_min = {res.chi2_min:.4f}; invalid fits: {n_bad}",
        "best fit:",
    ]
    values = res.best_fit["values"]
    scanned = [k for k in res.names if k in values]
    others = [k for k in values if k not in res.names]
    width = max((len(k) for k in values), default=0)
    lines += [f"  {k:{width}s}  {values[k]:.6g}" for k in [*scanned, *others[:_SUMMARY_NUISANCES]]]
    if len(others) > _SUMMARY_NUISANCES:
        lines.append(f"  ... and {len(others) - _SUMMARY_NUISANCES} more (see --json)")
    if n_bad:
        bad = [
            ", ".join(
                f"{n} = {res.axes[k][i]:.6g}"
                for k, (n, i) in enumerate(zip(res.names, idx, strict=True))
            )
            for idx in list(zip(*np.nonzero(~res.valid), strict=True))[:_SUMMARY_INVALID]
        ]
        more = f" (and {n_bad - len(bad)} more)" if n_bad > len(bad) else ""
        lines.append(f"invalid fits at: {'; '.join(bad)}{more}")
    if len(res.names) == 1:
        lines += [f"{res.names[0]}: {res.interval(cl, 1)}" for cl in cls]
    else:
        lines.append("allowed region (2 dof), projected on each axis:")
        for cl in cls:
            n_out = int(res.excluded(cl, 2).sum())
            lines.append(f"  at {cl:.4g} CL: {n_out} of {res.chi2.size} grid points excluded")
            for k, name in enumerate(res.names):
                projected = res.reduce(res.names[1 - k]).interval(cl, 2)
                lines.append(f"    {name}: {projected}")
    return lines


# ---------------------------------------------------------------------- reproduce
def _reproduce_help() -> str:
    from cevns.reproduce.runner import TITLES

    lines = "\n".join(f"  {name:13s} {title}" for name, title in TITLES.items())
    return (
        "Reproduce published results and write summaries and plots into --out.\n\n"
        f"NAME is one or more of:\n\n\b\n{lines}\n"
        "  all           every analysis and validation.md\n\n"
        "Several analyses run on --jobs worker processes.\n\n"
        "Example: cevns reproduce flagship --out out"
    )


def _analyses() -> list[str]:
    from cevns.reproduce.runner import ANALYSES

    return [*ANALYSES, "all"]


@click.command("reproduce", help=_reproduce_help())
@click.argument("names", type=click.Choice(_analyses()), metavar="NAME...", nargs=-1, required=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out/reproduce"),
    show_default=True,
    help="Folder for the summaries, figures and (with 'all') validation.md.",
)
@click.option(
    "--validation-page",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="With 'all', also write the validation page here (e.g. docs/validation.md).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for several analyses, the longest first (default: the usable "
    "cores); 1 runs them one after the other. The results are the same.",
)
@click.option("--pdf", is_flag=True, help="Write every figure as PDF as well as PNG.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars and no tables.")
@friendly_errors
def reproduce_cmd(
    names: tuple[str, ...],
    out_dir: Path,
    validation_page: Path | None,
    jobs: int | None,
    pdf: bool,
    quiet: bool,
) -> None:
    from cevns.reproduce import runner

    if "all" in names and len(names) > 1:
        msg = f"NAME: 'all' with other names ({' '.join(names)}); give 'all' alone"
        raise click.BadParameter(msg)
    if out_dir.exists() and not out_dir.is_dir():
        msg = f"--out {out_dir}: not a folder"
        raise click.BadParameter(msg)
    _probe_folder(out_dir, f"into --out {out_dir}")
    _writable(validation_page)
    try:
        summaries = runner.run(
            names[0] if len(names) == 1 else names,
            out_dir,
            progress=not quiet,
            validation_page=validation_page,
            formats=("png", "pdf") if pdf else ("png",),
            jobs=jobs,
        )
    except runner.AnalysisFailedError as e:
        if e.worker_traceback:
            click.echo(e.worker_traceback, err=True, nl=False)
        raise
    for s in summaries:
        _echo(quiet, s.markdown())
        _echo(quiet, f"wrote {out_dir / s.analysis}/summary.json and summary.md")


# ---------------------------------------------------------------------- plot
@click.command("plot")
@click.argument("result", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Figure file to write (.png or .pdf).",
)
@friendly_errors
def plot_cmd(result: Path, out_path: Path) -> None:
    """Plot a scan result written by 'cevns scan --json'.

    Example: cevns plot scan.json --out scan.png
    """
    import numpy as np

    from cevns.stats.scan import ScanResult
    from cevns.viz.plotting import plot_scan, save

    _plot_target(out_path)
    _writable(out_path)
    try:
        d = json.loads(result.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        msg = f"{result}: not a text (JSON) file; give a scan result written by cevns scan --json"
        raise click.ClickException(msg) from None
    except json.JSONDecodeError as e:
        msg = f"{result}: not valid JSON ({e}); give a scan result written by cevns scan --json"
        raise click.ClickException(msg) from None
    if not isinstance(d, dict) or "points" not in d or "scanned" not in d:
        msg = f"{result}: not a scan result (no 'points'/'scanned'); only scans can be plotted"
        raise click.ClickException(msg)
    try:
        names = tuple(str(n) for n in d["scanned"])
        if len(names) not in (1, 2):
            msg = f"'scanned' names {len(names)} parameters, expected 1 or 2"
            raise ValueError(msg)
        axes = tuple(np.asarray(d["axes"][n], dtype=np.float64) for n in names)
        shape = tuple(a.size for a in axes)
        points = d["points"]
        if len(points) != math.prod(shape):
            msg = f"{len(points)} points for axes of shape {shape}"
            raise ValueError(msg)
        chi2 = np.array([p["chi2"] for p in points], dtype=np.float64).reshape(shape)
        valid = np.array([bool(p["valid"]) for p in points]).reshape(shape)
        prof_names = list(points[0]["profiled"]) if points else []
        prof = {
            k: np.array([p["profiled"][k] for p in points], dtype=np.float64).reshape(shape)
            for k in prof_names
        }
        best = d["best_fit"]
        log_axes = tuple(bool(v) for v in d.get("log_axes", ()))
        res = ScanResult(names, axes, chi2, valid, prof, best, log_axes)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as e:
        what = f"missing key {e.args[0]!r}" if isinstance(e, KeyError) else str(e)
        msg = f"{result}: a malformed scan result ({what}); write it again with cevns scan --json"
        raise click.ClickException(msg) from None
    written = _writing(out_path, lambda: save(plot_scan(res), out_path))
    click.echo("wrote " + ", ".join(map(str, written)))


COMMANDS = [info_cmd, fit_cmd, scan_cmd, reproduce_cmd, plot_cmd]
