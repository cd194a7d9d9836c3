"""A non-editable install into a fresh venv, used from outside the repository.

To avoid reinstalling torch, the fresh venv sees the project venv's site-packages through a `.pth` line (a plain path,
so the editable-install hooks there are not run), and imgbook itself is built from a copy of the source tree and
installed with `pip install --no-deps` into the fresh venv. The dependencies' data files (nbconvert's HTML templates,
the kernelspec) live under the project venv's share/jupyter, which JUPYTER_PATH points at, as a normal install would
have them under the fresh venv's own prefix."""
import json, os, shutil, subprocess, sys, sysconfig
from pathlib import Path

import pytest

import imgbook
from conftest import REPO, cli

pytestmark = pytest.mark.xdist_group("install")  # the fresh venv is built once, on one worker (scripts/test: --dist loadgroup)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    "A fresh venv holding a non-editable imgbook, and an empty working folder outside the repo."
    root = tmp_path_factory.mktemp("fresh")
    src, venv, work = root/"src", root/"venv", root/"work"
    src.mkdir(); work.mkdir()
    for f in ("pyproject.toml", "README.md", "LICENSE"):
        if (REPO/f).exists(): shutil.copy2(REPO/f, src/f)
    shutil.copytree(REPO/"imgbook", src/"imgbook", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO/"nbs", src/"nbs", ignore=shutil.ignore_patterns("*.py", ".*", "reports", "__pycache__"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv/"bin"/"python"
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site)/"_project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    r = subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                        "--ignore-installed", str(src)], capture_output=True, text=True, cwd=work)
    assert r.returncode == 0, r.stdout + r.stderr
    jupyter = os.pathsep.join(filter(None, [str(Path(sys.prefix)/"share"/"jupyter"), os.environ.get("JUPYTER_PATH")]))
    return dict(venv=venv, bin=venv/"bin", py=py, work=work, site=Path(site), env=dict(JUPYTER_PATH=jupyter))


def test_imports_the_installed_copy(fresh):
    r = subprocess.run([fresh["py"], "-c", "import imgbook, imgbook.cli; print(imgbook.__file__)"],
                       capture_output=True, text=True, cwd=fresh["work"])
    f = Path(r.stdout.strip())
    assert r.returncode == 0, r.stderr
    assert f.is_relative_to(fresh["site"]) and not f.is_relative_to(REPO), f
    assert sorted(p.name for p in (fresh["site"]/"imgbook"/"nbs").glob("*.ipynb")) == sorted(p.name for p in (REPO/"nbs").glob("*.ipynb"))


def test_version_and_studies(fresh):
    r = cli("--version", cwd=fresh["work"], bin_dir=fresh["bin"])
    assert (r.returncode, r.stdout) == (0, f"imgbook {imgbook.__version__}\n"), r.stderr
    r = cli("studies", cwd=fresh["work"], bin_dir=fresh["bin"])
    assert r.returncode == 0 and "baseline" in r.stdout, r.stderr
    assert f"({fresh['site']/'imgbook'/'nbs'/'20_baseline.ipynb'})" in r.stdout, r.stdout


def test_smoke_report_outside_the_repo(fresh):
    r = cli("report", "baseline", "--preset", "smoke", "-p", "epochs", "1", "-p", "seed", "3", cwd=fresh["work"], bin_dir=fresh["bin"], env=fresh["env"])
    assert r.returncode == 0, r.stdout + r.stderr
    out = fresh["work"]/"reports"
    assert {"baseline.ipynb", "baseline.html", "baseline.json"} <= {p.name for p in out.iterdir()}
    d = json.loads((out/"baseline.json").read_text())
    assert {"study", "imgbook_version", "params", "data", "env", "runtime_s", "results", "recommendation"} <= set(d)
    assert (d["study"], d["params"]["epochs"], d["params"]["seed"], d["data"]["spec"]) == ("baseline", 1, 3, "synthetic")
    assert d["recommendation"] and d["data"]["n_test"] > 0
    r = cli("report", "baseline", "--preset", "smoke", cwd=fresh["work"], bin_dir=fresh["bin"], env=fresh["env"])
    assert r.returncode == 2 and "already exists: pass --force" in r.stderr
