"The augmentation policies and study: shapes and dtypes kept on gray and colour images of odd sizes, the variance split, unknown names refused."

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import assert_clean_error, cli
from imgbook.augment import AUGMENTATIONS, get_policy, list_policies, mix_batch, train_transform
from imgbook.augmentation import variance_explained
from imgbook.core import ImgbookError

SHAPES = [(33, 33, 3), (33, 33, 1), (47, 47, 3), (47, 47, 1)]  # odd sides, colour and gray


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}px-{'gray' if s[2] == 1 else 'colour'}")
def test_every_policy_keeps_shape_and_dtype(shape):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, *shape), dtype=np.uint8)
    for name in list_policies():
        pol = get_policy(name)
        t = train_transform(pol.augment, shape[0], seed=1)
        for im in images if t is not None else []:
            out = t(image=im)["image"]
            assert (out.shape, out.dtype) == (im.shape, np.uint8), (name, out.shape, out.dtype)
        x = torch.from_numpy(images).permute(0, 3, 1, 2).float()
        xm, ya, yb, lam = mix_batch(x, torch.arange(len(x)), pol.mix, generator=torch.Generator().manual_seed(0))
        assert (xm.shape, xm.dtype) == (x.shape, x.dtype) and 0 <= lam <= 1, name


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}px-{'gray' if s[2] == 1 else 'colour'}")
def test_every_transform_fired_keeps_shape_and_dtype(shape):
    im = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    for name, aug in AUGMENTATIONS.items():
        t = aug.factory(shape[0]); t.p = 1.0
        out = t(image=im)["image"]
        assert (out.shape, out.dtype) == (im.shape, np.uint8), (name, out.shape, out.dtype)


def test_variance_split_known_answer():
    # a pure interaction: each architecture is best with the other policy; ±0.5 noise in every cell of two runs
    rows = [dict(architecture=a, policy=p, balanced_accuracy=float(a != p) + e)
            for a in ("x", "y") for p in ("x", "y") for e in (-0.5, 0.5)]
    ve = variance_explained(pd.DataFrame(rows))
    assert ve["architecture"] == pytest.approx(0) and ve["augmentation"] == pytest.approx(0)
    assert ve["interaction"] == pytest.approx(0.5) and ve["residual"] == pytest.approx(0.5)
    # additive: 3 architectures 0, 0.1, 0.2 apart, 2 policies 0.3 apart, no noise but a replicate offset that cancels
    rows = [dict(architecture=a, policy=p, balanced_accuracy=0.1 * i + 0.3 * j + e)
            for i, a in enumerate("abc") for j, p in enumerate(("none", "safe")) for e in (-0.05, 0.05)]
    ve = variance_explained(pd.DataFrame(rows))
    ss_a, ss_b, ss_e = 2 * 2 * (0.1 ** 2 * 2), 3 * 2 * (0.15 ** 2 * 2), 12 * 0.05 ** 2  # b·r·Σ(mean_a − grand)², a·r·Σ(…)², n·e²
    total = ss_a + ss_b + ss_e
    assert [ve[k] for k in ("architecture", "augmentation", "interaction", "residual")] == pytest.approx([ss_a / total, ss_b / total, 0, ss_e / total], abs=1e-12)
    assert sum(ve[k] for k in ("architecture", "augmentation", "interaction", "residual")) == pytest.approx(1)
    with pytest.raises(ImgbookError, match="same number"): variance_explained(pd.DataFrame(rows[:-1]))


def test_unknown_names_are_refused_with_the_valid_ones():
    with pytest.raises(ImgbookError, match=r"policy 'autoaugment': unknown; valid policies: none, hflip, .*cutmix, safe, safe\+domain, all"):
        get_policy("autoaugment")
    with pytest.raises(ImgbookError, match=r"augmentation 'sharpen': unknown \(augmentations: hflip, vflip"):
        train_transform("hflip,sharpen", 32)


def test_unknown_policy_stops_the_study_before_training(tmp_path):
    r = cli("report", "augmentation", "--preset", "smoke", "--out", tmp_path, "-p", "policies", "[none, rotate45]")
    assert_clean_error(r.returncode, r.stderr, "policy 'rotate45': unknown; valid policies: none, hflip")
    assert not (tmp_path/"experiments.csv").exists() and not (tmp_path/"trials").exists()
    r = cli("report", "augmentation", "--preset", "smoke", "--out", tmp_path/"b", "-p", "models", "[resnet18, resnet19]")
    assert_clean_error(r.returncode, r.stderr, "model 'resnet19': unknown; valid models:")
    assert not (tmp_path/"b"/"experiments.csv").exists()
