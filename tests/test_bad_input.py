"Bad inputs through the CLI: bad datasets, mistyped input paths and output folders that cannot be made each give one clear line, never a traceback."
import json
from pathlib import Path

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


PATH_PARAMS = {"baseline": "weights", "architectures": "weights", "augmentation": "weights",
               "data-requirements": "weights_dir", "deployment": "checkpoint"}  # each study's parameter that names an input file


@pytest.mark.parametrize("study", PATH_PARAMS)
def test_report_named_path_missing(study, tmp_path):
    "A mistyped weights or checkpoint path stops the study before anything runs (init auto would otherwise train from scratch)."
    name = PATH_PARAMS[study]
    r = cli("report", study, "--preset", "smoke", "-p", name, "NO_SUCH_FILE", "--out", tmp_path/"out", cwd=tmp_path)
    line = assert_clean_error(r.returncode, r.stderr, f"{name}=NO_SUCH_FILE: no such file or folder", exit_code=2)
    assert "\n" not in line and not (tmp_path/"out").exists()


def test_train_weights_missing(tmp_path):
    r = cli("train", "--weights", "NO_SUCH_FILE", "--epochs", "1", "--out", tmp_path/"out", cwd=tmp_path)
    assert_clean_error(r.returncode, r.stderr, "weights=NO_SUCH_FILE: no such file or folder", exit_code=2)
    assert not (tmp_path/"out").exists()


def _file_in_the_way(tmp_path):
    (tmp_path/"notes.txt").write_text("keep me")
    return tmp_path/"notes.txt"


@pytest.mark.parametrize("command", [["report", "baseline", "--preset", "smoke", "--out"], ["report", "all", "--preset", "smoke", "--out"],
                                     ["train", "--epochs", "1", "--out"], ["monitor", "run", "BUNDLE", "STREAM", "--log"]])
def test_output_blocked_by_a_file(command, tmp_path):
    "An output path with a file where a folder should be: one line naming that file, exit 2, and the file left as it was."
    f = _file_in_the_way(tmp_path)
    r = cli(*command, f/"sub"/"log.csv" if command[-1] == "--log" else f/"sub")
    line = assert_clean_error(r.returncode, r.stderr, f"cannot make this folder: {f} is a file", exit_code=2)
    assert "\n" not in line and f.read_text() == "keep me"


def test_output_not_writable(tmp_path):
    "An --out the system will not let us create (sysfs refuses new folders even to root) is one line with the reason."
    if not Path("/sys/kernel").is_dir(): pytest.skip("no /sys/kernel here")
    r = cli("report", "baseline", "--preset", "smoke", "--out", "/sys/kernel/imgbook-reports")
    assert_clean_error(r.returncode, r.stderr, "--out=/sys/kernel/imgbook-reports: cannot write to this folder (", exit_code=2)
