import hashlib
import os
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pooch
import pytest
import requests
from click.testing import CliRunner

from cevns.cli import main
from cevns.core.exceptions import (
    ChecksumMismatchError,
    DataNotFoundError,
    InvalidConfigError,
    UnknownNameError,
)
from cevns.data import store as data

#: the shared data folder of the project (beside the checkout) or, without it, the package
SHARED = Path(os.environ.get("CEVNS_DATA_DIR") or data.shipped_dir())
DRESDEN = "dresden_ii/data_release.txt"
#: registered files: 92 of sections 1-5 of the shared data README, 7 solar files (section 9)
N_FILES = 99


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Empty data dir, package folder and cache; downloads fail as without network."""
    data_dir, cache = tmp_path / "data", tmp_path / "cache"
    data_dir.mkdir()
    monkeypatch.setenv(data.DATA_DIR_ENV, str(data_dir))
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(cache))
    monkeypatch.setattr(data, "shipped_dir", lambda: tmp_path / "not_shipped")

    def offline(*args, **kwargs):
        msg = "Failed to resolve 'raw.githubusercontent.com' (simulated offline)"
        raise requests.exceptions.ConnectionError(msg)

    monkeypatch.setattr(pooch, "retrieve", offline)
    return data_dir, cache


def _write_registry(path: Path, entries: dict[str, dict[str, str]]) -> data.Registry:
    lines = []
    for name, e in entries.items():
        lines.append(f'[files."{name}"]')
        lines += [f'{k} = "{v}"' for k, v in e.items()]
    path.write_text("\n".join(lines) + "\n")
    return data.Registry.from_file(path)


def _entry(sha: str, url: str = "https://example.org/x.txt", **extra: str) -> dict[str, str]:
    return {
        "sha256": sha,
        "url": url,
        "description": "test",
        "publication": "arXiv:0000.00000",
        "upstream": "me/repo@0",
        **extra,
    }


# --- the registry itself ----------------------------------------------------------------------
@pytest.mark.skipif(
    not (SHARED / "MANIFEST.sha256").is_file(), reason="needs the project's shared data folder"
)
def test_registry_covers_the_shared_manifest():
    # /work/shared/data/MANIFEST.sha256 lists every delivered file with its checksum
    # (sections 1-5); the solar folder (section 9) has its own MANIFEST, relative to it
    manifest = {}
    for folder in ("", "solar/"):
        for line in (SHARED / folder / "MANIFEST.sha256").read_text().splitlines():
            sha, name = line.split()
            manifest[folder + name.removeprefix("./")] = sha
    manifest.pop("README.md")
    reg = data.registry()
    assert set(reg) == set(manifest)
    assert {n: e.sha256 for n, e in reg.items()} == manifest


def test_all_registered_files_verify_in_the_data_dir():
    results = data.verify()
    assert len(results) == len(data.list_files()) == N_FILES
    assert {r.status for r in results} == {"ok"}


def test_small_datasets_ship_with_the_package(tmp_path, monkeypatch):
    """Every registered file is in the package folder with its registered checksum, and
    is found there with no data dir and an empty cache (a fresh machine)."""
    reg = data.registry()
    shipped = data.shipped_dir()
    for name, entry in reg.items():
        assert _sha(shipped / name) == entry.sha256, name
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(tmp_path / "cache"))
    assert data.path(DRESDEN) == shipped / DRESDEN
    assert not (tmp_path / "cache").exists()


def test_entries_carry_provenance():
    raw = re.compile(r"^https://raw\.githubusercontent\.com/([^/]+/[^/]+)/([0-9a-f]{40})/.+")
    for name, e in data.registry().items():
        assert all((e.description, e.publication, e.upstream)), name
        if e.archive_member:  # the Daya Bay files come from a pinned PyPI wheel
            assert e.url.endswith("dayabay_data_official-1.0.1-py3-none-any.whl"), name
            assert e.upstream == "PyPI dayabay-data-official==1.0.1"
        elif e.url:
            m = raw.match(e.url)
            assert m is not None, name
            assert e.upstream == f"{m.group(1)}@{m.group(2)}", name
        else:  # only the local transcription has no URL, and it says so
            assert name == "reactor_spectra/polyexp_coefficients.csv"
            assert "transcription" in e.note


def test_registry_file_is_found():
    source = data.registry().source
    assert source is not None
    assert source.name == "registry.toml"
    assert source.is_file()


def test_unknown_name_suggests_the_closest():
    with pytest.raises(UnknownNameError, match=r"did you mean 'dresden_ii/data_release.txt'"):
        data.path("dresden_ii/data_relase.txt")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[files.x\n", r"not valid TOML"),
        ("version = 1\n", r"no \[files"),
        ("version = 2\n", r"has version 2; this cevns reads version 1"),
        ('[files."a.txt"]\nsha256 = "00"\n', r"missing the keys"),
        ('[files."a.txt"]\ncolour = "red"\n', r"unknown keys \['colour'\]"),
    ],
)
def test_bad_registry_files(tmp_path, text, match):
    p = tmp_path / "registry.toml"
    p.write_text(text)
    with pytest.raises(InvalidConfigError, match=match):
        data.Registry.from_file(p)


def test_bad_sha256_in_registry(tmp_path):
    with pytest.raises(InvalidConfigError, match=r"sha256 must be 64 lower-case hex"):
        _write_registry(tmp_path / "r.toml", {"a.txt": _entry("abc")})


# --- checksums -------------------------------------------------------------------------------------
def test_corrupt_file_raises_checksum_mismatch(isolated):
    data_dir, _ = isolated
    copy = data_dir / DRESDEN
    copy.parent.mkdir(parents=True)
    copy.write_bytes((SHARED / DRESDEN).read_bytes().replace(b"92.851", b"92.852"))
    expected = data.registry()[DRESDEN].sha256
    with pytest.raises(
        ChecksumMismatchError, match=rf"'{DRESDEN}'.*expected sha256 {expected}, got [0-9a-f]{{64}}"
    ):
        data.path(DRESDEN)


def test_registry_with_wrong_checksum_raises(tmp_path, monkeypatch):
    reg = _write_registry(tmp_path / "r.toml", {DRESDEN: _entry("0" * 64)})
    actual = _sha(SHARED / DRESDEN)
    with pytest.raises(ChecksumMismatchError, match=rf"expected sha256 0{{64}}, got {actual}"):
        reg.path(DRESDEN)


def test_checksums_are_cached_per_process(monkeypatch):
    data.path(DRESDEN)  # hashed at most once here
    calls = []
    real = hashlib.sha256

    def counting(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(data.hashlib, "sha256", counting)
    for _ in range(3):
        data.path(DRESDEN)
    assert calls == []


# --- missing files and downloads ----------------------------------------------------------------
def test_missing_file_offline_says_what_and_how(isolated):
    data_dir, cache = isolated
    url = data.registry()[DRESDEN].url
    with pytest.raises(DataNotFoundError) as info:
        data.path(DRESDEN)
    msg = str(info.value)
    assert f"data file '{DRESDEN}' is missing" in msg
    assert str(data_dir) in msg
    assert str(cache / DRESDEN) in msg
    assert url in msg
    assert "ConnectionError" in msg
    assert "set CEVNS_DATA_DIR" in msg
    assert f"cevns data fetch {DRESDEN}" in msg
    assert "\n" not in msg


def test_missing_file_without_url(isolated):
    name = "reactor_spectra/polyexp_coefficients.csv"
    with pytest.raises(DataNotFoundError, match=r"has no public URL.*set CEVNS_DATA_DIR"):
        data.path(name)


def test_download_goes_to_the_cache_and_is_verified(isolated, monkeypatch):
    _, cache = isolated
    seen = {}

    def fake_retrieve(url, known_hash, fname, path, progressbar):
        seen.update(url=url, known_hash=known_hash)
        Path(path).mkdir(parents=True, exist_ok=True)  # as pooch does
        target = Path(path) / fname
        shutil.copy(SHARED / DRESDEN, target)
        return str(target)

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    got = data.fetch(DRESDEN)
    assert got == cache / DRESDEN
    entry = data.registry()[DRESDEN]
    assert seen == {"url": entry.url, "known_hash": f"sha256:{entry.sha256}"}
    assert data.path(DRESDEN) == got  # now found in the cache, no download


def test_download_with_wrong_hash(isolated, monkeypatch):
    def bad_hash(*args, **kwargs):
        msg = "SHA256 hash of downloaded file (x) does not match the known hash"
        raise ValueError(msg)

    monkeypatch.setattr(pooch, "retrieve", bad_hash)
    with pytest.raises(ChecksumMismatchError, match=r"wrong checksum: SHA256 hash of downloaded"):
        data.path(DRESDEN)


def test_file_inside_an_archive(tmp_path, monkeypatch):
    # the Daya Bay files are members of a wheel: a small zip stands in for it
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path / "nothing"))
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(tmp_path / "cache"))
    payload = b"E_MeV\tN\n1.0\t2.0\n2.0\t1.0\n"
    wheel = tmp_path / "pkg.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("pkg/data/table.tsv", payload)
    reg = _write_registry(
        tmp_path / "r.toml",
        {
            "sub/table.tsv": _entry(
                hashlib.sha256(payload).hexdigest(),
                url="https://example.org/pkg.whl",
                archive_member="pkg/data/table.tsv",
                archive_sha256=_sha(wheel),
            )
        },
    )

    def fake_retrieve(url, known_hash, fname, path, progressbar):
        assert known_hash == f"sha256:{_sha(wheel)}"
        Path(path).mkdir(parents=True, exist_ok=True)
        return str(shutil.copy(wheel, Path(path) / fname))

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    got = reg.path("sub/table.tsv")
    assert got == tmp_path / "cache" / "sub" / "table.tsv"
    assert got.read_bytes() == payload
    np.testing.assert_array_equal(reg.load_table("sub/table.tsv", skiprows=1), [[1, 2], [2, 1]])


# --- readers ------------------------------------------------------------------------------------
def test_load_table_handles_headers_and_bz2():
    # shapes from /work/shared/data/README.md sections 2 and 5
    off = data.load_table("coherent_csi_2017/data_coincidence_beamOff.txt")  # header line
    on = data.load_table("coherent_csi_2017/data_coincidence_beamOn.txt")
    assert off.shape == on.shape == (600, 3)
    # README: totals C-on 1207, C-off 507
    assert on[:, 2].sum() == 1207
    assert off[:, 2].sum() == 507
    hm = data.load_table(
        "reactor_spectra/dayabay_huber_mueller/reactor_antineutrino_spectra_hm_U235.tsv.bz2"
    )
    assert hm.shape == (226, 2)  # 1.75..13.0 MeV in 50 keV steps
    assert hm[0, 0] == 1.75
    assert hm[-1, 0] == 13.0


@pytest.mark.parametrize("iso", ["U235", "Pu239", "Pu241"])
def test_huber_tables_have_unique_energies(iso):
    # The data README warns about a duplicated 7.0 MeV row; these bytes have none:
    # 25 rows, 2..8 MeV in 250 keV steps (Huber 2011, arXiv:1106.0687).
    t = data.load_table(f"reactor_spectra/huber2011/{iso}-anti-neutrino-flux-250keV.dat")
    np.testing.assert_allclose(t[:, 0], np.arange(2.0, 8.01, 0.25))


def test_load_table_refuses_yaml():
    with pytest.raises(InvalidConfigError, match=r"is a YAML file; use load_yaml"):
        data.load_table("coherent_csi_2017/coherent_parameters.yaml")


def test_load_yaml_values():
    csi = data.load_yaml("coherent_csi_2017/coherent_parameters.yaml")
    # coherent_parameters.yaml: 7.47594 GWhr, 19.3 m, 0.08 nu/flavour/proton
    assert csi["beamExposure"]["value"] == 7.47594
    assert csi["neutrinosPerProton"]["value"] == 0.08
    assert [p["name"] for p in csi["acceptanceEfficiency"]["parameters"]] == ["a", "k", "x_0"]
    eps = data.load_yaml("reactor_spectra/dayabay_huber_mueller/reactor_energy_per_fission.yaml")
    # Ma et al. 2013 via the Daya Bay release
    assert eps["parameters"]["energy_per_fission"]["U235"] == [202.36, 0.26]


def test_load_yaml_parses_once_and_gives_each_caller_its_own_copy(monkeypatch):
    import yaml

    name = "coherent_csi_2017/coherent_parameters.yaml"
    monkeypatch.setattr(data, "_YAML_DOCS", {})
    parsed = []
    original = yaml.safe_load
    monkeypatch.setattr(yaml, "safe_load", lambda text: parsed.append(1) or original(text))
    first = data.load_yaml(name)
    first["beamExposure"]["value"] = -1.0  # a caller changing its copy
    second = data.load_yaml(name)
    assert len(parsed) == 1
    assert second["beamExposure"]["value"] == 7.47594  # the file's value, not the change


def test_bad_yaml_names_the_file(tmp_path, monkeypatch):
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [unclosed\n")
    reg = _write_registry(tmp_path / "r.toml", {"x/bad.yaml": _entry(_sha(bad))})
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    (tmp_path / "x").mkdir()
    shutil.copy(bad, tmp_path / "x" / "bad.yaml")
    with pytest.raises(InvalidConfigError, match=r"cannot read 'x/bad\.yaml' .* as YAML"):
        reg.load_yaml("x/bad.yaml")


# --- command line ------------------------------------------------------------------------------
def test_cli_data_list():
    result = CliRunner().invoke(main, ["data", "list"])
    assert result.exit_code == 0, result.output
    # found in CEVNS_DATA_DIR when it holds the file (the shared folder), else in the package
    data_dir = os.environ.get(data.DATA_DIR_ENV)
    where = "local" if data_dir and (Path(data_dir) / DRESDEN).is_file() else "package"
    assert re.search(
        rf"^{where}\s+dresden_ii/data_release.txt\s+\[arXiv:2202.09672\]$", result.output, re.M
    )
    # one line per file, one per release (the XENONnT release)
    assert len(result.output.splitlines()) == N_FILES + len(data.release_names())
    assert re.search(r"^\w+\s+xenonnt_8b_2026/  \(release\)", result.output, re.M)


def test_cli_data_verify_all():
    result = CliRunner().invoke(main, ["data", "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"{N_FILES} ok, 0 corrupt, 0 missing"
    assert re.search(r"^release  xenonnt_8b_2026/  ", result.output, re.M)


def test_cli_data_verify_corrupt_file(isolated):
    data_dir, _ = isolated
    (data_dir / "dresden_ii").mkdir()
    (data_dir / DRESDEN).write_text("not the data\n")
    result = CliRunner().invoke(main, ["data", "verify"])
    assert result.exit_code == 1
    assert f"MISMATCH {DRESDEN}" in result.stdout
    assert result.stderr == f"Error: 0 ok, 1 corrupt, {N_FILES - 1} missing\n"


def test_cli_errors_are_one_line_without_traceback(isolated):
    result = CliRunner().invoke(main, ["data", "fetch", DRESDEN])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: data file '{DRESDEN}' is missing")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    unknown = CliRunner().invoke(main, ["data", "verify", "nope.txt"])
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith("Error: unknown data file 'nope.txt'")


def test_cli_fetch_all_reports_failures(isolated):
    result = CliRunner().invoke(main, ["data", "fetch", "all"])
    assert result.exit_code == 1
    assert (
        result.stderr.splitlines()[-1]
        == f"Error: {N_FILES} of {N_FILES} files could not be fetched (see above)"
    )


def test_cli_fetch_present_file():
    result = CliRunner().invoke(main, ["data", "fetch", DRESDEN])
    assert result.exit_code == 0
    assert result.output.startswith(f"ok      {DRESDEN}")


# --- failed downloads leave no trace in the cache -------------------------------------------------
def _offline_http(self, url, output_file, pooch_obj, check_only=False):
    msg = "Failed to resolve 'raw.githubusercontent.com' (simulated offline)"
    raise requests.exceptions.ConnectionError(msg)


def test_failed_file_download_leaves_no_empty_cache_folders(tmp_path, monkeypatch):
    # the real pooch.retrieve (it creates <cache>/dresden_ii/ before downloading), with an
    # HTTP downloader that fails as without network
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path / "data"))
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(tmp_path / "deep" / "cache"))
    monkeypatch.setattr(data, "shipped_dir", lambda: tmp_path / "not_shipped")
    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", _offline_http)
    with pytest.raises(DataNotFoundError, match=r"simulated offline"):
        data.path(DRESDEN)
    assert not (tmp_path / "deep").exists()  # neither the cache nor its parent were left
    # a Daya Bay file (a member of a wheel): the archive folder is not left either
    with pytest.raises(DataNotFoundError, match=r"simulated offline"):
        data.path(next(n for n, e in data.registry().items() if e.archive_member))
    assert not (tmp_path / "deep").exists()


def test_failed_download_keeps_an_existing_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path / "data"))
    cache = tmp_path / "cache"
    (cache / "other").mkdir(parents=True)
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(cache))
    monkeypatch.setattr(data, "shipped_dir", lambda: tmp_path / "not_shipped")
    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", _offline_http)
    with pytest.raises(DataNotFoundError):
        data.path(DRESDEN)
    assert sorted(p.name for p in cache.iterdir()) == ["other"]


# --- releases: fetched as one archive, unpacked by pooch, verified file by file --------------------
RELEASE_FILES = {
    "README.md": b"a fake release\n",
    "data/sr0.csv": b"cs2,s1\n1,2\n",
    "templates/sr0/ac/a.h5": b"\x89HDF-not-really",
    "templates/sr0/er/b.h5": b"\x89HDF-not-really-either",
}
ROOT_IN_ARCHIVE = "fake_release-0123abc"


def _manifest_text(files: dict[str, bytes]) -> str:
    return "".join(f"{hashlib.sha256(b).hexdigest()}  ./{n}\n" for n, b in files.items())


@pytest.fixture
def fake_release(tmp_path, monkeypatch):
    """A registered release 'fake_rel' whose archive is a local zip behind a file:// URL."""
    shipped = tmp_path / "shipped" / "fake_rel" / "MANIFEST.sha256"
    shipped.parent.mkdir(parents=True)
    shipped.write_text(_manifest_text(RELEASE_FILES))
    monkeypatch.setattr(
        data, "_shipped_manifest", lambda name: tmp_path / "shipped" / name / "MANIFEST.sha256"
    )
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path / "data"))
    cache = tmp_path / "user" / "cache"
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(cache))

    def make(files=RELEASE_FILES, archive_sha256=None):
        archive = tmp_path / "archive.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for n, b in files.items():
                zf.writestr(f"{ROOT_IN_ARCHIVE}/{n}", b)
            zf.writestr(f"{ROOT_IN_ARCHIVE}/plot.ipynb", b"{}\n")  # not in the manifest
        sha = _sha(archive) if archive_sha256 is None else archive_sha256
        reg = tmp_path / "registry.toml"
        reg.write_text(
            '[releases."fake_rel"]\n'
            f'manifest_sha256 = "{_sha(shipped)}"\n'
            'doi = "10.5281/zenodo.1"\nlicence = "CC-BY-4.0"\nupstream = "me/fake@0123abc"\n'
            'publication = "arXiv:0000.00000"\ndescription = "test release"\n'
            f'archive_url = "{archive.as_uri()}"\narchive_root = "{ROOT_IN_ARCHIVE}"\n'
            f'archive_sha256 = "{sha}"\n'
            'fetch_command = "git clone https://example.org/fake {folder}"\n'
        )
        return reg

    return make, cache


