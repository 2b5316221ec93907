"""``path = "registry:<name>"`` in experiment files: a registered public data file, found and
sha256-checked through cevns.data.store, so generic kinds can be declared on public data.

The reference is the shipped Dresden-II experiment (its dataset read by the Python reader
of the release): a file declaring the same spectrum with the generic ``text`` kind on
``registry:dresden_ii/data_release.txt`` and the same background must give the same
counts, errors and background-only cost, bit for bit (same numbers, same operations).
"""

import shutil
import tomllib

import numpy as np
import pytest

from cevns.config import load_experiment
from cevns.core.exceptions import InvalidConfigError
from cevns.core.files import shipped
from cevns.data import store

GENERIC = """schema = "cevns.experiment/1"
name = "dresden_ii"
likelihood = "chi2"

[flux]
kind = "reactor"
preset = "dresden_ii"

[detector]
kind = "dresden_ii"
live_days = 1.0

[dataset]
kind = "text"
path = "{path}"
centre_column = 0
count_column = 1
error_column = 2
"""


def _backgrounds_table():
    """The [[backgrounds]] table of the shipped dresden_ii.toml, as TOML text."""
    text = shipped("experiments")["dresden_ii"].read_text()
    start = text.index("[[backgrounds]]")
    end = text.index("[signal]")
    return text[start:end]


def _write(tmp_path, path):
    file = tmp_path / "generic.toml"
    file.write_text(GENERIC.format(path=path) + "\n" + _backgrounds_table())
    assert tomllib.loads(file.read_text())["backgrounds"][0]["kind"] == "lines"
    return file


def test_generic_kinds_on_registry_data_reproduce_the_shipped_experiment(tmp_path):
    generic = load_experiment(_write(tmp_path, "registry:dresden_ii/data_release.txt"))
    shipped_exp = load_experiment("dresden_ii")
    np.testing.assert_array_equal(generic.dataset.counts, shipped_exp.dataset.counts)
    np.testing.assert_array_equal(generic.dataset.errors, shipped_exp.dataset.errors)
    np.testing.assert_array_equal(generic.dataset.edges[0], shipped_exp.dataset.edges[0])
    a, b = generic.cost(signal=False), shipped_exp.cost(signal=False)
    rng = np.random.default_rng(1)
    for _ in range(3):
        args = [rng.uniform(*p.limits) if np.all(np.isfinite(p.limits)) else p.value
                for p in a.parameter_objects]  # fmt: skip
        assert a(*args) == b(*args)


def test_an_unknown_registry_file_is_named_with_a_suggestion(tmp_path):
    with pytest.raises(
        InvalidConfigError,
        match=r"dataset\.path: .*registry file 'dresden_ii/data_relase\.txt': unknown data "
        r"file .*did you mean 'dresden_ii/data_release\.txt'",
    ):
        load_experiment(_write(tmp_path, "registry:dresden_ii/data_relase.txt"))


def test_a_corrupt_registry_file_is_refused(tmp_path, monkeypatch):
    """A copy whose sha256 differs from the registry's is an error naming the file."""
    data = tmp_path / "data"
    (data / "dresden_ii").mkdir(parents=True)
    good = store.path("dresden_ii/data_release.txt")
    shutil.copy(good, data / "dresden_ii" / "data_release.txt")
    with (data / "dresden_ii" / "data_release.txt").open("a") as f:
        f.write("\n# one line more\n")
    monkeypatch.setenv(store.DATA_DIR_ENV, str(data))
    with pytest.raises(
        InvalidConfigError,
        match=r"dataset\.path: .*checksum mismatch for data file 'dresden_ii/data_release\.txt'",
    ):
        load_experiment(_write(tmp_path, "registry:dresden_ii/data_release.txt"))
