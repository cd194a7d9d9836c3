"`imgbook report baseline -p folds K`: group k-fold cross-validation on a CSV whose `group` column ties images of one object together."
import json

from conftest import assert_clean_error, cli, good_folder

SMALL = ["--preset", "smoke", "-p", "model", "mobilenetv3_small", "-p", "init", "scratch", "-p", "epochs", "1", "-p", "tta", "false"]


def grouped_csv(root):
    "Three classes of 12 images, two images per object: 6 groups per class."
    d = good_folder(root/"ds")
    rows = ["path,class,group"] + [f"{p.relative_to(d)},{p.parent.name},{p.parent.name}-{int(p.stem[3:]) // 2}" for p in sorted(d.rglob("img*"))]
    (d/"labels.csv").write_text("\n".join(rows) + "\n")
    return f"csv:{d/'labels.csv'}"


def test_baseline_cross_validates_by_groups(tmp_path):
    r = cli("report", "baseline", "--data", grouped_csv(tmp_path), "--out", tmp_path/"out", *SMALL, "-p", "folds", "3")
    assert r.returncode == 0, r.stderr
    cv = json.loads((tmp_path/"out"/"baseline.json").read_text())["results"]["cross_validation"]
    assert cv["folds"] == 3 and len(cv["per_fold"]) == 3
    assert sum(f["n_test"] for f in cv["per_fold"]) == 36  # every image tested once
    assert sum(f["test_groups"] for f in cv["per_fold"]) == 18  # and every object in exactly one test fold
    lo, hi = cv["intervals_95"]["macro_f1"]
    assert 0 <= lo <= cv["macro_f1"] <= hi <= 1
    assert "Cross-validated over 3 group folds" in (tmp_path/"out"/"baseline.html").read_text()


def test_baseline_folds_checked_before_training(tmp_path):
    spec = grouped_csv(tmp_path)
    for folds, said in [("7", "class 'a' has only 6 group(s); use at most 6 folds"), ("2", "needs at least 3 folds")]:
        r = cli("report", "baseline", "--data", spec, "--out", tmp_path/"out", *SMALL, "-p", "folds", folds)
        assert_clean_error(r.returncode, r.stderr, said, exit_code=2)
        assert not (tmp_path/"out"/"baseline.json").exists() and not (tmp_path/"out"/"checkpoints").exists()
