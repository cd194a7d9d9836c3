"The report runner: parameter injection, validation, never overwriting, failures, the index, STUDY.json."
import json, time
from dataclasses import replace

import nbformat
import pytest

from conftest import FIXTURES, REPO, assert_clean_error, assert_reader_html, cli, good_folder
from imgbook.bundle import load_bundle
from imgbook.cli import main
from imgbook.core import ImgbookError
from imgbook import report
from imgbook.report import render, render_all, save_study, study_notebook, study_params, validate_params


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_injected_values_reach_the_run(tiny_study, tmp_path):
    r = render(tiny_study, out=tmp_path, preset="smoke", params={"lr": "0.5", "tags": "x,y"})
    d = json.loads(r["json"].read_text())
    assert d["params"] == {"data": "synthetic", "epochs": 2, "lr": 0.5, "tags": ["x", "y"]}  # preset epochs=2, -p lr and tags
    assert r["ipynb"].exists() and "Train longer." in r["html"].read_text()


def test_cli_param_beats_preset(tiny_study, tmp_path, capsys):
    code, out, err = run(capsys, "report", tiny_study, "--preset", "full", "-p", "epochs", "7", "--out", tmp_path)
    assert code == 0, err
    assert json.loads((tmp_path/"tiny.json").read_text())["params"]["epochs"] == 7
    assert "tiny: done" in out


def test_report_is_never_overwritten(tiny_study, tmp_path, capsys):
    assert run(capsys, "report", tiny_study, "--out", tmp_path)[0] == 0
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert set(files) >= {"tiny.ipynb", "tiny.html", "tiny.json"}
    code, out, err = run(capsys, "report", tiny_study, "--out", tmp_path, "-p", "epochs", "9")
    assert_clean_error(code, err, f"{tmp_path/'tiny.ipynb'} already exists: pass --force", exit_code=2)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files  # byte-identical, nothing added
    code, out, err = run(capsys, "report", tiny_study, "--out", tmp_path, "-p", "epochs", "9", "--force")
    assert code == 0, err
    assert json.loads((tmp_path/"tiny.json").read_text())["params"]["epochs"] == 9
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(files)


@pytest.mark.parametrize("params,needles", [
    ({"epoch": "3"}, ["unknown parameter 'epoch' (did you mean 'epochs'?)"]),
    ({"epochs": "three"}, ["parameter epochs='three' is not int"]),
    ({"lr": "fast"}, ["parameter lr='fast' is not float"]),
    ({"fail": "maybe"}, ["parameter fail='maybe' is not bool"]),
])
def test_parameter_validation(tiny_study, tmp_path, params, needles):
    with pytest.raises(ImgbookError) as e: render(tiny_study, out=tmp_path, params=params)
    msg = str(e.value)
    for n in needles + ["valid parameters: data (str), out_dir (str), epochs (int), lr (float), tags (list), fail (bool)"]:
        assert n in msg, msg
    assert not tmp_path.exists() or not any(tmp_path.iterdir())  # nothing ran


def test_parameter_validation_cli(tiny_study, tmp_path, capsys):
    code, out, err = run(capsys, "report", tiny_study, "--out", tmp_path, "-p", "epochs", "1.5")
    assert_clean_error(code, err, "epochs='1.5' is not int", "valid parameters: data (str)", exit_code=2)
    code, out, err = run(capsys, "report", tiny_study, "--preset", "huge")
    assert_clean_error(code, err, "unknown preset 'huge'; valid presets: smoke, standard, full", exit_code=2)
    code, out, err = run(capsys, "report", tiny_study, "-p", "data", "folder:x")
    assert_clean_error(code, err, "'data' is set with --data/--out", exit_code=2)


def test_conversions():
    p = report.Param("x", ("list",), [])
    assert report.coerce_param(p, '["a", "b"]') == ["a", "b"] and report.coerce_param(p, "a,b") == ["a", "b"]
    assert report.coerce_param(report.Param("x", ("bool",), False), "yes") is True
    assert report.coerce_param(report.Param("x", ("float",), 0.1), 1) == 1.0
    with pytest.raises(ValueError): report.coerce_param(report.Param("x", ("int",), 1), True)


def test_notebook_without_parameters_cell(monkeypatch, tmp_path):
    monkeypatch.setitem(report.STUDIES, "nop", report.Study(str(FIXTURES/"no_parameters.ipynb"), "?", {}))
    with pytest.raises(ImgbookError, match="has no cell tagged 'parameters'"): validate_params("nop", {})
    with pytest.raises(ImgbookError, match="has no cell tagged 'parameters'"): render("nop", out=tmp_path)


