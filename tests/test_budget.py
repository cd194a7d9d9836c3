"""`--budget` and `--dry-run`: the plan is printed before anything trains, and a budget too small to answer stops the run up front.
A budgeted render is checked with the drift study in test_report.py, which renders it anyway."""

from conftest import assert_clean_error, cli


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path):
    r = cli("report", "all", "--preset", "smoke", "--dry-run", "--out", tmp_path/"out")
    assert r.returncode == 0, r.stderr
    assert "no budget; probe" in r.stdout and "plan about" in r.stdout, r.stdout
    for study in ("baseline", "architectures", "augmentation", "data-requirements", "deployment", "drift", "anomaly"): assert study in r.stdout
    assert not (tmp_path/"out").exists()


def test_budget_too_small_stops_before_training(tmp_path):
    r = cli("report", "baseline", "--preset", "smoke", "--budget", "0.05", "--out", tmp_path)
    assert_clean_error(r.returncode, r.stderr, "--budget 0.05 min cannot buy a meaningful answer", "run with --budget", exit_code=2)
    assert list(tmp_path.iterdir()) == []


def test_budget_must_be_positive(tmp_path):
    r = cli("report", "baseline", "--budget", "-3", "--out", tmp_path)
    assert_clean_error(r.returncode, r.stderr, "--budget -3: must be a positive number of minutes", exit_code=2)


def test_budget_turns_a_knob_down_and_records_it(tmp_path, monkeypatch, capsys):
    "A budget between the floor and the preset runs the baseline with fewer epochs, prints the ETA and stores plan beside actual."
    import json
    import imgbook.budget
    from imgbook.budget import plan_budget
    from imgbook.report import _prepare, render_all, study_params
    slow = {("efficientnet_lite0", px, "pretrained"): 5.0 for px in (32, 48, 64, 128, 224)}  # a made-up slow machine: the probe is replaced, the render is real
    monkeypatch.setattr(imgbook.budget, "probe", lambda pairs, **kw: {pair: slow[pair] for pair in pairs})
    values = {**{n: p.default for n, p in study_params("baseline").items()}, **_prepare("baseline", "synthetic", tmp_path, "smoke", {"epochs": 4})[1]}
    roomy = plan_budget({"baseline": values}, "synthetic", 1e6, slow)
    budget = (roomy.est_s + roomy.studies["baseline"]["floor_s"]) / 2 / 60
    render_all(out=tmp_path, preset="smoke", studies=["baseline"], params={"epochs": 4}, budget=budget, progress=False)
    out = capsys.readouterr().out
    assert "epochs 4 → 3" in out and "min left" in out, out
    record = json.loads((tmp_path/"baseline.json").read_text())
    assert record["params"]["epochs"] == 3 and record["budget"]["changed"] == {"epochs": [4, 3]}, record["budget"]
    assert record["budget"]["actual_min"] > 0 and record["budget"]["planned_min"] <= budget
    assert f"Sized to a {budget:g}-minute budget: epochs 4 → 3" in (tmp_path/"index.html").read_text()  # the index says what the budget cut
    assert f"Sized to a {budget:g}-minute budget</strong> (<code>--budget</code>): epochs 4 → 3" in (tmp_path/"baseline.html").read_text()  # so does the report