def test_fetch_release_downloads_unpacks_and_verifies(fake_release, monkeypatch):
    make, cache = fake_release
    reg = make()
    rel = data.fetch_release("fake_rel", registry_file=reg)
    assert rel.root == cache / "fake_rel"
    for n, b in RELEASE_FILES.items():
        assert (rel.root / n).read_bytes() == b
    assert (rel.root / "MANIFEST.sha256").is_file()  # the shipped manifest goes with it
    assert sorted(p.name for p in cache.iterdir()) == ["fake_rel"]  # no staging, no archive
    assert data.release("fake_rel", registry_file=reg).path("data/sr0.csv").is_file()

    # a second fetch uses the verified copy: no download
    def no_download(*args, **kwargs):
        raise AssertionError("downloaded again")

    monkeypatch.setattr(pooch, "retrieve", no_download)
    assert data.fetch_release("fake_rel", registry_file=reg).root == rel.root


def test_release_derived_arrays_are_kept_and_keyed(fake_release, monkeypatch):
    make, cache = fake_release
    reg = make()
    rel = data.fetch_release("fake_rel", registry_file=reg)
    built = []

    def build(tag):
        def read():
            text = rel.path("data/sr0.csv").read_text()  # a verified file of the release
            built.append(tag)
            return {"values": np.array([len(text), 2.5]), "grid": np.arange(6.0).reshape(2, 3)}

        return read

    first = rel.derived_arrays("reader/1 a", build("a"))
    again = data.release("fake_rel", registry_file=reg).derived_arrays("reader/1 a", build("a"))
    assert built == ["a"]  # the second release object read the kept file
    assert sorted(again) == ["grid", "values"]
    for k in first:
        np.testing.assert_array_equal(again[k], first[k])
    # another key is another computation, kept beside the first
    rel.derived_arrays("reader/1 b", build("b"))
    assert built == ["a", "b"]
    kept = sorted((cache / "derived" / "fake_rel").iterdir())
    assert len(kept) == 2
    assert all(p.suffix == ".npz" for p in kept)
    # a damaged file is computed again and replaced
    for p in kept:
        p.write_bytes(b"not a zip")
    rel.derived_arrays("reader/1 a", build("a"))
    assert built == ["a", "b", "a"]
    rel.derived_arrays("reader/1 a", build("a"))
    assert built == ["a", "b", "a"]
    # a cache that cannot be written: the arrays all the same, and a warning
    blocked = cache.parent / "blocked"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setattr(data, "cache_dir", lambda: blocked)
    with pytest.warns(UserWarning, match="arrays not kept in"):
        out = rel.derived_arrays("reader/1 a", build("a"))
    np.testing.assert_array_equal(out["grid"], first["grid"])
    with pytest.raises(InvalidConfigError, match="must not use the name"):
        rel.derived_arrays("reader/1 c", lambda: {"__cevns_key__": np.zeros(1)})