def test_failing_cell_names_the_cell(tiny_study, tmp_path, capsys):
    code, out, err = run(capsys, "report", tiny_study, "--out", tmp_path, "-p", "fail", "true")
    assert_clean_error(code, err, "study 'tiny' failed at cell In [4] `import time`: ValueError: told to fail",
                       f"partial notebook saved to {tmp_path/'tiny.failed.ipynb'}", exit_code=2)
    assert (tmp_path/"tiny.failed.ipynb").exists() and not (tmp_path/"tiny.ipynb").exists()
    assert run(capsys, "report", tiny_study, "--out", tmp_path)[0] == 0  # a failed run does not block the next one


def test_kernel_log_noise_stays_off_the_console(tiny_study, tmp_path, monkeypatch, capfd):
    "jupyter_client interrupts a kernel before shutting it down and ipykernel may log that as an ERROR; the console shows the study's own stderr only."
    nb = nbformat.read(FIXTURES/"tiny_study.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell('import sys\nget_ipython().kernel.log.error("KeyboardInterrupt caught in kernel.")\n'
                                                 'print("the study\'s own stderr", file=sys.__stderr__, flush=True)'))
    nbformat.write(nb, tmp_path/"noisy.ipynb")
    monkeypatch.setitem(report.STUDIES, tiny_study, replace(report.STUDIES[tiny_study], notebook=str(tmp_path/"noisy.ipynb")))
    render(tiny_study, out=tmp_path/"out", progress=False)
    err = capfd.readouterr().err
    assert "the study's own stderr" in err and "KeyboardInterrupt caught" not in err, err


def test_relative_data_path_is_resolved(tiny_study, tmp_path, monkeypatch):
    good_folder(tmp_path/"imgs", n=3); monkeypatch.chdir(tmp_path)  # a data set a report accepts: classes of three images
    r = render(tiny_study, data="folder:imgs", out="out")
    assert json.loads(r["json"].read_text())["params"]["data"] == f"folder:{tmp_path/'imgs'}"
    assert r["json"].parent == tmp_path/"out"
    with pytest.raises(ImgbookError, match="data spec 'csv:nope.csv': .*nope.csv does not exist"): render(tiny_study, data="csv:nope.csv", out="o2")
    (tmp_path/"elsewhere").mkdir(); monkeypatch.chdir(tmp_path/"elsewhere")
    r = render(tiny_study, data="../imgs", out="out")   # a bare relative folder, from another working directory
    assert json.loads(r["json"].read_text())["params"]["data"] == f"folder:{tmp_path/'imgs'}"


def test_render_all_and_index(tiny_study, tmp_path, capsys):
    idx = render_all(out=tmp_path, preset="smoke", studies=[tiny_study], params={"lr": "0.2"})
    page = idx.read_text()
    assert 'href="tiny.html"' in page and "Does the runner work?" in page and "Train longer." in page and "<b>2</b> epochs run" in page
    with pytest.raises(ImgbookError, match="already exists: pass --force"): render_all(out=tmp_path, studies=[tiny_study])
    with pytest.raises(ImgbookError, match="'nope' is not a parameter of any study"):
        render_all(out=tmp_path/"x", studies=[tiny_study], params={"nope": 1})


def test_save_study_contract(tmp_path):
    summary = dict(spec="synthetic", classes=["a", "b"], n_train=8, n_val=2, n_test=2, skipped_files=[], extra=1)
    p = save_study("s", {"epochs": 1}, summary, {"accuracy": 0.5}, ["One.", "Two."], tmp_path, time.time() - 1)
    d = json.loads(p.read_text())
    assert list(d) == ["study", "imgbook_version", "params", "data", "env", "runtime_s", "results", "recommendation"]
    assert list(d["data"]) == ["spec", "classes", "n_train", "n_val", "n_test", "skipped_files"]
    assert {"torch", "cpu", "threads", "device"} <= set(d["env"]) and d["runtime_s"] >= 1 and d["recommendation"] == "One. Two."
    assert save_study("s", {}, summary, {}, "", tmp_path).name == "s-2.json"  # an interactive run never overwrites


def test_baseline_in_checkout():
    assert study_notebook("baseline") == REPO/"nbs"/"20_baseline.ipynb"
    ps = study_params("baseline")
    assert {"data", "out_dir", "model", "img_size", "epochs", "batch_size", "n_synthetic", "augment", "seed", "threads"} <= set(ps)
    for preset in report.PRESETS: validate_params("baseline", report.STUDIES["baseline"].presets[preset])


