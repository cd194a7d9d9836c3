"The deployment bundle and its commands: `imgbook predict` matches PyTorch on image files, `imgbook deploy check` gates on the checklist, bad input is one line."
import json, subprocess, sys

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import assert_clean_error, cli
from imgbook.backends import export_single
from imgbook.bundle import load_bundle, write_bundle
from imgbook.data import to_tensor
from imgbook.images import read_image
from imgbook.models import create_model

pytestmark = pytest.mark.xdist_group("deploy")  # its module fixtures (a trained model, its bundle) are built once, on one worker (scripts/test: --dist loadgroup)

CLASSES = ["ok", "scratch", "pit"]


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return create_model("mobilenetv3_small", len(CLASSES), img_size=32).eval()


@pytest.fixture(scope="module")
def bundle(model, tmp_path_factory):
    d = tmp_path_factory.mktemp("bundle")
    checklist = {"onnx_export_validated": {"status": "PASS", "evidence": "max |Δlogit| 1e-6"}}
    return write_bundle(d/"bundle", export_single(model, d/"m.onnx", 32), CLASSES, 32, variant="ort_fp32", checklist=checklist)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    "Files of mixed formats, sizes and modes (RGB PNG, JPEG, grayscale, 16-bit), as users have them."
    d, rng, paths = tmp_path_factory.mktemp("imgs"), np.random.default_rng(0), []
    for i in range(8):
        a = rng.integers(0, 256, (30 + 9 * i, 45 + 5 * i, 3), dtype=np.uint8)
        im = Image.fromarray(a)
        if i % 4 == 1: im = im.convert("L")
        if i % 4 == 3: im = Image.fromarray((a[..., 0].astype(np.uint16) * 257))
        p = d/f"img{i}.{'jpg' if i % 4 == 2 else 'png'}"; im.save(p); paths.append(p)
    return paths


def torch_logits(model, paths):
    "What the PyTorch model says on the files, decoded by the training code."
    with torch.no_grad(): return model(to_tensor(np.stack([read_image(p, 32) for p in paths]))).numpy()


