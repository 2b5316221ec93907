"""Developer sessions: ``nox -s tests``, ``nox -s lint``, ``nox -s docs`` (``pip install nox``)."""

import nox

nox.options.sessions = ["lint", "tests"]


@nox.session
def tests(session: nox.Session) -> None:
    """The README's test command in a fresh environment."""
    session.install(".[test]")
    session.run("python", "-m", "pytest", "-n", "2", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Lint and format (ruff), types (mypy --strict) and the import-layer contracts."""
    session.install(".[dev]")
    session.run("ruff", "check", "src", "tests", "benchmarks", "tutorials", "examples")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "tutorials")
    session.run("mypy", "src")
    session.run("lint-imports")


@nox.session
def docs(session: nox.Session) -> None:
    """HTML documentation (API, tutorials, validation page) into docs/_build/html."""
    session.install(".[docs]")
    session.run("sphinx-build", "-W", "-b", "html", "docs", "docs/_build/html", *session.posargs)
