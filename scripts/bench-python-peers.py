#!/usr/bin/env python3
"""Python peers vs gsa on the same real BizBuySell pages, in the same run (issue 8).

What a user would run instead of gsa's parser: BeautifulSoup (lxml and html.parser) and
selectolax (lexbor), each parsing the real detail and search pages of testdata/bizbuysell/html
and extracting the same headline fields (title, asking price, cash flow, gross revenue,
location, description; search pages through the embedded BBS-state JSON). gsa's figure comes
from the release example `parse_rate` run in the same invocation (same pages, same loop: every
page in memory, parsed again and again on one thread), so each ratio is measured, not quoted.

Then the whole-process check: `gsa parse DIR` over 400 real detail pages (the corpus pages
copied into a temp dir until there are 400) against this script's `--process PEER DIR` mode
over the same files, process start-up included (wall time, median of RUNS).

Output: Markdown tables on stdout; progress, pip and cargo output on stderr.

    python3 scripts/bench-python-peers.py            # everything (venv in target/bench-venv)
    SECONDS_PER_PEER=3 PROCESS_PAGES=400 RUNS=3 python3 scripts/bench-python-peers.py
    python3 scripts/bench-python-peers.py --process selectolax DIR   # one peer as a process

Environment: BENCH_VENV (default <repo>/target/bench-venv), CARGO_TARGET_DIR (where the
release binaries are built), SKIP_PROCESS=1 to skip the whole-process table.
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES_DIR = ROOT / "testdata" / "bizbuysell" / "html"
VENV = Path(os.environ.get("BENCH_VENV", ROOT / "target" / "bench-venv"))
PACKAGES = ["beautifulsoup4", "lxml", "selectolax"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def ensure_venv():
    """Re-executes this script inside the venv (created on first use) holding the peers."""
    py = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not py.exists():
        log(f"creating {VENV} with {' '.join(PACKAGES)}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, stdout=sys.stderr)
    check = subprocess.run([str(py), "-c", "import bs4, lxml, selectolax"], capture_output=True)
    if check.returncode != 0:
        subprocess.run([str(py), "-m", "pip", "install", "-q", *PACKAGES], check=True, stdout=sys.stderr)
    os.execv(str(py), [str(py), *sys.argv])


# --- the same headline fields, peer by peer --------------------------------------------------

MONEY = re.compile(r"-?\$?\s*([\d,]+(?:\.\d+)?)")


def money(text):
    if not text or "not disclosed" in text.lower():
        return None
    m = MONEY.search(text)
    if not m:
        return None
    try:
        return int(float(m.group(1).replace(",", "")))
    except ValueError:
        return None


LABELS = {
    "asking price": "asking_price",
    "cash flow (sde)": "cash_flow",
    "cash flow": "cash_flow",
    "gross revenue": "gross_revenue",
}


def detail_bs4(html, parser):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, parser)
    out = {}
    h1 = soup.select_one("h1.bfsTitle")
    out["title"] = h1.get_text(" ", strip=True) if h1 else None
    for p in soup.select("p.m-listing-row"):
        t = p.select_one("span.title")
        if t is None:
            continue
        label = t.get_text(" ", strip=True).rstrip(":").strip().lower()
        key = LABELS.get(label)
        if key is None or key in out:
            continue
        for h in p.select("span.help"):
            h.decompose()
        t.extract()
        out[key] = money(p.get_text(" ", strip=True))
    loc = soup.select_one("span.f-l.cs-800.opacity-70")
    out["location"] = loc.get_text(" ", strip=True) if loc else None
    d = soup.select_one("div.businessDescription")
    out["description"] = d.get_text("\n", strip=True) if d else None
    return out


def detail_selectolax(html):
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    tree = HTMLParser(html)
    out = {}
    h1 = tree.css_first("h1.bfsTitle")
    out["title"] = h1.text(separator=" ", strip=True) if h1 else None
    for p in tree.css("p.m-listing-row"):
        t = p.css_first("span.title")
        if t is None:
            continue
        label = t.text(separator=" ", strip=True).rstrip(":").strip().lower()
        key = LABELS.get(label)
        if key is None or key in out:
            continue
        for h in p.css("span.help"):
            h.decompose()
        t.decompose()
        out[key] = money(p.text(separator=" ", strip=True))
    loc = tree.css_first("span.f-l.cs-800.opacity-70")
    out["location"] = loc.text(separator=" ", strip=True) if loc else None
    d = tree.css_first("div.businessDescription")
    out["description"] = d.text(separator="\n", strip=True) if d else None
    return out


def records_from_state(raw):
    state = json.loads(raw)
    out = []
    for v in state.values():
        recs = v
        for k in ("value", "bfsSearchResult", "value"):
            recs = recs.get(k) if isinstance(recs, dict) else None
        if not isinstance(recs, list):
            continue
        for r in recs:
            if not r.get("listNumber"):
                continue  # inline ad placeholders
            out.append(
                {
                    "title": r.get("header"),
                    "asking_price": r.get("price"),
                    "cash_flow": r.get("cashFlow"),
                    "gross_revenue": None,  # not in search records
                    "location": r.get("location"),
                    "description": r.get("description"),
                }
            )
    return out


def search_bs4(html, parser):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, parser)
    s = soup.find("script", id="BBS-state")
    return records_from_state(s.string) if s is not None and s.string else []


def search_selectolax(html):
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    s = HTMLParser(html).css_first("script#BBS-state")
    return records_from_state(s.text()) if s is not None else []


PEERS = {
    "BeautifulSoup + lxml": (lambda h: detail_bs4(h, "lxml"), lambda h: search_bs4(h, "lxml")),
    "BeautifulSoup + html.parser": (
        lambda h: detail_bs4(h, "html.parser"),
        lambda h: search_bs4(h, "html.parser"),
    ),
    "selectolax (lexbor)": (detail_selectolax, search_selectolax),
}
PROCESS_NAMES = {"bs4-lxml": "BeautifulSoup + lxml", "bs4-html.parser": "BeautifulSoup + html.parser", "selectolax": "selectolax (lexbor)"}


def rate(fn, pages, seconds):
    """(pages per wall second, pages per CPU second of this thread): every page parsed in
    turn, repeated until `seconds` have passed. The CPU-second figure does not depend on
    what else the machine runs, so it is the one the ratios use."""
    n = 0
    start = time.perf_counter()
    cpu0 = time.thread_time()
    while True:
        for html in pages:
            r = fn(html)
            if not r:
                raise SystemExit(f"peer extracted nothing from a page ({fn})")
            n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed, n / max(time.thread_time() - cpu0, 1e-9)


def check_fields(pages):
    """The peers read the same headline values as each other on every detail page."""
    for html in pages:
        got = [PEERS[p][0](html) for p in PEERS]
        for g in got[1:]:
            for k in ("title", "asking_price", "cash_flow", "gross_revenue", "location"):
                if g.get(k) != got[0].get(k):
                    log(f"warning: peers disagree on {k}: {got[0].get(k)!r} vs {g.get(k)!r}")


def target_dir():
    return Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def cargo_build(*args):
    log("cargo build --release --locked", " ".join(args))
    subprocess.run(["cargo", "build", "--release", "--locked", *args], cwd=ROOT, check=True, stdout=sys.stderr)


def process_mode(peer_key, directory):
    """`--process PEER DIR`: parse every .html file under DIR, one JSON line per page."""
    peer = PEERS[PROCESS_NAMES[peer_key]]
    out = sys.stdout
    for p in sorted(Path(directory).rglob("*.html")):
        html = p.read_text(encoding="utf-8", errors="replace")
        fn = peer[1] if p.name.startswith("search") else peer[0]
        r = fn(html)
        out.write(json.dumps(r) + "\n")


def wall(cmd, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "--process":
        process_mode(sys.argv[2], sys.argv[3])
        return
    ensure_venv()
    seconds = float(os.environ.get("SECONDS_PER_PEER", "3"))
    detail_files = sorted(PAGES_DIR.glob("detail-*.html"))
    search_files = sorted(PAGES_DIR.glob("search-*.html"))
    detail = [p.read_text(encoding="utf-8") for p in detail_files]
    search = [p.read_text(encoding="utf-8") for p in search_files]
    check_fields(detail)

    cargo_build("-p", "gsa-scraper", "--example", "parse_rate")
    rust = json.loads(
        subprocess.run(
            [str(target_dir() / "release" / "examples" / "parse_rate"), str(seconds)]
            + [str(p) for p in detail_files + search_files],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )

    rows = []
    for name, (fd, fs) in PEERS.items():
        log(f"timing {name}")
        rows.append((name, rate(fd, detail, seconds), rate(fs, search, seconds)))
    load = os.getloadavg()
    # Per CPU second where the platform tells (Linux), else per wall second.
    key = "_cpu" if "detail_fast_cpu" in rust else ""
    g = {k: rust[f"{k}{key}"] for k in ("detail_fast", "detail_dom", "search_fast", "search_dom")}
    print("## Scraper vs Python peers (same pages, same run, one thread)")
    print()
    print(
        f"{len(detail)} real detail pages ({sum(map(len, detail)) // len(detail) // 1024} KB avg), "
        f"{len(search)} real search pages ({sum(map(len, search)) // len(search) // 1024} KB avg); "
        f"{seconds:g} s per figure; load average at the end {load[0]:.2f} on {os.cpu_count()} cores. "
        "Pages per CPU second of the parsing thread (the ratios use these: they do not depend on "
        "the machine's load); pages per wall second in brackets."
    )
    print()
    print("| parser | detail pages/s | search pages/s |")
    print("|---|---:|---:|")
    for name, d, s in rows:
        print(f"| {name} | {d[1]:,.1f} ({d[0]:,.1f}) | {s[1]:,.1f} ({s[0]:,.1f}) |")
    print(f"| **gsa fast path** (streaming scan + sliced DOM; state JSON) | {g['detail_fast']:,.1f} ({rust['detail_fast']:,.1f}) | {g['search_fast']:,.1f} ({rust['search_fast']:,.1f}) |")
    print(f"| gsa DOM path (full html5ever tree, the fallback) | {g['detail_dom']:,.1f} ({rust['detail_dom']:,.1f}) | {g['search_dom']:,.1f} ({rust['search_dom']:,.1f}) |")
    print()
    print("| ratio (gsa fast / peer, per CPU second) | detail | target | search | target |")
    print("|---|---:|---:|---:|---:|")
    targets = {"BeautifulSoup + lxml": ("50x", None), "BeautifulSoup + html.parser": ("50x", None), "selectolax (lexbor)": ("2x", "3x")}
    for name, d, s in rows:
        td, ts = targets[name]
        print(f"| {name} | {g['detail_fast'] / d[1]:,.1f}x | {td or '-'} | {g['search_fast'] / s[1]:,.1f}x | {ts or '-'} |")
    print()
    sys.stdout.flush()

    if os.environ.get("SKIP_PROCESS"):
        return
    n = int(os.environ.get("PROCESS_PAGES", "400"))
    runs = int(os.environ.get("RUNS", "3"))
    cargo_build("-p", "gsa", "--bin", "gsa")
    gsa = target_dir() / "release" / "gsa"
    tmp = Path(tempfile.mkdtemp(prefix="gsa-parse-bench-"))
    try:
        for i in range(n):
            src = detail_files[i % len(detail_files)]
            shutil.copyfile(src, tmp / f"{i:04d}-{src.name}")
        results = [("gsa parse (release)", wall([str(gsa), "parse", str(tmp)], runs), runs)]
        for key, name in PROCESS_NAMES.items():
            # BeautifulSoup takes ~30 s per run on 400 pages: once is enough to compare.
            r = runs if key == "selectolax" else 1
            log(f"whole process: {name} x{r}")
            results.append((name, wall([sys.executable, __file__, "--process", key, str(tmp)], r), r))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    g = results[0][1]
    print(f"## Whole process: {n} real detail pages, start-up included")
    print()
    print("| command | runs | wall s (median) | pages/s | gsa is faster by |")
    print("|---|---:|---:|---:|---:|")
    for name, t, r in results:
        cmd = name if name.startswith("gsa") else f"{name} (`bench-python-peers.py --process`)"
        print(f"| {cmd} | {r} | {t:.2f} | {n / t:,.0f} | {t / g:,.1f}x |")
    print()
    print(f"Load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores.")
    print()


if __name__ == "__main__":
    main()
