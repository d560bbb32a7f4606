"""sim.io: files replaced whole or not at all, folders of files placed all or nothing, JSON with
NaN and infinities as null, and the leftovers of a killed writer cleared."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from sim.io import (
    dumps_json,
    finite_json,
    remove_temporaries,
    write_file,
    write_json,
    write_tree,
)


def names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- JSON -------------------------------------------------------------------------------------


def test_non_finite_numbers_become_null_at_any_depth():
    value = {"a": [1.0, math.nan, (math.inf, -math.inf)], "b": {"c": 2}, "d": "x"}
    assert finite_json(value) == {"a": [1.0, None, [None, None]], "b": {"c": 2}, "d": "x"}
    assert json.loads(dumps_json(value)) == finite_json(value)


def test_dumps_json_is_readable_utf8_with_a_final_newline():
    assert dumps_json({"城市": "驻马店", "n": 1}) == '{\n  "城市": "驻马店",\n  "n": 1\n}\n'
    assert dumps_json([1, math.nan], indent=None) == "[1, null]\n"


def test_dumps_json_takes_a_default_for_other_objects(tmp_path):
    assert dumps_json({"p": tmp_path}, indent=None, default=str) == f'{{"p": "{tmp_path}"}}\n'
    with pytest.raises(TypeError):
        dumps_json({"p": tmp_path})


# --- one file ---------------------------------------------------------------------------------


def test_write_file_takes_text_bytes_or_a_writer(tmp_path):
    write_file(tmp_path / "a.txt", "洪水\n")
    write_file(tmp_path / "b.bin", b"\x00\x01")
    frame = pd.DataFrame({"x": [1, 2]})
    write_file(tmp_path / "c.parquet", lambda p: frame.to_parquet(p, index=False))
    assert (tmp_path / "a.txt").read_bytes() == "洪水\n".encode()
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "c.parquet"), frame)
    assert names(tmp_path) == ["a.txt", "b.bin", "c.parquet"]  # no temporary left


def test_write_file_leaves_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "manifest.json"
    write_json(target, {"status": "running"})

    def fail(path):
        path.write_text('{"status": "comp', encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_file(target, fail)
    assert json.loads(target.read_text(encoding="utf-8")) == {"status": "running"}
    assert names(tmp_path) == ["manifest.json"]


def test_remove_temporaries_clears_what_a_killed_writer_left(tmp_path):
    (tmp_path / "kept.parquet").write_bytes(b"PAR1")
    (tmp_path / ".kept.parquet.x1y2.tmp").write_bytes(b"PAR")   # write_file's temporary
    (tmp_path / ".out.k3j4.tmp").mkdir()                        # write_tree's staging folder
    (tmp_path / ".out.k3j4.tmp" / "a.txt").write_text("a", encoding="utf-8")
    (tmp_path / ".lock").write_bytes(b"")                       # someone else's hidden file
    remove_temporaries(tmp_path)
    assert names(tmp_path) == [".lock", "kept.parquet"]
    remove_temporaries(tmp_path / "missing")                    # no folder: nothing to do


# --- a folder of files ------------------------------------------------------------------------


def test_write_tree_leaves_nothing_when_a_writer_fails(tmp_path):
    def fail(path):
        path.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="disk full"):
        write_tree(out, {"a.txt": "a", "b.txt": fail, "c.txt": "c"})
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no staging folder left behind


def test_write_tree_keeps_an_existing_folder_untouched_on_failure(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("old", encoding="utf-8")

    def fail(path):
        raise OSError("no space")

    with pytest.raises(OSError, match="no space"):
        write_tree(out, {"a.txt": "new", "b.txt": fail})
    assert names(tmp_path) == ["out"]
    assert names(out) == ["a.txt"]
    assert (out / "a.txt").read_text(encoding="utf-8") == "old"


def test_write_tree_replaces_files_and_keeps_the_others(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("old", encoding="utf-8")
    (out / "z.txt").write_text("other", encoding="utf-8")
    placed = write_tree(out, {"a.txt": lambda p: p.write_text("new", encoding="utf-8"),
                              "sub/b.txt": b"b"})
    assert placed == [out / "a.txt", out / "sub" / "b.txt"]
    assert (out / "a.txt").read_text(encoding="utf-8") == "new"
    assert (out / "sub" / "b.txt").read_bytes() == b"b"
    assert names(out) == ["a.txt", "sub", "z.txt"]
    assert names(tmp_path) == ["out"]


def test_write_tree_fresh_refuses_a_folder_with_files(tmp_path):
    out = tmp_path / "out"
    write_tree(out, {"a.txt": "a"}, fresh=True)
    assert names(out) == ["a.txt"]
    with pytest.raises(FileExistsError):
        write_tree(out, {"b.txt": "b"}, fresh=True)
    assert names(out) == ["a.txt"]


def test_write_tree_refuses_a_file_as_target(tmp_path):
    target = tmp_path / "out"
    target.write_text("not a folder", encoding="utf-8")
    with pytest.raises(NotADirectoryError):
        write_tree(target, {"a.txt": "a"})