def test_bundle_matches_pytorch(model, bundle, images):
    ref = torch_logits(model, images)
    np.testing.assert_allclose(load_bundle(bundle).logits(images), ref, atol=1e-4)
    r = cli("predict", bundle, *images)
    assert r.returncode == 0, r.stderr
    lines = [l.split("\t") for l in r.stdout.splitlines()]
    assert [l[0] for l in lines] == [str(p) for p in images]
    assert [l[1] for l in lines] == [CLASSES[i] for i in ref.argmax(1)]
    p = np.exp(ref - ref.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose([float(l[2]) for l in lines], p.max(1), atol=2e-4)


def test_bundle_contents(bundle):
    meta = json.loads((bundle/"bundle.json").read_text())
    assert meta["classes"] == CLASSES and meta["img_size"] == 32 and meta["variant"] == "ort_fp32"
    assert meta["preprocessing"]["mean"] == [0.485, 0.456, 0.406] and "checklist" in meta
    assert sorted(f.name for f in bundle.iterdir()) == ["bundle.json", "model.onnx"]  # self-contained: no side .data file


def test_predict_bad_image_names_the_file(bundle, images, tmp_path):
    bad = tmp_path/"notes.png"; bad.write_text("not an image")
    r = cli("predict", bundle, images[0], bad)
    assert_clean_error(r.returncode, r.stderr, f"{bad}: unreadable", exit_code=2)
    assert len(r.stderr.strip().splitlines()) == 1
    r = cli("predict", bundle, tmp_path/"missing.png")
    assert_clean_error(r.returncode, r.stderr, f"{tmp_path/'missing.png'}: cannot read", exit_code=2)


def test_predict_bad_bundle(bundle, images, tmp_path):
    r = cli("predict", tmp_path/"nope", images[0])
    assert_clean_error(r.returncode, r.stderr, f"bundle {tmp_path/'nope'}: not a folder", exit_code=2)
    broken = tmp_path/"broken"; broken.mkdir()
    (broken/"bundle.json").write_text((bundle/"bundle.json").read_text()); (broken/"model.onnx").write_bytes(b"garbage")
    r = cli("predict", broken, images[0])
    assert_clean_error(r.returncode, r.stderr, f"bundle {broken/'model.onnx'}: ONNX Runtime cannot load it", exit_code=2)
    (broken/"bundle.json").write_text('{"format": "something-else"}')
    r = cli("predict", broken, images[0])
    assert_clean_error(r.returncode, r.stderr, "not an imgbook bundle", exit_code=2)


def test_bundle_is_never_overwritten(model, bundle):
    again = write_bundle(bundle, bundle/"model.onnx", CLASSES, 32)
    assert again != bundle and again.name == "bundle-2"


def checklist(**statuses):
    return {k: {"status": v, "evidence": f"evidence for {k}"} for k, v in statuses.items()}


def test_deploy_check_exit_codes(bundle, tmp_path):
    ok = tmp_path/"ok"; ok.mkdir()
    (ok/"deployment.json").write_text(json.dumps({"study": "deployment", "results": {"checklist": checklist(a="PASS", b="NOT RUN")}}))
    r = cli("deploy", "check", ok/"deployment.json")
    assert (r.returncode, r.stderr) == (0, "") and r.stdout.splitlines()[0].split()[:2] == ["PASS", "a"]
    assert cli("deploy", "check", ok).returncode == 0 and cli("deploy", "check", bundle).returncode == 0
    (tmp_path/"fail.json").write_text(json.dumps({"results": {"checklist": checklist(a="PASS", b="FAIL", c="FAIL")}}))
    r = cli("deploy", "check", tmp_path/"fail.json")
    assert r.returncode == 1 and r.stderr == "imgbook: deploy check: FAIL on b, c\n" and "FAIL     b" in r.stdout
    (tmp_path/"plain.json").write_text("[1, 2]")
    r = cli("deploy", "check", tmp_path/"plain.json")
    assert_clean_error(r.returncode, r.stderr, f"{tmp_path/'plain.json'}: no deployment checklist in it", exit_code=2)
    r = cli("deploy", "check", tmp_path/"absent.json")
    assert_clean_error(r.returncode, r.stderr, f"{tmp_path/'absent.json'}: file not found", exit_code=2)


def test_predict_runs_without_torch(model, bundle, images):
    "The bundle and `imgbook predict` need numpy, Pillow and ONNX Runtime only: torch and timm are never imported."
    code = ("import json, sys\nfrom imgbook.cli import main\nfrom imgbook.bundle import load_bundle\n"
            f"z = load_bundle({str(bundle)!r}).logits({[str(p) for p in images]!r})\n"
            f"rc = main(['predict', {str(bundle)!r}, {str(images[0])!r}])\n"
            "print(json.dumps(dict(rc=rc, logits=z.tolist(), loaded=sorted(m for m in ('torch', 'timm', 'cv2') if m in sys.modules))))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.splitlines()[-1])
    assert out["rc"] == 0 and out["loaded"] == [], out["loaded"]
    np.testing.assert_allclose(out["logits"], torch_logits(model, images), atol=1e-4)


def test_bundle_with_embedding_predicts_the_same(model, images, tmp_path):
    "A bundle whose model also returns the penultimate embedding (what `imgbook monitor` compares) predicts exactly as before."
    from imgbook.bundle import load_bundle
    b = load_bundle(write_bundle(tmp_path/"b", export_single(model, tmp_path/"e.onnx", 32, embedding=True), CLASSES, 32))
    assert b.has_embedding
    np.testing.assert_allclose(b.logits(images), torch_logits(model, images), atol=1e-4)
    with torch.no_grad():
        ref = model.forward_head(model.forward_features(to_tensor(np.stack([read_image(p, 32) for p in images]))), pre_logits=True).numpy()
    np.testing.assert_allclose(b.outputs(images)[1], ref, atol=1e-4)
    r = cli("predict", b.path, *images)
    assert r.returncode == 0 and len(r.stdout.splitlines()) == len(images), r.stderr
