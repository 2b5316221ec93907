"""Command-line interface: ``cevns <group> <command>``.

One function per subcommand; errors are printed as a single line on stderr with exit code 1
(through :class:`click.ClickException`), never as a traceback. Add a group with
``main.add_command`` or the ``@main.group()`` decorator.

Examples
--------
>>> from click.testing import CliRunner
>>> result = CliRunner().invoke(main, ["data", "verify", "dresden_ii/data_release.txt"])
>>> result.exit_code
0
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from cevns import __version__
from cevns.core.exceptions import CevnsError
from cevns.data import store as _data

__all__ = ["main"]


def __dir__() -> list[str]:
    return __all__


@contextmanager
def _errors() -> Iterator[None]:
    """Turn cevns errors into one-line click errors (exit code 1)."""
    try:
        yield
    except CevnsError as exc:
        raise click.ClickException(" ".join(str(exc).split())) from exc


@click.group()
@click.version_option(__version__, prog_name="cevns")
def main() -> None:
    """cevns: CEvNS and neutrino NSI statistical framework.

    Runs with one BLAS thread unless OMP_NUM_THREADS or OPENBLAS_NUM_THREADS is set:
    cevns computes many small matrix products; parallel work comes from the scan
    backends.

    Example: cevns fit dresden_ii --model sm_tree --json fit.json
    """
    one_blas_thread()


#: Environment variables with which a user chooses the BLAS threads (then left alone).
BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> None:
    """Limit BLAS to one thread for the process, unless the user set it in the environment.

    The matrices of cevns are small (templates of a few hundred bins, quadratic forms of a
    few parameters): a second BLAS thread gains little on an idle machine and costs a
    factor of several when the cores are busy (two test workers or two scan processes on
    two cores each spawning BLAS threads), and one thread gives the same numbers on every
    backend (see :mod:`cevns.stats.scan`).
    """
    import os

    if any(v in os.environ for v in BLAS_THREAD_VARIABLES):
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


@main.group("data")
def data_group() -> None:
    """Registered public data files: list, fetch, verify.

    Files are looked up in $CEVNS_DATA_DIR (if set), then in the package (the small
    public datasets ship with cevns), then in the cache ($CEVNS_CACHE_DIR or the user
    cache), and downloaded from their pinned upstream URL if needed.

    Example: cevns data list --long
    """


def _where(name: str) -> str:
    found = _data.registry().locate(name)
    if found is not None:
        if _data.cache_dir() in found.parents:
            return "cache"
        return "package" if _data.shipped_dir() in found.parents else "local"
    return "remote" if _data.registry()[name].downloadable else "absent"


@data_group.command("list")
@click.option("--long", "-l", "long_", is_flag=True, help="Also print descriptions.")
def data_list(long_: bool) -> None:
    """List registered files: where (local/package/cache/remote/absent), name, publication.

    Example: cevns data list --long
    """
    with _errors():
        reg = _data.registry()
        for name, entry in reg.items():
            click.echo(f"{_where(name):8s} {name}  [{entry.publication}]")
            if long_:
                click.echo(f"        {entry.description}")


@data_group.command("fetch")
@click.argument("name")
def data_fetch(name: str) -> None:
    """Make sure NAME (a registered path, or 'all') is available locally and intact.

    Example: cevns data fetch dresden_ii/data_release.txt
    """
    with _errors():
        names = _data.list_files() if name == "all" else [name]
        failed: list[str] = []
        for n in names:
            try:
                where = _data.fetch(n)
            except CevnsError as exc:
                if name != "all":
                    raise
                failed.append(n)
                click.echo(f"FAILED  {n}: {' '.join(str(exc).split())}", err=True)
            else:
                click.echo(f"ok      {n}  {where}")
        if failed:
            msg = f"{len(failed)} of {len(names)} files could not be fetched (see above)"
            raise click.ClickException(msg)


@data_group.command("verify")
@click.argument("name", required=False)
def data_verify(name: str | None) -> None:
    """Check the sha256 of local copies of NAME (default: every registered file).

    Exit code 1 if a file is corrupt or missing.

    Example: cevns data verify dresden_ii/QF_Fef_YBe.txt
    """
    with _errors():
        results = _data.verify(name)
    show: dict[str, Callable[[_data.VerifyResult], str]] = {
        "ok": lambda r: f"ok       {r.name}  {r.path}",
        "missing": lambda r: f"missing  {r.name}",
        "mismatch": lambda r: f"MISMATCH {r.name}  {r.path}: expected {r.expected}, got {r.actual}",
    }
    for r in results:
        click.echo(show[r.status](r))
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "mismatch", "missing")}
    summary = f"{counts['ok']} ok, {counts['mismatch']} corrupt, {counts['missing']} missing"
    if counts["mismatch"] or counts["missing"]:
        raise click.ClickException(summary)
    click.echo(summary)


def _register_analysis_commands() -> None:
    from cevns.cli.commands import COMMANDS

    for cmd in COMMANDS:
        main.add_command(cmd)


_register_analysis_commands()