def test_fetch_release_replaces_a_corrupt_cached_copy(fake_release):
    make, cache = fake_release
    reg = make()
    root = data.fetch_release("fake_rel", registry_file=reg).root
    (root / "data" / "sr0.csv").write_bytes(b"edited\n")
    (root / "templates" / "sr0" / "er" / "b.h5").unlink()
    again = data.fetch_release("fake_rel", registry_file=reg)
    assert {r.status for r in again.verify()} == {"ok"}
    assert sorted(p.name for p in cache.iterdir()) == ["fake_rel"]


def test_fetch_release_with_wrong_archive_checksum_leaves_no_folder(fake_release):
    make, cache = fake_release
    reg = make(archive_sha256="0" * 64)
    with pytest.raises(
        ChecksumMismatchError, match=r"archive of data release 'fake_rel'.*wrong checksum"
    ):
        data.fetch_release("fake_rel", registry_file=reg)
    assert not cache.parent.exists()  # neither <cache> nor its parent folder were left


def test_fetch_release_lists_every_file_the_archive_lacks(fake_release):
    make, cache = fake_release
    partial = {k: v for k, v in RELEASE_FILES.items() if not k.startswith("templates/")}
    reg = make(files=partial)
    with pytest.raises(DataNotFoundError) as info:
        data.fetch_release("fake_rel", registry_file=reg)
    msg = str(info.value)
    assert "lacks 2 of 4 files" in msg
    assert "templates/sr0/ac/a.h5, templates/sr0/er/b.h5" in msg
    assert not cache.parent.exists()


