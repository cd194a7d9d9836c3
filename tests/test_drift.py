"Drift detectors on tiny data with known answers, and `imgbook monitor` on a tiny bundle: appending without rewriting, bad input named in one line."
import json, subprocess, sys

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from conftest import assert_clean_error, cli
from imgbook.backends import export_single
from imgbook.bundle import write_bundle
from imgbook.drift import DETECTORS, Outputs, binomial_interval, detect, fit_reference, mmd_test
from imgbook.models import create_model
from imgbook.synthetic import make_synthetic

pytestmark = pytest.mark.xdist_group("drift")  # its module fixtures (a trained model, its reference) are built once, on one worker (scripts/test: --dist loadgroup)

ALPHA = 0.05


def toy(n, shift=0.0, seed=0):
    "Six classes, 64-d embeddings with the class in the first six dimensions; a shift weakens the class signal and moves the rest."
    r = np.random.default_rng(seed); y = r.integers(0, 6, n)
    e = 3*(1 - shift/2)*np.eye(6, 64)[y] + r.normal(size=(n, 64)); e[:, 6:] += shift
    return Outputs((2*e[:, :6]).astype(np.float32), e.astype(np.float32), (r.normal(size=(n, 6)) + shift).astype(np.float32), y)


@pytest.fixture(scope="module")
def ref(): return fit_reference(toy(600, seed=1), list("abcdef"))


def test_no_shift_false_positive_rate_within_binomial_interval(ref):
    "300 no-shift windows: every detector rejects at most as often as a calibrated test's 95% binomial interval allows."
    pool, rng, n_win = toy(4000, seed=2), np.random.default_rng(0), 300
    hits = {d: 0 for d in DETECTORS}
    for r in range(n_win):
        for d, (p, _) in detect(ref, pool.take(rng.choice(len(pool), 30, replace=False)), n_permutations=40, seed=r).items():
            assert 0 < p <= 1, (d, p)
            hits[d] += p < ALPHA
    hi = binomial_interval(round(ALPHA*n_win), n_win)[1]
    assert all(h/n_win <= hi for h in hits.values()), (hits, hi)


def test_large_shift_detected(ref):
    res = detect(ref, toy(80, shift=1.2, seed=3))
    for d in ("confidence_ks", "bbsd_ks", "mmd", "image_stats_ks"): assert res[d][0] < 0.01, (d, res[d])
    two = toy(400, seed=4); two = two.take(np.flatnonzero(two.labels < 2))  # only two of six classes arrive
    for d in ("class_chi2", "class_psi"): assert detect(ref, two)[d][0] < 0.01, d


def test_permutation_p_value_never_zero(ref):
    x, y = np.zeros((15, 3)), np.full((15, 3), 50.0)
    s, p = mmd_test(x, y, 1.0, n_permutations=99)
    assert s > 0 and p == pytest.approx(1/100)
    far = detect(ref, toy(60, shift=3.0, seed=5), n_permutations=49)
    for d in ("mmd", "class_chi2", "class_psi"): assert far[d][0] >= 1/50, (d, far[d])


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    "A tiny bundle whose model also returns the embedding, its reference images, and a stream of window folders."
    d = tmp_path_factory.mktemp("monitor"); syn = make_synthetic(160, 32, seed=0)
    torch.manual_seed(0); net = create_model("mobilenetv3_small", 6, img_size=32).eval()
    bundle = write_bundle(d/"bundle", export_single(net, d/"m.onnx", 32, embedding=True), syn.classes, 32)
    for i, (im, y) in enumerate(zip(syn.images[:60], syn.labels[:60])):
        (d/"ref"/syn.classes[y]).mkdir(parents=True, exist_ok=True); Image.fromarray(im).save(d/"ref"/syn.classes[y]/f"{i}.png")
    for w, lo in (("w1", 60), ("w2", 90), ("w3", 120)):
        (d/"stream"/w).mkdir(parents=True)
        for i, im in enumerate(syn.images[lo:lo + 30]): Image.fromarray(im).save(d/"stream"/w/f"{i}.png")
    return d, bundle


def test_monitor_appends_without_rewriting(setup):
    d, bundle = setup
    r = cli("monitor", "reference", bundle, "--data", f"folder:{d/'ref'}")
    assert r.returncode == 0 and (bundle/"reference.npz").exists(), r.stderr
    assert "imgbook: warning: reference of 60 images" in r.stderr and "use at least" in r.stderr, r.stderr  # too small for 60-image windows
    log, out = d/"log.csv", d/"out"
    r = cli("monitor", "run", bundle, d/"stream", "--log", log, "--out", out, "--windows", "w1", "w2", "--permutations", "40")
    assert r.returncode == 0, r.stderr
    before = log.read_bytes()
    assert pd.read_csv(log).window.tolist() == ["w1", "w2"]
    r = cli("monitor", "run", bundle, d/"stream", "--log", log, "--out", out, "--permutations", "40")
    assert r.returncode == 0, r.stderr
    assert log.read_bytes().startswith(before) and pd.read_csv(log).window.tolist() == ["w1", "w2", "w3"]  # w1, w2 not repeated
    assert (out/"dashboard.html").exists() and (out/"dashboard-2.html").exists()  # an earlier dashboard is never overwritten


def test_monitor_bad_input_named_and_others_processed(setup, tmp_path):
    d, bundle = setup
    if not (bundle/"reference.npz").exists(): assert cli("monitor", "reference", bundle, "--data", f"folder:{d/'ref'}").returncode == 0
    stream = tmp_path/"stream"
    for w in ("a", "b", "empty"): (stream/w).mkdir(parents=True)
    for w in ("a", "b"):
        for f in (d/"stream"/"w1").iterdir(): (stream/w/f.name).write_bytes(f.read_bytes())
    (stream/"a"/"broken.png").write_text("not an image")
    r = cli("monitor", "run", bundle, stream, "--log", tmp_path/"log.csv", "--out", tmp_path/"out", "--permutations", "40",
            "--windows", "a", "empty", "missing", "b")
    assert r.returncode == 1
    warn = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(warn) == 3 and all(l.startswith("imgbook: warning: ") for l in warn) and "Traceback" not in r.stderr, r.stderr
    assert "window a:" in warn[0] and "broken.png" in warn[0]
    assert "window empty: empty" in warn[1] and "window missing: folder" in warn[2] and "is missing" in warn[2]
    assert pd.read_csv(tmp_path/"log.csv").window.tolist() == ["a", "b"]
    r = cli("monitor", "run", tmp_path/"nobundle", stream)
    assert_clean_error(r.returncode, r.stderr, f"bundle {tmp_path/'nobundle'}: not a folder", exit_code=2)


def test_monitor_runs_without_torch(setup):
    "The monitor needs numpy, scipy, pandas, Pillow and ONNX Runtime only: torch, timm and OpenCV are never imported."
    d, bundle = setup
    if not (bundle/"reference.npz").exists(): assert cli("monitor", "reference", bundle, "--data", f"folder:{d/'ref'}").returncode == 0
    code = ("import json, sys\nfrom imgbook.cli import main\n"
            f"rc = main(['monitor', 'run', {str(bundle)!r}, {str(d/'stream')!r}, '--log', {str(d/'nt.csv')!r}, '--out', {str(d/'nt')!r}, '--permutations', '20'])\n"
            "print(json.dumps(dict(rc=rc, loaded=sorted(m for m in ('torch', 'timm', 'cv2') if m in sys.modules))))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res == dict(rc=0, loaded=[]), (res, r.stderr)
