"The front door: the README's limits, and the tables generated from results/runs.csv are what the file generates."
import re
from pathlib import Path

import pytest

from imgbook.report import STUDIES
from imgbook.results import MARKERS, RUN_COLUMNS, measurements_page, read_runs, reference_table

ROOT = Path(__file__).resolve().parent.parent


def test_readme_is_short():
    text = (ROOT/"README.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert len(lines) <= 150 and len(text.encode()) <= 12_000, (len(lines), len(text.encode()))
    assert not [n for n, l in enumerate(lines, 1) if len(l) > 120], "README lines over 120 characters"
    assert re.search(r"!\[[^\]]+\]\(docs/images/\w+\.png\)", text) and (ROOT/"docs/images/report.png").stat().st_size < 300_000


def test_runs_file_is_well_formed():
    runs = read_runs(ROOT/"results/runs.csv")  # also checks the header
    assert runs and all(set(r) == set(RUN_COLUMNS) for r in runs)
    assert {r["study"] for r in runs} <= {*STUDIES, "all"}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d\+00:00)?", r["date"]) for r in runs)


def test_generated_tables_are_current():
    "Edit results/runs.csv (or run `imgbook results add`), then `imgbook results table`; never the tables by hand."
    runs = read_runs(ROOT/"results/runs.csv")
    readme = (ROOT/"README.md").read_text(encoding="utf-8")
    between = readme.split(MARKERS[0])[1].split(MARKERS[1])[0]
    assert between.strip() == reference_table(runs).strip()
    assert (ROOT/"docs/measurements.md").read_text(encoding="utf-8") == measurements_page(runs)


def test_docs_check_refuses_network_loads(tmp_path):
    "scripts/docs.py --check fails on a page that loads a script, style sheet or font from the network, and passes links."
    import importlib.util
    spec = importlib.util.spec_from_file_location("docs_build", ROOT/"scripts/docs.py")
    docs = importlib.util.module_from_spec(spec); spec.loader.exec_module(docs)
    (tmp_path/"ok.html").write_text('<a href="https://nbdev.fast.ai">nbdev</a><script src="assets/x.js"></script>')
    docs.check(tmp_path)
    for bad in ('<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">',
                '<script src="https://unpkg.com/iframe-worker/shim"></script>',
                '<script type="module">const m = await import("https://cdnjs.cloudflare.com/x.mjs")</script>'):
        (tmp_path/"bad.html").write_text(bad)
        with pytest.raises(SystemExit): docs.check(tmp_path)
