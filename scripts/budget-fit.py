"""Refit `imgbook.budget.SIZING` (fixed_s, k, per_pass per study) from measured report runs on one machine.

  python scripts/budget-fit.py [--probe] [--holdout NAME] [--weight NAME=W,...] [--skip NAME/STUDY,...] NAME=DIR[:LOG] ...

DIR is a report folder (each STUDY.json's params give the study's work); a study's wall time is the `STUDY: done in N s`
line of LOG (what `imgbook report` prints), else the `budget` entry's actual minutes. Rates come from RATES.json
(IMGBOOK_BUDGET_RATES, default budget-rates.json), one probe of this machine for every run; `--probe` measures the
(model, side, start) triples it lacks. Non-negative least squares on relative error; a held-out run is only scored, a
skipped study (one that shared the cores) is left out of the fit, though the model it trained still counts as trained.
"""
import json, os, re, sys
from pathlib import Path
import numpy as np, pandas as pd
from scipy.optimize import nnls
from imgbook.budget import SIZING, n_images, one_pass_s, probe, work_units, _resolved, _work

args = sys.argv[1:]
def option(name, default=None):
    if name not in args: return default
    i = args.index(name); value = args[i + 1]; del args[i:i + 2]; return value
probing = "--probe" in args and not args.remove("--probe")
holdout, skip = option("--holdout", ""), set(filter(None, option("--skip", "").split(",")))
weights = dict(w.split("=") for w in filter(None, (option("--weight", "") or "").split(",")))
rates_file = Path(os.environ.get("IMGBOOK_BUDGET_RATES", "budget-rates.json"))

def walls(log): return {s: float(t) for s, t in re.findall(r"\n([\w-]+): done in (\d+) s", "\n" + Path(log).read_text(errors="replace").replace("\r", "\n"))}
todo = []
for arg in args:
    name, where = arg.split("=", 1)
    folder, _, log = where.partition(":")
    w = walls(log) if log else {}
    for s in SIZING:
        if not (f := Path(folder)/f"{s}.json").is_file(): continue
        j = json.loads(f.read_text()); v = _resolved(s, j["params"], j["params"]["data"])
        if wall := w.get(s) or (j.get("budget") or {}).get("actual_min", 0) * 60: todo.append((name, s, v, wall))
rates = {(k.split()[0], int(k.split()[1]), k.split()[2]): r for k, r in json.loads(rates_file.read_text()).items()} if rates_file.exists() else {}
if missing := {(r.model, r.img_size, r.start) for _, s, v, _ in todo for r in _work(s, v, v["data"])} - set(rates):
    if not probing: sys.exit(f"{rates_file}: not probed {sorted(missing)}; run with --probe")
    rates.update(probe(sorted(missing)))
    rates_file.write_text(json.dumps({" ".join(map(str, p)): r for p, r in sorted(rates.items())}, indent=1))
rows, trained = [], {}
for name, s, v, wall in todo:
    work = _work(s, v, v["data"])
    one = one_pass_s(work, n_images(v["data"], v), rates)
    units = work_units(work, rates, trained.setdefault(name, set()))
    if f"{name}/{s}" not in skip: rows.append(dict(run=name, study=s, train=units, one_pass=one, actual=wall))
df, fits = pd.DataFrame(rows), {}
for s, g in df[df.run != holdout].groupby("study", sort=False):
    w = np.sqrt(g.run.map(lambda r: float(weights.get(r, 1))).values)
    x = nnls(np.c_[np.ones(len(g)), g.train, g.one_pass] / g.actual.values[:, None] * w[:, None], w)[0]
    fits[s] = (round(float(x[0])), round(float(x[1]), 2), round(float(x[2]), 2))
df["error"] = [(f[0] + f[1] * t + f[2] * o) / a - 1 for f, t, o, a in zip(df.study.map(fits), df.train, df.one_pass, df.actual)]
print("| study | fixed_s | k | per_pass | " + " | ".join(df.run.unique()) + " |\n|---|---|---|---|" + "---|" * df.run.nunique())
for s, g in df.groupby("study", sort=False):
    cells = {r: f"{a:,.0f} s, {100 * e:+.0f}%" for r, a, e in zip(g.run, g.actual, g.error)}
    print(f"| {s} | {' | '.join(map(str, fits[s]))} | " + " | ".join(cells.get(r, "") for r in df.run.unique()) + " |")
