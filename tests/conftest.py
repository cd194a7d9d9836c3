"Shared test helpers: a quiet isolated environment, the `imgbook` command, the tiny fixture study, datasets built from synthetic images."
import os, subprocess, sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent/"fixtures"


@pytest.fixture(autouse=True, scope="session")
def quiet_env(tmp_path_factory):
    "Headless plots, no progress bars, and a decode/trial cache that is private to this test run."
    os.environ.pop("IN_TEST", None)  # studies run as a user runs them, not in nbdev-test's shortened mode
    os.environ.update(MPLBACKEND="Agg", IMGBOOK_PROGRESS="0", IMGBOOK_CACHE=str(tmp_path_factory.mktemp("cache")),
                      PIP_DISABLE_PIP_VERSION_CHECK="1")


def imgbook_cmd(bin_dir=None) -> list[str]:
    "The installed `imgbook` console script next to the interpreter (the entry point is part of what we test)."
    exe = Path(bin_dir or Path(sys.executable).parent)/"imgbook"
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "import sys; from imgbook.cli import main; sys.exit(main())"]


def cli(*args, cwd=None, bin_dir=None, env=None, timeout=900) -> subprocess.CompletedProcess:
    "Run `imgbook ARGS` in a subprocess without stdin, capturing text output; `env` adds to the environment."
    return subprocess.run(imgbook_cmd(bin_dir) + [str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout, env={**os.environ, **(env or {})})


def assert_clean_error(code:int, err:str, *needles:str, exit_code:int|None=None) -> str:
    "A failure reported as readable `imgbook: error:` lines naming `needles`, without a traceback; returns those lines."
    assert code != 0, f"expected failure, got exit 0; stderr: {err}"
    if exit_code is not None: assert code == exit_code, (code, err)
    assert "Traceback" not in err, err
    lines = [l for l in err.splitlines() if l.startswith("imgbook: error: ")]
    assert lines, f"no 'imgbook: error:' line in stderr: {err}"
    text = "\n".join(lines)
    for n in needles: assert n in text, f"{n!r} not in {text!r}"
    return text


@pytest.fixture
def tiny_study(monkeypatch):
    "Register tests/fixtures/tiny_study.ipynb as the study 'tiny' for one test."
    from imgbook import report
    monkeypatch.setitem(report.STUDIES, "tiny", report.Study(str(FIXTURES/"tiny_study.ipynb"), "Does the runner work?",
                                                             dict(smoke=dict(epochs=2), standard=dict(epochs=3), full=dict(epochs=4))))
    return "tiny"


# -- datasets -------------------------------------------------------------------------------------------------------

def write_images(folder:Path, n:int, cls:int, seed:int=0) -> list[Path]:
    "`n` small noisy images with a class-dependent bright square, in mixed formats, sizes and modes."
    folder.mkdir(parents=True, exist_ok=True)
    rng, paths = np.random.default_rng(seed*100 + cls), []
    for i in range(n):
        h, w = 28 + 4*(i % 3), 36 - 4*(i % 2)
        img = rng.integers(0, 90, (h, w, 3), dtype=np.uint8)
        y0, x0 = (4*cls) % (h - 10), (6*cls) % (w - 10)
        img[y0:y0+10, x0:x0+10] = 230
        im, ext = Image.fromarray(img), ("png", "jpg", "png")[i % 3]
        if i % 4 == 3: im = im.convert("L")
        p = folder/f"img{i:03d}.{ext}"; im.save(p); paths.append(p)
    return paths


def good_folder(root:Path, classes=("a", "b", "c"), n:int=12) -> Path:
    "A readable folder dataset: one subfolder per class."
    for k, c in enumerate(classes): write_images(root/c, n, k)
    return root


def _truncated_jpeg(path:Path):
    buf = path.with_suffix(".tmp.jpg")
    Image.fromarray(np.full((40, 40, 3), 128, np.uint8)).save(buf, quality=95)
    data = buf.read_bytes(); buf.unlink()
    path.write_bytes(data[:len(data)//2])


def make_dataset(kind:str, root:Path) -> str:
    "A data spec for a dataset with one kind of problem (see `BAD_FILES` and `FATAL`)."
    if kind == "missing_path": return f"folder:{root/'no_such_folder'}"
    if kind == "single_class": return f"folder:{good_folder(root/'one', classes=('a',))}"
    if kind == "empty_class":
        d = good_folder(root/'ds'); (d/"d").mkdir(); return f"folder:{d}"  # class 'd' has no files
    if kind == "csv_missing_column":
        d = good_folder(root/'ds')
        rows = ["path,kind"] + [f"{p.relative_to(d)},{p.parent.name}" for p in sorted(d.rglob("img*"))]
        (d/"labels.csv").write_text("\n".join(rows) + "\n"); return f"csv:{d/'labels.csv'}"
    d = good_folder(root/'ds')
    if kind in ("empty_file", "bad_files"): (d/"a"/"empty.png").write_bytes(b"")
    if kind in ("truncated_jpeg", "bad_files"): _truncated_jpeg(d/"b"/"truncated.jpg")
    if kind in ("text_as_png", "bad_files"): (d/"c"/"notes.png").write_text("this is not an image\n")
    return f"folder:{d}"


def assert_reader_html(path:Path):
    "A rendered report shows what a reader needs: no exported library code, toy checks, progress bars or warnings."
    page = Path(path).read_text()
    for unwanted in ("#| export", "test_eq(", "test_fail(", "it/s]", "s/it]", "Warning:", "warnings.warn", "TqdmWarning", "console_output", "INFO:"):
        assert unwanted not in page, f"{path.name} shows {unwanted!r}"
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in page, f"{path.name} shows the kernel's stderr"
    assert "The question" in page and '"image/png"' not in page and "data:image/png;base64" in page
