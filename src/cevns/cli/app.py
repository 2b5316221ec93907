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


def _release_status(name: str) -> tuple[str, str]:
    """(where, detail) of a data release: local/cache/incomplete/remote."""
    try:
        rel = _data.release(name)
    except CevnsError as exc:
        text = " ".join(str(exc).split())
        return ("incomplete" if "is incomplete" in text else "remote"), text
    assert rel.root is not None
    return ("cache" if _data.cache_dir() in rel.root.parents else "local"), str(rel.root)


@data_group.command("list")
@click.option("--long", "-l", "long_", is_flag=True, help="Also print descriptions.")
def data_list(long_: bool) -> None:
    """List registered files and releases: where, name, publication.

    Where is one of local (in $CEVNS_DATA_DIR), package, cache, remote (downloadable),
    absent, or incomplete (a release folder lacking files).

    Example: cevns data list --long
    """
    with _errors():
        reg = _data.registry()
        for name, entry in reg.items():
            click.echo(f"{_where(name):8s} {name}  [{entry.publication}]")
            if long_:
                click.echo(f"        {entry.description}")
        for name in _data.release_names():
            rel = _data.locate_release(name)
            click.echo(f"{_release_status(name)[0]:8s} {name}/  (release) [{rel.publication}]")
            if long_:
                click.echo(f"        {rel.description}")


@data_group.command("fetch")
@click.argument("name")
def data_fetch(name: str) -> None:
    """Make sure NAME is available locally and intact, downloading it if needed.

    NAME is a registered file, a release (a folder of many files, e.g. xenonnt_8b_2026:
    one archive is downloaded, unpacked and every file checked) or 'all' (every registered
    file; releases are fetched by name).

    Example: cevns data fetch xenonnt_8b_2026
    """
    with _errors():
        if name in _data.release_names():
            rel = _data.fetch_release(name, progressbar=True)
            click.echo(f"ok      {name}/  {rel.root}  ({len(rel.manifest())} files verified)")
            return
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

    NAME may be a release (every file of its manifest is hashed and each missing one
    listed). Without NAME, the releases' state is reported too: an absent release is
    optional, an incomplete or corrupt one is an error. Exit code 1 if a file is corrupt
    or missing.

    Example: cevns data verify xenonnt_8b_2026
    """
    releases = _data.release_names()
    with _errors():
        release = _data.locate_release(name) if name in releases else None
        results = release.verify() if release is not None else _data.verify(name)
    show: dict[str, Callable[[_data.VerifyResult], str]] = {
        "ok": lambda r: f"ok       {r.name}  {r.path}",
        "missing": lambda r: f"missing  {r.name}",
        "mismatch": lambda r: f"MISMATCH {r.name}  {r.path}: expected {r.expected}, got {r.actual}",
    }
    for r in results:
        if not (name in releases and r.status == "ok"):  # a release: only the problems
            click.echo(show[r.status](r))
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "mismatch", "missing")}
    summary = f"{counts['ok']} ok, {counts['mismatch']} corrupt, {counts['missing']} missing"
    bad_release = ""
    if name is None:
        for rel in releases:
            where, detail = _release_status(rel)
            state = "absent (optional)" if where == "remote" else where
            click.echo(f"release  {rel}/  {state}" + (f": {detail}" * (where != "remote")))
            if where == "incomplete":
                bad_release = f"; release {rel} incomplete (cevns data verify {rel} lists it)"
    if counts["mismatch"] or counts["missing"] or bad_release:
        raise click.ClickException(summary + bad_release)
    click.echo(summary)


def _register_analysis_commands() -> None:
    from cevns.cli.commands import COMMANDS

    for cmd in COMMANDS:
        main.add_command(cmd)


_register_analysis_commands()
