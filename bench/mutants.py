"""Do the tests pin the values? Inject plausible one-line bugs into the metrics, verdict and
statistics functions, one at a time, in a copy of the tree, and check that each makes the
tests fail.

    python -m bench mutants [--only NAME]

Each mutant is (name, file, the exact line as it is, the line with the bug). A mutant whose
line is no longer in the file is reported as NOT APPLIED, so a refactoring never passes this
check silently. Exits 1 when any bug goes uncaught or cannot be applied.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = (
    "tests/test_evidence_standard.py",
    "tests/test_claims_evidence.py",
    "tests/test_community_metrics.py",
    "tests/test_verdicts.py",
    "tests/test_stats.py",
    "tests/test_truck_factor.py",
    "tests/test_claims_charts.py",
    "tests/test_metrics.py",
    "tests/test_package_metrics.py",
)
MUTANTS = (
    (
        "new contributors counted from the window",
        "metrics/indicators.py",
        'first = contribs.groupby("person")["when"].min()',
        'first = recent.groupby("person")["when"].min()',
    ),
    (
        "community summary's new-contributor test reversed",
        "metrics/community.py",
        '"new": int((first > start).sum()),',
        '"new": int((first <= start).sum()),',
    ),
    (
        "elephant factor counting personal and unknown addresses",
        "metrics/community.py",
        "orgs = domains[domains.notna() & ~domains.isin(NO_ORGANIZATION)]",
        "orgs = domains[domains.notna()]",
    ),
    (
        "elephant factor over affiliated commits only",
        "metrics/community.py",
        "    return _factor_of(orgs.value_counts().to_numpy(), total, share)",
        "    return _factor_of(orgs.value_counts().to_numpy(), len(orgs), share)",
    ),
    (
        "bus-factor window a month short",
        "metrics/indicators.py",
        "start = window_end - pd.DateOffset(months=windows.activity_months)",
        "start = window_end - pd.DateOffset(months=windows.activity_months - 1)",
    ),
    (
        "fragility sweep ignoring tuned thresholds",
        "claims/verdicts.py",
        "by_scale = {s: judge(claim, values, thresholds, s).verdict for s in sweep}",
        "by_scale = {s: judge(claim, values, None, s).verdict for s in sweep}",
    ),
    (
        "coverage label of missing daily downloads",
        "metrics/coverage.py",
        'if table in lists and kind != "Daily downloads" and not empty:',
        "if table in lists and not empty:",
    ),
    (
        "two thirds rounded down",
        "claims/model.py",
        "return -(-2 * n // 3)",
        "return 2 * n // 3",
    ),
    (
        "retention ties broken by sort order",
        "metrics/community.py",
        "core = counts[counts >= cut].index",
        "core = counts.nlargest(top).index",
    ),
    (
        "package coverage by substring",
        "metrics/indicators.py",
        'packages_q = "partial" if any(pkg in left_out for pkg in p.packages) else "ok"',
        'packages_q = "partial" if any(f"{pkg}: " in row["notes"] for pkg in p.packages) else "ok"',
    ),
    (
        "stale values in the medians",
        "claims/verdicts.py",
        'rows = rows[rows["quality"] != "stale"]',
        "rows = rows",
    ),
    (
        "a median from too few members",
        "claims/verdicts.py",
        "enough = fresh.size() >= MIN_MEMBER_SHARE * len(set(project_ids))",
        "enough = fresh.size() >= 1",
    ),
    (
        "family repositories counted for their project",
        "metrics/indicators.py",
        "main = p.main_repo_names\n        mine = _rows_of(by_repo, main, commits)",
        "main = p.repo_names\n        mine = _rows_of(by_repo, main, commits)",
    ),
    (
        "a window per project instead of one for all",
        "metrics/indicators.py",
        'recent = contribs[contribs["when"] > start]',
        'recent = contribs[contribs["when"] > contribs["when"].max() - '
        "pd.DateOffset(months=windows.activity_months)]",
    ),
    (
        "a stale history counted as no activity",
        "metrics/indicators.py",
        "        if note:\n            # a copy that ends early",
        "        if False:\n            # a copy that ends early",
    ),
    (
        "the interval's level",
        "metrics/stats.py",
        "_adjusted_resamples(g_rows, c_rows, offset, resamples, seed), resamples, 0.95",
        "_adjusted_resamples(g_rows, c_rows, offset, resamples, seed), resamples, 0.5",
    ),
    (
        "the size adjustment without size",
        "metrics/stats.py",
        "        columns.append(log_size - log_size.mean())",
        "        pass",
    ),
    (
        "the position read from the raw ratio",
        "metrics/stats.py",
        "position = _position(adjusted_low, adjusted_high, higher_is_better)",
        "position = _position(raw_low, raw_high, higher_is_better)",
    ),
    (
        "the truck factor's author threshold",
        "metrics/truck.py",
        "AUTHOR_NORMALIZED = 0.75",
        "AUTHOR_NORMALIZED = 0.5",
    ),
    (
        "download share compared across a counting change",
        "metrics/packages.py",
        'same = tops[(tops["installers"] == method[0]) & (tops["method"] == method[1])]',
        "same = tops",
    ),
)


def copy_tree(target: Path) -> None:
    """The tracked and untracked (not ignored) files of the work tree, into `target`."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / name.decode()
        if source.is_file():
            (target / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            (target / name.decode()).write_bytes(source.read_bytes())


def run(tree: Path, name: str, path: str, line: str, bug: str) -> str:
    file = tree / path
    text = file.read_text(encoding="utf-8")
    if text.count(line) != 1:
        return f"NOT APPLIED ({text.count(line)} matches)"
    file.write_text(text.replace(line, bug), encoding="utf-8")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *TESTS],
            cwd=tree,
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        file.write_text(text, encoding="utf-8")
    last = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    return ("caught: " if done.returncode else "MISSED: ") + last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run the mutants whose name contains this")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or args.only in m[0]]
    failures = 0
    with tempfile.TemporaryDirectory(prefix="mutants-") as tmp:
        tree = Path(tmp)
        copy_tree(tree)
        print(f"{len(chosen)} injected bugs, each against: {' '.join(TESTS)}")
        for name, path, line, bug in chosen:
            started = time.perf_counter()
            outcome = run(tree, name, path, line, bug)
            failures += not outcome.startswith("caught")
            print(f"{name:56} {outcome}  ({time.perf_counter() - started:.1f} s)", flush=True)
    print(f"{len(chosen) - failures} of {len(chosen)} caught")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
