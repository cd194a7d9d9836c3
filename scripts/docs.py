"""Stage the docs site for scripts/docs, or check the built site.

  python scripts/docs.py REPORTS   copy docs/, the notebooks and the example reports in REPORTS into _build/docs
                                   and write _build/mkdocs.yml (the navigation, INHERITing ./mkdocs.yml)
  python scripts/docs.py --check SITE   fail if any built page loads a script, style sheet or font from the network
"""
import json, re, shutil, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT/"_build"
DOCS = BUILD/"docs"


def title(path: Path) -> str:
    "The first heading of a Markdown page or notebook."
    if path.suffix == ".ipynb":
        text = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown")
    else: text = path.read_text()
    m = re.search(r"^# (.+)$", text, re.M)
    return m.group(1).strip() if m else path.stem


def example_reports(reports: Path) -> list[str]:
    "Copy each rendered study in `reports` (STUDY.ipynb beside STUDY.json) with its code cells' input hidden; write reports/index.md."
    out, rows = DOCS/"reports", []
    out.mkdir(parents=True)
    for j in sorted(reports.glob("*.json")):
        nb_path, doc = j.with_suffix(".ipynb"), json.loads(j.read_text())
        if not nb_path.exists() or not isinstance(doc, dict) or "study" not in doc: continue
        nb = json.loads(nb_path.read_text())
        nb["cells"] = [c for c in nb["cells"] if c["cell_type"] != "code" or c.get("outputs")]  # a hidden cell with no output is blank space
        for c in nb["cells"]:
            if c["cell_type"] == "code": c.setdefault("metadata", {}).setdefault("tags", []).append("hide-input")
        (out/nb_path.name).write_text(json.dumps(nb))
        env, params = doc.get("env") or {}, doc.get("params") or {}
        rows.append(f"| [{doc['study']}]({nb_path.name}) | `{doc['data']['spec']}` | {params.get('n_synthetic', '')} | "
                    f"{env.get('commit') or ''} | {env.get('cpu', '')}, {env.get('threads', '')} thread{'' if env.get('threads') == 1 else 's'} | "
                    f"{doc.get('runtime_s')} s |")
    intro = ("# Example reports\n\nReports rendered by `scripts/docs` (by default the baseline at the `smoke` preset: a few hundred "
             "synthetic images, one or two epochs). They show what a report looks like, with its tables and figures; the "
             "numbers of a smoke run mean nothing. Real runs are on the [measurements](../measurements.md) page.\n\n")
    table = "| study | data | synthetic images | commit | machine | runtime |\n|---|---|---|---|---|---|\n" + "\n".join(rows) if rows \
        else "No reports were rendered for this build (`scripts/docs baseline` renders one).\n"
    (out/"index.md").write_text(intro + table + "\n")
    return [f"reports/{r.split('](')[1].split(')')[0]}" for r in rows]


def stage(reports: Path):
    shutil.rmtree(BUILD/"docs", ignore_errors=True)
    shutil.copytree(ROOT/"docs", DOCS)
    nbs = sorted((ROOT/"nbs").glob("[0-9][0-9]_*.ipynb"))
    (DOCS/"api").mkdir()
    for nb in nbs: shutil.copy(nb, DOCS/"api"/nb.name)
    library = [f"api/{nb.name}" for nb in nbs if not nb.name.startswith("2")]
    studies = [f"api/{nb.name}" for nb in nbs if nb.name.startswith("2")]
    shown = example_reports(reports)
    findings = sorted((DOCS/"findings").glob("*.md"), reverse=True)  # newest first
    nav = [{"Home": "index.md"}, {"Studies and STUDY.json": "studies.md"},
           {"Example reports": ["reports/index.md", *shown]},
           {"Measurements": "measurements.md"},
           {"Findings": [f"findings/{f.name}" for f in findings]},
           {"Library notebooks (API)": [{title(DOCS/p): p} for p in library]},
           {"Study notebooks": [{title(DOCS/p): p} for p in studies]},
           {"Module map": "modules.md"}, {"Scale-out: Ray and MLflow": "scale-out.md"}]
    config = {"INHERIT": "../mkdocs.yml", "docs_dir": "docs", "site_dir": "../_site", "nav": nav}
    (BUILD/"mkdocs.yml").write_text(json.dumps(config, indent=1))  # JSON is YAML


# nbconvert's lab template adds a loader that imports Mermaid from cdnjs when a page has Mermaid diagrams; ours have none,
# so the loader is removed rather than left pointing at a CDN
MERMAID_LOADER = re.compile(r'<script type="module">\s*document\.addEventListener\("DOMContentLoaded", async \(\) => \{\s*'
                            r'const diagrams = document\.querySelectorAll\("\.jp-Mermaid.*?</script>', re.S)


def check(site: Path):
    "Remove the notebook pages' unused Mermaid loader, then fail on any page that loads a script, style sheet or font from the network."
    for p in site.rglob("*.html"):
        text = p.read_text(errors="replace")
        if "jp-Mermaid" in text and "<pre class=\"mermaid\"" not in text: p.write_text(MERMAID_LOADER.sub("", text))
    remote = re.compile(r"""<(?:script|link|img|iframe)[^>]+(?:src|href)=["']?(?:https?:)?//[^"'\s>]+|url\(["']?(?:https?:)?//[^)]+\)"""
                        r"""|@import\s+["']?(?:https?:)?//|import\(\s*["']https?://[^"']+""", re.I)
    bad = {str(p.relative_to(site)): remote.findall(p.read_text(errors="replace"))[:3] for p in site.rglob("*") if p.suffix in (".html", ".css")}
    bad = {k: v for k, v in bad.items() if v}
    if bad:
        for k, v in bad.items(): print(f"docs: {k} loads from the network: {v}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--check"]: check(Path(sys.argv[2]))
    else: stage(Path(sys.argv[1]))
