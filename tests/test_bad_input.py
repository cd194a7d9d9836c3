"Bad datasets through `imgbook data check` and `imgbook report baseline --data`: each gives a clear message, never a traceback."
import json

import pytest

from conftest import assert_clean_error, cli, make_dataset

FATAL = {  # kind of dataset -> what the message must say
    "missing_path": "does not exist",
    "single_class": "only one class ('a'); classification needs at least two",
    "csv_missing_column": "missing column 'label' or 'class' (columns: path, kind)",
}
BAD_FILES = {  # kind -> the file that must be named (the dataset is otherwise fine)
    "empty_file": "a/empty.png",
    "truncated_jpeg": "b/truncated.jpg",
    "text_as_png": "c/notes.png",
}


@pytest.mark.parametrize("kind", FATAL)
def test_data_check_fatal(kind, tmp_path):
    spec = make_dataset(kind, tmp_path)
    r = cli("data", "check", spec)
    assert_clean_error(r.returncode, r.stderr, FATAL[kind], exit_code=1)
    assert "verdict: NOT usable" in r.stdout


@pytest.mark.parametrize("kind", BAD_FILES)
def test_data_check_bad_file(kind, tmp_path):
    spec = make_dataset(kind, tmp_path)
    r = cli("data", "check", spec)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert f"{BAD_FILES[kind]}: " in r.stdout and "verdict: usable" in r.stdout, r.stdout
    r = cli("data", "check", spec, "--strict")
    assert_clean_error(r.returncode, r.stderr, "unreadable file(s) (strict)", BAD_FILES[kind], exit_code=1)


def test_data_check_empty_class_folder(tmp_path):
    r = cli("data", "check", make_dataset("empty_class", tmp_path))
    assert "Traceback" not in r.stderr
    said = [l for l in (r.stdout + r.stderr).splitlines() if "warning" in l or "FATAL" in l or "error" in l]
    assert any("'d'" in l or " d/" in l or " d " in l for l in said), "the empty class folder d/ is ignored without a word:\n" + r.stdout


@pytest.mark.parametrize("kind", FATAL)
def test_report_fatal(kind, tmp_path):
    r = cli("report", "baseline", "--preset", "smoke", "--data", make_dataset(kind, tmp_path), "--out", tmp_path/"out")
    line = assert_clean_error(r.returncode, r.stderr, FATAL[kind], exit_code=2)
    assert "\n" not in line
    assert not (tmp_path/"out"/"baseline.json").exists() and not (tmp_path/"out"/"baseline.html").exists()


def test_report_skips_bad_files(tmp_path):
    "A folder with an empty file, a truncated JPEG and a text file named .png still renders; STUDY.json lists the skipped files."
    spec = make_dataset("bad_files", tmp_path)
    r = cli("report", "baseline", "--preset", "smoke", "--data", spec, "--out", tmp_path/"out")
    assert r.returncode == 0, r.stdout + r.stderr
    d = json.loads((tmp_path/"out"/"baseline.json").read_text())["data"]
    assert d["spec"] == spec and d["classes"] == ["a", "b", "c"] and d["n_test"] > 0
    assert sorted(f["path"] for f in d["skipped_files"]) == sorted(BAD_FILES.values())
    assert all(f["reason"] for f in d["skipped_files"])
