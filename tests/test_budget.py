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

