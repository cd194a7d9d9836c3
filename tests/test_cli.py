"The `imgbook` command: version, studies, argument errors."
import subprocess, sys

import pytest

import imgbook
from conftest import cli
from imgbook.cli import main


def test_version():
    r = cli("--version")
    assert (r.returncode, r.stdout, r.stderr) == (0, f"imgbook {imgbook.__version__}\n", "")


def test_version_does_not_load_torch():
    code = "import sys; from imgbook.cli import main; rc = main(['--version']); print(rc, 'torch' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.splitlines()[-1] == "0 False", r.stdout + r.stderr


def test_studies_lists_questions_and_parameters():
    r = cli("studies")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("baseline  (") and "How well does a standard CNN do" in r.stdout
    if "not available yet" not in r.stdout.splitlines()[0]:
        assert "--preset smoke: " in r.stdout and "-p epochs" in r.stdout and "default 'synthetic'" in r.stdout


@pytest.mark.parametrize("argv,needle", [
    ([], "the following arguments are required: COMMAND"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["report"], "the following arguments are required: study"),
    (["report", "baseline", "-p", "epochs"], "expected 2 arguments"),
    (["data", "check"], "the following arguments are required: SPEC"),
    (["train", "--epochs", "many"], "invalid int value: 'many'"),
    (["bench", "--img-size", "big"], "invalid int value: 'big'"),
])
def test_bad_arguments(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_unknown_study_is_one_line():
    r = cli("report", "no-such-study")
    assert r.stderr.startswith("imgbook: error: unknown study 'no-such-study'; valid studies: baseline, ") and r.returncode == 2
    assert len(r.stderr.splitlines()) == 1


def test_help_lists_the_subcommands():
    r = cli("--help")
    assert r.returncode == 0 and all(c in r.stdout for c in ("studies", "report", "data", "train", "bench"))


def test_train_smoke(tmp_path):
    r = cli("train", "--model", "mobilenetv3_small", "--epochs", "1", "--img-size", "32", "--n-synthetic", "120",
            "--augment", "none", "--out", tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "mobilenetv3_small: accuracy " in r.stdout and (tmp_path/"experiments.csv").exists()
    assert len(list((tmp_path/"checkpoints").glob("*.pt"))) == 1


def test_bench_smoke():
    r = cli("bench", "--models", "mobilenetv3_small", "--img-size", "32")
    assert r.returncode == 0, r.stdout + r.stderr
    header, row = r.stdout.splitlines()[:2]
    assert header.split()[:3] == ["model", "family", "backend"] and row.split()[:3] == ["mobilenetv3_small", "cnn", "torch"]


def test_unknown_model_is_one_line(tmp_path):
    r = cli("train", "--model", "resnet1800", "--n-synthetic", "60", "--out", tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("imgbook: error: model='resnet1800': unknown model; valid: resnet18")