def test_fetch_release_refuses_corrupt_archive_members(fake_release):
    make, cache = fake_release
    reg = make(files={**RELEASE_FILES, "data/sr0.csv": b"cs2,s1\n1,3\n"})
    with pytest.raises(ChecksumMismatchError, match=r"fake_rel/data/sr0\.csv \(expected"):
        data.fetch_release("fake_rel", registry_file=reg)
    assert not cache.parent.exists()


def test_incomplete_release_lists_every_missing_file(fake_release):
    make, _ = fake_release
    reg = make()
    root = data.fetch_release("fake_rel", registry_file=reg).root
    (root / "templates" / "sr0" / "ac" / "a.h5").unlink()
    (root / "README.md").unlink()
    with pytest.raises(DataNotFoundError) as info:
        data.release("fake_rel", registry_file=reg)
    msg = str(info.value)
    assert "2 of 4 files missing (README.md, templates/sr0/ac/a.h5)" in msg
    assert "Fetch it: `cevns data fetch fake_rel`" in msg


def test_many_missing_files_are_listed_per_folder():
    # beyond 20 names, every folder with its count (the whole XENONnT release is 6,928)
    missing = [f"templates/sr0/mono/m{i}.h5" for i in range(30)] + ["data/sr0.csv"]
    assert data._list_missing(missing) == "templates/sr0/mono/: 30 files; data/: 1 files"
    assert data._list_missing(missing[:3]) == ", ".join(missing[:3])


