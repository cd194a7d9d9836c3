"The architecture study rendered as a user renders it: on folder data, with local pretrained weights, and with bad parameters."
import json

import pandas as pd
import pytest

from conftest import assert_clean_error, assert_reader_html, cli, good_folder

TINY = ["-p", "models", "resnet18,vit_tiny,convnext_atto", "-p", "seeds", "2", "-p", "epochs", "1", "-p", "img_size", "32",
        "-p", "img_sizes", "[32]", "-p", "data_fractions", "[0.5, 1.0]", "-p", "bench_time_s", "0.1"]
ROW_KEYS = {"model", "family", "params_m", "flops_g", "size_mb", "accuracy_mean", "accuracy_ci95", "balanced_accuracy_mean",
            "macro_f1_mean", "latency_ms_bs1_p50", "latency_ms_bs1_p99", "throughput_img_s", "train_s", "data_efficiency", "saliency_in_defect"}
VERDICTS = {"held", "did not hold", "inconclusive", "not measurable here"}


def test_folder_data_with_local_weights(tmp_path):
    import timm, torch
    weights = tmp_path/"weights"; weights.mkdir()
    torch.save(timm.create_model("resnet18", num_classes=1000).state_dict(), weights/"resnet18.pth")  # an "ImageNet" checkpoint
    data = good_folder(tmp_path/"data", n=16)
    r = cli("report", "architectures", "--data", f"folder:{data}", "--out", tmp_path/"out", *TINY, "-p", "weights", weights)
    assert_reader_html(tmp_path/"out"/"architectures.html")
    assert r.returncode == 0, r.stderr
    d = json.loads((tmp_path/"out"/"architectures.json").read_text())
    res = d["results"]
    rows = {m["name"]: m for m in res["models"]}
    assert list(rows) == ["resnet18", "vit_tiny", "convnext_atto", "resnet18 (ImageNet)"]  # pretrained beside scratch
    assert (rows["resnet18 (ImageNet)"]["init"], rows["resnet18 (ImageNet)"]["img_size"]) == ("pretrained", 224)  # the weights' resolution
    for name, m in rows.items():
        assert ROW_KEYS <= set(m), ROW_KEYS - set(m)
        assert m["saliency_in_defect"] is None  # real images carry no defect masks
        assert set(m["data_efficiency"]) == ({"1.0"} if m["init"] == "pretrained" else {"0.5", "1.0"}) and m["latency_ms_bs1_p50"] > 0
    claims = pd.DataFrame(res["claims"]).set_index("claim")
    assert len(claims) == 9 and set(claims.verdict) <= VERDICTS
    assert claims.verdict["ViTs excel on GPU"] == "not measurable here"
    assert claims.verdict["Both transfer well when pretrained"] != "not measurable here"  # weights were found and fine-tuned
    assert set(res["pareto"]) <= set(rows) and res["recommended"] in {*rows, None}
    runs = pd.DataFrame(res["runs"])
    assert (runs.part == "pretrained").sum() == 2 and (runs.part == "patch").sum() == 1
    log = pd.read_csv(tmp_path/"out"/"experiments.csv")
    assert len(log) == len(runs) and (log.init == "pretrained").sum() == 2 and set(log.study) == {"architectures"}
    assert d["recommendation"]
    assert (tmp_path/"out"/"architectures.ipynb").read_text().count('"image/png"') >= 3  # plots render although MPLBACKEND=Agg here


@pytest.mark.parametrize("param, value, needle", [
    ("models", "resnet18,nope", "models: unknown ['nope']"),
    ("target", "tpu", "target='tpu': must be 'cpu' or 'gpu'"),
    ("img_sizes", "[16, 32]", "16 px is below 32"),
    ("weights", "/no/such/weights", "weights=/no/such/weights: no such file or folder"),
])
def test_bad_parameters_are_one_line(param, value, needle, tmp_path):
    r = cli("report", "architectures", "--out", tmp_path, *TINY, "-p", param, value)
    assert_clean_error(r.returncode, r.stderr, needle)
    assert not (tmp_path/"architectures.json").exists()