@pytest.mark.parametrize("study, params", [
    ("baseline", ["-p", "epochs", "1", "-p", "model", "mobilenetv3_small", "-p", "init", "scratch"]),
    ("architectures", ["-p", "models", "[efficientnet_lite0, vit_tiny]", "-p", "seeds", "1", "-p", "img_sizes", "[32]",
                       "-p", "data_fractions", "[1.0]", "-p", "bench_time_s", "0.05", "-p", "saliency_images", "4"]),
    ("augmentation", ["-p", "policies", "[none, rotate90]", "-p", "models", "[efficientnet_lite0, mobilenetv3_small]", "-p", "shifts", "[blur]",
                      "-p", "speed_images", "16", "-p", "speed_time_s", "0.02"]),
    ("data-requirements", ["-p", "n_synthetic", "180", "-p", "fractions", "[0.25, 0.5, 1.0]", "-p", "linear_probe", "false", "-p", "bootstrap", "20"]),
    ("deployment", ["-p", "epochs", "1", "-p", "use_openvino", "false", "-p", "prune_ratios", "[0.3]", "-p", "sparsities", "[0.5]",
                    "-p", "calib_sweep", "[16]", "-p", "calib_methods", "[minmax]", "-p", "min_time_s", "0.1"]),
    ("drift", ["-p", "n_synthetic", "300", "-p", "epochs", "1", "-p", "shifts", "[blur, novel_class]", "-p", "severities", "[3]",
               "-p", "window_sizes", "[10, 50]", "-p", "pool_size", "100", "-p", "repeats", "3", "-p", "null_repeats", "20",
               "-p", "n_permutations", "20", "-p", "stream_windows", "8", "-p", "stream_window_size", "30", "--budget", "20"]),
])
def test_study_report_reads_cleanly(study, params, tmp_path):
    "Each study rendered at smoke size: the HTML has the question, results and plots, and none of the library's own checks."
    r = cli("report", study, "--preset", "smoke", "--out", tmp_path, *params)
    assert r.returncode == 0, r.stderr
    assert_reader_html(tmp_path/f"{study}.html")
    assert (tmp_path/f"{study}.png").exists()  # the thumbnail the index shows
    if "--budget" in params: assert "budget 20 min; probe" in r.stdout and "(planned " in r.stdout, r.stdout
    record = json.loads((tmp_path/f"{study}.json").read_text())
    if "--budget" in params:  # a budget that fits the preset changes nothing and is recorded beside the actual minutes
        assert record["budget"]["budget_min"] == 20 and record["budget"]["changed"] == {}, record["budget"]
        assert record["budget"]["actual_min"] > 0 and record["budget"]["planned_min"] > 0, record["budget"]
    results = record["results"]
    if study == "baseline": assert set(results["tta"]) == {"accuracy", "balanced_accuracy", "macro_f1"}
    if study == "deployment": assert load_bundle(results["bundle"]).has_embedding  # what `imgbook monitor` compares
    if study == "data-requirements":
        assert {"curve", "per_class_curve", "fits", "forecast", "backtest", "scratch_multiplier", "rare_classes"} <= set(results)
        assert {"n_train", "n_per_class", "init", "train", "seed", "accuracy", "balanced_accuracy"} <= set(results["curve"][0])
        assert {"target_accuracy", "n_per_class_needed", "interval"} <= set(results["forecast"]) and "predicted_over_actual" in results["backtest"]
        assert {"model", "params", "backtest_error_pp"} <= set(results["fits"][0]) and {"class", "n_now", "n_needed"} <= set(results["rare_classes"][0])


@pytest.mark.parametrize("study", ["baseline", "architectures", "augmentation", "data-requirements", "deployment", "drift"])
def test_report_form_defines_every_name(study, tmp_path):
    "A report drops the library checks before `## The study`, so a name only they import would fail a user's run late."
    import subprocess, sys
    code = "\n".join("\n".join(l for l in c.source.splitlines() if not l.startswith(("%", "!")))
                     for c in report.report_notebook(study_notebook(study)).cells if c.cell_type == "code")
    (tmp_path/"report.py").write_text(code)
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "--quiet", "--select", "F821", "--output-format", "concise",
                        "--config", "builtins=['display', 'get_ipython']", str(tmp_path/"report.py")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