def test_fetch_release_offline_is_one_clear_error(isolated):
    _, cache = isolated
    with pytest.raises(DataNotFoundError) as info:
        data.fetch_release("xenonnt_8b_2026")
    msg = str(info.value)
    assert msg.startswith(
        "data release 'xenonnt_8b_2026' (10.5281/zenodo.20576156, CC-BY-4.0) could not be fetched"
    )
    assert "github.com/XENONnT/cevns_data_release/archive/60d230dd" in msg
    assert "simulated offline" in msg
    assert "Retry with network access" in msg
    assert not cache.exists()  # no staging folder, no empty cache


def test_cli_fetch_release_offline(isolated):
    _, cache = isolated
    result = CliRunner().invoke(main, ["data", "fetch", "xenonnt_8b_2026"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: data release 'xenonnt_8b_2026'")
    assert result.stderr.count("\n") == 1
    assert not cache.exists()


def test_missing_release_names_the_fetch_command(isolated):
    with pytest.raises(DataNotFoundError) as info:
        data.release("xenonnt_8b_2026")
    msg = str(info.value)
    assert "all 6928 files of its manifest are missing" in msg  # the shipped manifest's count
    assert "Fetch it: `cevns data fetch xenonnt_8b_2026`" in msg


def test_shipped_manifest_is_the_registered_one():
    # the manifest ships with the package so that a fetched or cloned release can be verified
    rel = data.locate_release("xenonnt_8b_2026")
    shipped = data._shipped_manifest("xenonnt_8b_2026")
    assert _sha(shipped) == rel.manifest_sha256
    assert len(data._read_manifest(shipped, rel)) == 6928  # shared/data README section 8


def test_verify_release_lists_missing_files(fake_release):
    make, _ = fake_release
    reg = make()
    root = data.fetch_release("fake_rel", registry_file=reg).root
    (root / "data" / "sr0.csv").unlink()
    full = data.locate_release("fake_rel", registry_file=reg).verify()
    assert [r.name for r in full if r.status == "missing"] == ["fake_rel/data/sr0.csv"]
    assert sum(r.status == "ok" for r in full) == 3


@pytest.mark.skipif(
    not (SHARED / "xenonnt_8b_2026" / "MANIFEST.sha256").is_file(),
    reason="needs the XENONnT release in the shared data folder",
)
def test_cli_verify_release_ok():
    result = CliRunner().invoke(main, ["data", "verify", "xenonnt_8b_2026"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "6928 ok, 0 corrupt, 0 missing"


def test_cli_verify_missing_release(isolated):
    result = CliRunner().invoke(main, ["data", "verify", "xenonnt_8b_2026"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 6928  # every missing file, one per line
    assert all(line.startswith("missing  xenonnt_8b_2026/") for line in lines)
    assert result.stderr == "Error: 0 ok, 0 corrupt, 6928 missing\n"


def test_bad_release_registry_is_a_clear_error(tmp_path):
    bad = tmp_path / "r.toml"
    bad.write_text('[releases."x"]\nmanifest_sha256 = \n')
    with pytest.raises(InvalidConfigError, match=r"data registry .*r\.toml is not valid TOML"):
        data.release("x", registry_file=bad)
    with pytest.raises(DataNotFoundError, match=r"data registry .*nope\.toml does not exist"):
        data.release("x", registry_file=tmp_path / "nope.toml")


def test_registry_is_read_once_per_file_version(tmp_path, monkeypatch):
    """registry() parses the shipped TOML once per process (every load_experiment asks for
    it) and again only when the file changes (its mtime or size)."""
    store = data
    copy = tmp_path / "registry.toml"
    shutil.copy(store._default_registry_file(), copy)
    monkeypatch.setattr(store, "_default_registry_file", lambda: copy)
    monkeypatch.setattr(store, "_REGISTRY_CACHE", [None, None])
    first = store.registry()
    assert store.registry() is first
    with copy.open("a") as fh:
        fh.write("\n# edited\n")
    again = store.registry()
    assert again is not first
    assert list(again) == list(first)
