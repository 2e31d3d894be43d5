"""The CT package's table kept per installation (cdiscflow/standards/ctcache.py): used only
when it was made from exactly the shipped bytes, and never in the way when it cannot be."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from cdiscflow.standards import ct, ctcache

COLUMNS = ("Code", "Name")


def _parser(calls: list[bytes]):  # noqa: ANN202 - a parse function counting its calls
    def parse(source: bytes) -> pa.Table:
        calls.append(source)
        codes, names = zip(*(line.split("=") for line in source.decode().split(";")),
                           strict=True)
        return pa.table({"Code": list(codes), "Name": list(names), "Extra": ["x"] * len(codes)})
    return parse


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(ctcache.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _expected(*rows: tuple[str, str]) -> dict[str, list[str]]:
    return {"Code": [r[0] for r in rows], "Name": [r[1] for r in rows]}


def test_parsed_once_then_read_back(folder: Path) -> None:
    calls: list[bytes] = []
    first = ctcache.cached_table(b"C1=Sex;C2=Race", COLUMNS, _parser(calls))
    second = ctcache.cached_table(b"C1=Sex;C2=Race", COLUMNS, _parser(calls))
    assert len(calls) == 1
    assert first.to_pydict() == second.to_pydict() == _expected(("C1", "Sex"), ("C2", "Race"))
    assert second.schema.metadata is None
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 1 and files[0].startswith("ct-") and files[0].endswith("-v1.arrow")


def test_other_content_is_never_served_a_stale_table(folder: Path) -> None:
    calls: list[bytes] = []
    ctcache.cached_table(b"C1=Sex", COLUMNS, _parser(calls))
    got = ctcache.cached_table(b"C1=Gender", COLUMNS, _parser(calls))
    assert got.to_pydict() == _expected(("C1", "Gender"))
    assert len(calls) == 2 and len(list(folder.iterdir())) == 2


def test_a_file_renamed_to_another_content_hash_is_refused(folder: Path) -> None:
    calls: list[bytes] = []
    ctcache.cached_table(b"C1=Sex", COLUMNS, _parser(calls))
    made = next(folder.iterdir())
    # the table of b"C1=Sex" placed where b"C1=Gender"'s would be: its stamp says otherwise
    ctcache.cached_table(b"C1=Gender", COLUMNS, _parser(calls))
    other = next(p for p in folder.iterdir() if p != made)
    other.write_bytes(made.read_bytes())
    got = ctcache.cached_table(b"C1=Gender", COLUMNS, _parser(calls))
    assert got.to_pydict() == _expected(("C1", "Gender"))
    assert len(calls) == 3


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_damaged_file_is_rebuilt(folder: Path, damage: str) -> None:
    calls: list[bytes] = []
    ctcache.cached_table(b"C1=Sex;C2=Race", COLUMNS, _parser(calls))
    path = next(folder.iterdir())
    data = path.read_bytes()
    path.write_bytes({"garbage": b"not arrow at all" * 10, "truncated": data[: len(data) // 2],
                      "empty": b""}[damage])
    got = ctcache.cached_table(b"C1=Sex;C2=Race", COLUMNS, _parser(calls))
    assert got.to_pydict() == _expected(("C1", "Sex"), ("C2", "Race"))
    assert len(calls) == 2
    assert path.read_bytes() == data  # rewritten whole, the same bytes as the first time


def test_other_columns_are_refused(folder: Path) -> None:
    calls: list[bytes] = []
    ctcache.cached_table(b"C1=Sex", COLUMNS, _parser(calls))
    got = ctcache.cached_table(b"C1=Sex", ("Code",), _parser(calls))
    assert got.to_pydict() == {"Code": ["C1"]} and len(calls) == 2


def test_a_folder_that_cannot_be_written_means_parsing_each_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(ctcache.CACHE_ENV, str(blocker / "cache"))
    calls: list[bytes] = []
    for _ in range(2):
        got = ctcache.cached_table(b"C1=Sex", COLUMNS, _parser(calls))
        assert got.to_pydict() == _expected(("C1", "Sex"))
    assert len(calls) == 2 and blocker.read_text() == "not a folder"


def test_where_the_cache_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ctcache.CACHE_ENV, "")
    assert ctcache.cache_dir() is None
    calls: list[bytes] = []
    ctcache.cached_table(b"C1=Sex", COLUMNS, _parser(calls))
    ctcache.cached_table(b"C1=Sex", COLUMNS, _parser(calls))
    assert len(calls) == 2
    monkeypatch.delenv(ctcache.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert ctcache.cache_dir() == tmp_path / "xdg" / "cdiscflow"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert ctcache.cache_dir() == tmp_path / "home" / ".cache" / "cdiscflow"


def test_codelists_from_the_shipped_package() -> None:
    sex = ct.codelist("SEX")
    assert ct.codelist("C66731") is sex
    assert (sex.code, sex.name, sex.extensible) == ("C66731", "Sex", False)
    assert [(t.code, t.submission_value, t.synonyms) for t in sex.terms] == [
        ("C16576", "F", ("Female",)), ("C45908", "INTERSEX", ()), ("C20197", "M", ("Male",)),
        ("C17998", "U", ("U", "UNK", "Unknown"))]
    race = ct.codelist("RACE")
    assert (race.terms[-1].code, race.terms[-1].submission_value) == (None, "MULTIPLE")
    assert len(ct.codelist_names()) == 1158 and ct.codelist_names()[:2] == ["A4STR1TC",
                                                                            "A4STR1TN"]
    assert ct.find_codelist("NOPE") is None and ct.find_codelist("") is None
