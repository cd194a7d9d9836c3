"The anomaly study's detectors, its good-class errors as clean CLI errors, and its bundle served by `imgbook predict` without torch."
import json, subprocess, sys

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from conftest import assert_clean_error, assert_reader_html, cli, write_images
from imgbook.anomaly import (METHODS, AnomalyDetector, anomaly_bundle, export_detector, extract, fit_detector, patch_extractor,
                             score_maps, score_parity, threshold_at)
from imgbook.data import load_data, to_tensor
from imgbook.synthetic import make_synthetic

pytestmark = pytest.mark.xdist_group("anomaly")  # its module fixtures (features, fitted detectors) are built once, on one worker (scripts/test: --dist loadgroup)

SIZE = 64


@pytest.fixture(scope="module")
def extractor():
    return patch_extractor("efficientnet_lite0", img_size=SIZE)


@pytest.fixture(scope="module")
def good_images():
    "Good synthetic images only: the first 24 fit, the rest are fresh."
    syn = make_synthetic(240, SIZE, seed=7)
    return syn.images[syn.labels == 0]


def draw_defect(x):
    "A bright square on each image: a defect no label names."
    x = x.copy(); x[:, 22:32, 26:36] = 255; return x


@pytest.mark.parametrize("method", list(METHODS))
def test_drawn_defect_scores_above_every_good_image(method, extractor, good_images):
    "Fitted on 24 good images alone, each detector scores every image with a drawn defect above every fresh good image."
    head, _ = fit_detector(method, extract(extractor, good_images[:24]), max_bank=512, padim_channels=40)
    good_s, _ = score_maps(head, extract(extractor, good_images[24:]))
    bad_s, maps = score_maps(head, extract(extractor, draw_defect(good_images[24:])))
    assert bad_s.min() > good_s.max(), (bad_s.min(), good_s.max())
    assert maps.shape == (len(bad_s), SIZE // 8, SIZE // 8)


def test_threshold_keeps_false_alarms_near_target(extractor):
    "A threshold set on good validation images for 10% false alarms raises about 10% on fresh good images (binomial 99% band)."
    syn = make_synthetic(1500, SIZE, seed=11)
    good = syn.images[syn.labels == 0]  # 250 good images: 60 fit, 80 set the threshold, 110 are fresh
    head, _ = fit_detector("patchcore", extract(extractor, good[:60]), max_bank=1024)
    t = threshold_at(score_maps(head, extract(extractor, good[60:140]))[0], 0.1)
    rate = (score_maps(head, extract(extractor, good[140:]))[0] > t).mean()
    assert 0.01 <= rate <= 0.25, rate  # 110 fresh images at a true 10%: 99% of draws fall in 3%-20%, plus the threshold's own noise


@pytest.fixture(scope="module")
def bundle(extractor, good_images, tmp_path_factory):
    d = tmp_path_factory.mktemp("anomaly-bundle")
    head, _ = fit_detector("patchcore", extract(extractor, good_images[:24]), max_bank=512)
    thr = 1.05*float(score_maps(head, extract(extractor, good_images[24:]))[0].max())  # every fresh good image passes, with a margin for float noise
    det = AnomalyDetector(extractor, head).eval()
    return anomaly_bundle(d/"bundle", export_detector(det, d/"det.onnx", SIZE), "ok", thr, SIZE, method="patchcore"), det


@pytest.fixture(scope="module")
def image_files(good_images, tmp_path_factory):
    d = tmp_path_factory.mktemp("imgs"); paths = []
    for i, im in enumerate(np.concatenate([good_images[30:33], draw_defect(good_images[30:33])])):
        p = d/f"{'good' if i < 3 else 'bad'}{i}.png"; Image.fromarray(im).save(p); paths.append(p)
    return paths


def test_bundle_round_trip(bundle, image_files):
    "The ONNX bundle scores image files as torch does (relative 1e-4), and its verdicts use its threshold."
    from imgbook.bundle import load_bundle
    from imgbook.images import read_image
    bdir, det = bundle
    b = load_bundle(bdir)
    assert b.is_anomaly and b.meta["classes"] == ["ok", "defect"] and b.meta["method"] == "patchcore"
    onnx_s, onnx_maps = b.anomaly(image_files)
    with torch.no_grad(): torch_s, torch_maps = det(to_tensor(np.stack([read_image(p, SIZE) for p in image_files])))
    assert score_parity(torch_s.numpy(), onnx_s) <= 1e-4
    np.testing.assert_allclose(onnx_maps, torch_maps.numpy(), rtol=1e-4, atol=1e-4 * float(torch_maps.max()))
    assert [r["verdict"] for r in b.predict(image_files)] == ["good"] * 3 + ["defect"] * 3


def test_predict_anomaly_bundle_without_torch(bundle, image_files, tmp_path):
    "`imgbook predict BUNDLE IMAGES --maps DIR` prints verdict and score per image and writes the map PNGs with numpy, Pillow and ONNX Runtime only."
    bdir, _ = bundle
    code = ("import json, sys\nfrom imgbook.cli import main\n"
            f"rc = main(['predict', {str(bdir)!r}, *{[str(p) for p in image_files]!r}, '--maps', {str(tmp_path/'maps')!r}])\n"
            "print(json.dumps(dict(rc=rc, loaded=sorted(m for m in ('torch', 'timm', 'cv2') if m in sys.modules))))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines(); out = json.loads(lines[-1])
    assert out == dict(rc=0, loaded=[]), out
    rows = [l.split("\t") for l in lines[:-1]]
    assert [v for _, v, _ in rows] == ["good"] * 3 + ["defect"] * 3 and all(float(s) >= 0 for _, _, s in rows)
    assert sorted(p.name for p in (tmp_path/"maps").iterdir()) == sorted(f"{p.stem}.png" for p in image_files)
    assert "anomaly maps: 6 PNG(s)" in r.stderr


def test_maps_refused_for_a_classifier_bundle(bundle, tmp_path, image_files, capsys):
    "`--maps` on a classifier's bundle (one written without the anomaly task) is a one-line error."
    from imgbook.bundle import write_bundle
    from imgbook.cli import main
    b = write_bundle(tmp_path/"cls", bundle[0]/"model.onnx", ["ok", "bad"], SIZE)
    code = main(["predict", str(b), str(image_files[0]), "--maps", str(tmp_path/"maps")])
    assert_clean_error(code, capsys.readouterr().err, "--maps:", "is a classifier", exit_code=2)


def folder_data(root, classes, n=12):
    for k, c in enumerate(classes): write_images(root/c, n, k)
    return f"folder:{root}"


@pytest.mark.parametrize("classes, params, needles", [
    (("a", "b", "c"), [], ["no class is named good/ok/normal/free/pass (classes: a, b, c)", "-p good NAME"]),
    (("a", "b", "c"), ["-p", "good", "zz"], ["good='zz': not a class of this data (classes: a, b, c)"]),
    (("good",), [], ["only one class", "needs at least one defect class"]),
])
def test_good_class_errors_are_clean(classes, params, needles, tmp_path):
    "A missing or unknown good class, or data with the good class only, stops the report with one line naming the problem."
    r = cli("report", "anomaly", "--data", folder_data(tmp_path/"data", classes), "--out", tmp_path/"out", "--preset", "smoke", *params)
    assert_clean_error(r.returncode, r.stderr, *needles)


def test_good_class_absent_from_test_split_is_clean(tmp_path):
    "A split file that puts every good image outside the test split is refused, naming the class and the split."
    spec = folder_data(tmp_path/"data", ("ok", "dent", "crack"))
    load_data(spec, img_size=32, split_dir=tmp_path/"out")
    f = tmp_path/"out"/"splits.csv"; t = pd.read_csv(f)
    t.loc[(t.label == "ok") & (t.split == "test"), "split"] = "train"; t.to_csv(f, index=False)
    r = cli("report", "anomaly", "--data", spec, "--out", tmp_path/"out", "--preset", "smoke")
    assert_clean_error(r.returncode, r.stderr, "good class 'ok' has no images in the test split")


def test_report_renders_at_smoke(tmp_path):
    "The study renders at smoke size: a clean page, a thumbnail, and the results keys the issue names, with a bundle that loads."
    from imgbook.bundle import load_bundle
    r = cli("report", "anomaly", "--preset", "smoke", "--out", tmp_path, "-p", "good_counts", "[10, 0]", "-p", "bench_time_s", "0.05")
    assert r.returncode == 0, r.stderr
    assert_reader_html(tmp_path/"anomaly.html"); assert (tmp_path/"anomaly.png").exists()
    res = json.loads((tmp_path/"anomaly.json").read_text())["results"]
    assert {"methods", "good_sample_curve", "joint", "recommended", "bundle"} <= set(res)
    m = res["methods"][0]
    assert {"method", "backbone", "image_auroc", "image_auroc_ci95", "recall_at_fpr", "pixel_auroc", "pro", "fit_s", "bank_size", "latency_ms"} <= set(m)
    assert {"runs", "fits", "verdict"} <= set(res["good_sample_curve"]) and {"n_good", "seed", "image_auroc"} <= set(res["good_sample_curve"]["runs"][0])
    assert res["bundle"]["parity_rel"] <= 1e-4 and load_bundle(res["bundle"]["path"]).is_anomaly
