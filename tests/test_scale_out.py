"Trial grids on Ray and experiment rows in MLflow: the same rows as one process, resumable after a crash, tracked."
import functools, json, os, subprocess, sys

import pandas as pd
import pytest

from conftest import cli
from imgbook.data import load_data
from imgbook.experiments import Trial, run_trials, train_trial

pytestmark = pytest.mark.xdist_group("scale_out")  # one worker: its module fixture is built once, and two Ray clusters never start at once (scripts/test: --dist loadgroup)


@pytest.fixture(scope="module")
def tiny():
    return load_data("synthetic", img_size=32, n_synthetic=240, seed=0)


def test_ray_gives_the_sequential_rows(tiny, tmp_path):
    "Four real training trials, one thread each: Ray's rows equal the sequential ones, in the same order."
    grid = [Trial(m, "none", n_train=60, seed=s, img_size=32, epochs=1, params=dict(batch_size=32))
            for m in ("mobilenetv3_small", "resnet18") for s in (0, 1)]
    fn = functools.partial(train_trial, data=tiny)
    seq = run_trials(grid, fn, cache_dir=tmp_path/"seq", progress=False, threads=1)
    ray = run_trials(grid, fn, cache_dir=tmp_path/"ray", progress=False, executor="ray", threads=1)
    cols = ["model", "seed", "n_train", "accuracy", "balanced_accuracy", "macro_f1", "best_epoch"]
    pd.testing.assert_frame_equal(seq[cols], ray[cols])
    assert not ray.cached.any()


CRASHING_GRID = """
import json, os, sys
from imgbook.experiments import run_trials
def square(t):
    if t["x"] == int(os.environ["DIE_AT"]): os._exit(9)  # the machine goes away in the middle of the grid
    open(os.path.join(t["dir"], f"ran-{t['x']}"), "w").close()  # the spec carries all it needs: Ray workers have their own argv
    return dict(y=t["x"] ** 2)
rows = run_trials([dict(x=x, dir=sys.argv[1]) for x in range(4)], square, cache_dir=sys.argv[1], progress=False, executor=sys.argv[2])
print(json.dumps(rows.y.tolist()))
"""


def test_killed_grid_resumes_under_the_other_executor(tmp_path):
    "A sequential grid killed at its third trial resumes on Ray: the two finished trials never run again."
    run = lambda executor, die_at: subprocess.run([sys.executable, "-c", CRASHING_GRID, str(tmp_path), executor],
                                                  capture_output=True, text=True, env={**os.environ, "DIE_AT": str(die_at)}, timeout=300)
    first = run("sequential", 2)
    assert first.returncode == 9, first.stderr
    assert sorted(p.name for p in tmp_path.glob("ran-*")) == ["ran-0", "ran-1"]
    for p in tmp_path.glob("ran-*"): p.unlink()
    second = run("ray", -1)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout.strip().splitlines()[-1]) == [0, 1, 4, 9]
    assert sorted(p.name for p in tmp_path.glob("ran-*")) == ["ran-2", "ran-3"]


def test_study_on_ray_tracked_in_mlflow(tmp_path):
    "A study rendered with Ray trials and MLflow tracking: one parent run holding the report, one child run per trial."
    r = cli("report", "data-requirements", "--preset", "smoke", "--out", tmp_path, "--executor", "ray", "--tracking", "mlflow", "-p", "n_synthetic", "180",
            "-p", "fractions", "[0.25, 0.5, 1.0]", "-p", "linear_probe", "false", "-p", "bootstrap", "20")
    assert r.returncode == 0, r.stderr
    import mlflow
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path/'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["imgbook/data-requirements"])
    parent = runs[runs["tags.mlflow.runName"] == "data-requirements report"]
    kids = runs[runs["tags.mlflow.parentRunId"] == parent.run_id.iloc[0]]
    log = pd.read_csv(tmp_path/"experiments.csv")
    assert len(parent) == 1 and len(kids) == len(log) > 0
    assert set(kids["params.architecture"]) == {"efficientnet_lite0"} and set(kids["params.augmentation"]) == {"basic"}
    assert sorted(kids["metrics.balanced_accuracy"]) == pytest.approx(sorted(log.balanced_accuracy))
    files = {a.path for a in mlflow.MlflowClient().list_artifacts(parent.run_id.iloc[0], "report")}
    assert files == {"report/data-requirements.html", "report/data-requirements.json"}
    results = json.loads((tmp_path/"data-requirements.json").read_text())
    assert results["params"]["executor"] == "ray"


@pytest.mark.parametrize("study", ["architectures", "augmentation", "data-requirements"])
def test_unknown_executor_is_refused_before_running(study, tmp_path):
    "Every study with a trial grid takes the executor, and refuses one it does not know before training anything."
    r = cli("report", study, "--preset", "smoke", "--out", tmp_path, "-p", "executor", "dask")
    assert r.returncode != 0 and "valid executors: sequential, ray" in r.stderr, r.stderr
    assert not (tmp_path/"experiments.csv").exists()
