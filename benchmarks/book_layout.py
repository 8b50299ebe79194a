"""Measure the built book's layout in a real browser (headless Chromium).

For every page of a built book this prints one table row with:

- ``code%``: the share of the article's height (at 1280 px, after MathJax
  has typeset) taken by code input, with its two parts, ``cells%`` (code
  cells' visible input) and ``list%`` (quoted listings and code blocks
  outside cells). Inputs hidden behind a "Show code cell source" toggle
  and solutions in closed dropdowns count as what they show: nothing.
- ``cols``: how many characters of code the code column shows at 1280 px,
  and ``cut``: how many code blocks are wider than their box (those scroll).
- ``imgs``: the number of figures (``<img>`` in the article, animations'
  frames included); ``px/css``: the smallest ratio of an image's natural
  pixels to its shown CSS pixels at 1280 px (2.0 is sharp on a 2x screen);
  ``min@1280`` and ``min@412``: the smallest shown scale, the shown width
  over the intended width (the ``width`` attribute or the inline style
  width that myst-nb writes for a 2x PNG, else the natural width), at 1280 and 412 px; ``<0.8``: how many are
  shown below 0.8 of their intended size at 1280 px.
- ``side412``: how many pixels the page scrolls sideways at 412 px (0: none).
- ``menu412``, ``toc412``, ``menu1280``, ``toc1280``: what clicking the
  visible menu button (primary sidebar toggle) and "Contents" button
  (secondary sidebar toggle) did: ``opened``, ``collapsed``, ``shown``,
  ``nothing``, or ``-`` when no such button is visible at that width.

Usage
-----
Build the book quickly from the committed outputs in a scratch copy (the
chapters are not re-executed)::

    rm -rf /tmp/bookscratch && mkdir /tmp/bookscratch
    git archive HEAD | tar -x -C /tmp/bookscratch   # or copy the work tree
    cd /tmp/bookscratch
    sed -i 's/execute_notebooks: force/execute_notebooks: "off"/' _config.yml
    jupyter-book build .                             # about 20-60 s

then, with ``playwright`` installed (``pip install playwright``; it drives
the system's Chromium, ``apt-get install chromium``, and downloads nothing)::

    python benchmarks/book_layout.py /tmp/bookscratch/_build/html
    python benchmarks/book_layout.py /tmp/bookscratch/_build/html \\
        --pages intro,api --shots /tmp/shots --json /tmp/layout.json

``--shots DIR`` saves, per page and width, the first screen, the whole page
(``--full``), and the screen after each button click, as PNG files to look at.
``--chromium`` names the browser (default ``/usr/bin/chromium``).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import pathlib
import re
import socketserver
import statistics
import sys
import threading

WIDE, NARROW = 1280, 412
HEIGHT = 900

# Visible vertical extent of code input and listings, as a union of intervals
# so that nested boxes are not counted twice.
MEASURE_JS = r"""
() => {
  const art = document.querySelector("article.bd-article")
    || document.querySelector("main");
  const top = art.getBoundingClientRect().top + window.scrollY;
  const height = art.getBoundingClientRect().height;
  // Shown on the page: not in a closed <details> (a folded cell input, a
  // solution's dropdown), whose content Chromium lays out but does not show.
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (!(r.height > 0 && el.offsetParent !== null)) return false;
    if (el.checkVisibility && !el.checkVisibility(
      {contentVisibilityAuto: true, visibilityProperty: true})) return false;
    for (let d = el.closest("details:not([open])"); d;
         d = d.parentElement && d.parentElement.closest("details:not([open])")) {
      const summary = d.querySelector(":scope > summary");
      if (!summary || !summary.contains(el)) return false;
    }
    return true;
  };
  const span = (els) => {
    const iv = els.filter(visible).map((el) => {
      const r = el.getBoundingClientRect();
      return [r.top + window.scrollY, r.bottom + window.scrollY];
    }).sort((a, b) => a[0] - b[0]);
    let total = 0, cur = null;
    for (const [a, b] of iv) {
      if (!cur || a > cur[1]) { if (cur) total += cur[1] - cur[0]; cur = [a, b]; }
      else cur[1] = Math.max(cur[1], b);
    }
    if (cur) total += cur[1] - cur[0];
    return total;
  };
  const cells = Array.from(art.querySelectorAll(".cell .cell_input"));
  const listings = Array.from(art.querySelectorAll(
    "div[class*='highlight-']")).filter((el) => !el.closest(".cell"));
  // Columns of code the column shows: the widest visible code box's inner
  // width over the width of one character in its font.
  let cols = null, cut = 0;
  const pres = Array.from(art.querySelectorAll(
    ".cell_input pre, div[class*='highlight-'] pre")).filter(visible);
  for (const pre of pres) {
    if (pre.scrollWidth > pre.clientWidth + 1) cut += 1;
  }
  if (pres.length) {
    const pre = pres[0];
    const probe = document.createElement("span");
    probe.textContent = "x".repeat(100);
    probe.style.whiteSpace = "pre";
    pre.appendChild(probe);
    const cw = probe.getBoundingClientRect().width / 100;
    probe.remove();
    const cs = getComputedStyle(pre);
    const inner = pre.clientWidth - parseFloat(cs.paddingLeft)
      - parseFloat(cs.paddingRight);
    cols = Math.floor(inner / cw + 1e-6);
  }
  const imgs = Array.from(art.querySelectorAll("img")).filter(
    (im) => im.naturalWidth >= 40).map((im) => {
      const r = im.getBoundingClientRect();
      const attr = parseFloat(im.getAttribute("width"));
      const styled = parseFloat(im.style.width);
      const intended = attr > 0 ? attr : styled > 0 ? styled
        : im.naturalWidth;
      return {src: (im.getAttribute("src") || "").slice(0, 60),
              natural: im.naturalWidth, shown: r.width, intended: intended};
    }).filter((d) => d.shown > 0);
  return {height: height, cells: span(cells), listings: span(listings),
          code: span(cells.concat(listings)), cols: cols, cut: cut,
          imgs: imgs,
          side: document.documentElement.scrollWidth - window.innerWidth};
}
"""

STATE_JS = r"""
() => {
  const vis = (sel) => {
    const el = document.querySelector(sel);
    if (!el) return false;
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    return r.width > 20 && r.right > 0 && cs.visibility !== "hidden"
      && cs.display !== "none";
  };
  const open = (sel) => {
    const el = document.querySelector(sel);
    return !!(el && el.open);
  };
  return {primary: vis("#pst-primary-sidebar"),
          secondary: vis("#pst-secondary-sidebar"),
          primary_modal: open("#pst-primary-sidebar-modal"),
          secondary_modal: open("#pst-secondary-sidebar-modal")};
}
"""

VISIBLE_BUTTON_JS = r"""
(sel) => {
  const els = Array.from(document.querySelectorAll(sel));
  return els.findIndex((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && el.offsetParent !== null
      && getComputedStyle(el).visibility !== "hidden";
  });
}
"""


def serve(root):
    """Serve ``root`` over HTTP on a free local port; return the base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(root))
    httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}/"


def page_order(html_root):
    """Pages in the order of the book's navigation (intro first)."""
    index = (html_root / "book" / "intro.html").read_text(encoding="utf-8")
    names = ["intro"]
    for name in re.findall(r'href="(\w+)\.html"', index):
        if name not in names and (html_root / "book" / f"{name}.html").exists():
            names.append(name)
    for path in sorted((html_root / "book").glob("*.html")):
        if path.stem not in names:
            names.append(path.stem)
    return names


def settle(page):
    """Wait for the load, MathJax's typesetting and every image."""
    page.wait_for_load_state("load")
    page.evaluate(
        "() => (window.MathJax && MathJax.startup && MathJax.startup.promise)"
        " ? MathJax.startup.promise : null"
    )
    page.evaluate(
        "() => Promise.all(Array.from(document.images).map((im) =>"
        " im.complete ? null : new Promise((r) => { im.onload = im.onerror"
        " = r; })))"
    )
    page.wait_for_timeout(150)


def click_result(page, url, which, shots, tag):
    """Click the visible ``which`` toggle on a fresh page; say what it did."""
    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)
    sel = f".{which}-toggle"
    idx = page.evaluate(VISIBLE_BUTTON_JS, sel)
    if idx < 0:
        return "-"
    before = page.evaluate(STATE_JS)
    page.locator(sel).nth(idx).click()
    page.wait_for_timeout(400)
    after = page.evaluate(STATE_JS)
    if shots:
        page.screenshot(path=str(shots / f"{tag}-{which}.png"))
    modal = f"{which}_modal"
    if after[modal] and not before[modal]:
        return "opened"
    if before[which] and not after[which]:
        return "collapsed"
    if after[which] and not before[which]:
        return "shown"
    return "nothing"


def measure(html_root, pages, chromium, shots=None, full=False):
    from playwright.sync_api import sync_playwright

    base = serve(html_root)
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu"],
        )
        for name in pages:
            url = f"{base}book/{name}.html"
            row = {"page": name}
            for width in (WIDE, NARROW):
                ctx = browser.new_context(
                    viewport={"width": width, "height": HEIGHT}
                )
                page = ctx.new_page()
                page.goto(url)
                settle(page)
                m = page.evaluate(MEASURE_JS)
                tag = f"{name}-{width}"
                if shots:
                    page.screenshot(path=str(shots / f"{tag}.png"))
                    if full:
                        page.screenshot(
                            path=str(shots / f"{tag}-full.png"), full_page=True
                        )
                scales = [d["shown"] / d["intended"] for d in m["imgs"]]
                ratios = [d["natural"] / d["shown"] for d in m["imgs"]]
                if width == WIDE:
                    h = m["height"]
                    row.update(
                        code=100 * m["code"] / h,
                        cells=100 * m["cells"] / h,
                        listings=100 * m["listings"] / h,
                        cols=m["cols"],
                        cut=m["cut"],
                        imgs=len(m["imgs"]),
                        ratio=min(ratios) if ratios else None,
                        ratio_median=statistics.median(ratios)
                        if ratios
                        else None,
                        scale_wide=min(scales) if scales else None,
                        below_08=sum(s < 0.8 for s in scales),
                    )
                else:
                    row.update(
                        scale_narrow=min(scales) if scales else None,
                        below_05_narrow=sum(s < 0.5 for s in scales),
                        side=m["side"],
                    )
                for which, key in (("primary", "menu"), ("secondary", "toc")):
                    row[f"{key}{width}"] = click_result(
                        page, url, which, shots, tag
                    )
                ctx.close()
            rows.append(row)
            print(fmt_row(row), flush=True)
        browser.close()
    return rows


HEADER = (
    f"{'page':<14}{'code%':>6}{'cells%':>7}{'list%':>6}{'cols':>5}{'cut':>4}"
    f"{'imgs':>5}{'px/css':>7}{'min@1280':>9}{'<0.8':>5}{'min@412':>8}"
    f"{'side412':>8}  {'menu412':<10}{'toc412':<10}{'menu1280':<10}"
    f"{'toc1280':<10}"
)


def _f(x, spec):
    return "-" if x is None else format(x, spec)


def fmt_row(r):
    return (
        f"{r['page']:<14}{r['code']:>6.1f}{r['cells']:>7.1f}"
        f"{r['listings']:>6.1f}{_f(r['cols'], 'd'):>5}{r['cut']:>4d}"
        f"{r['imgs']:>5d}{_f(r['ratio'], '.2f'):>7}"
        f"{_f(r['scale_wide'], '.2f'):>9}{r['below_08']:>5d}"
        f"{_f(r['scale_narrow'], '.2f'):>8}{r['side']:>8d}  "
        f"{r['menu412']:<10}{r['toc412']:<10}{r['menu1280']:<10}"
        f"{r['toc1280']:<10}"
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("html", type=pathlib.Path, help="the build's html folder")
    ap.add_argument("--pages", help="comma-separated page names (default all)")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--shots", type=pathlib.Path, help="folder for screenshots")
    ap.add_argument("--full", action="store_true", help="full-page shots too")
    ap.add_argument("--json", type=pathlib.Path, help="write the rows here")
    args = ap.parse_args(argv)
    pages = args.pages.split(",") if args.pages else page_order(args.html)
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    print(HEADER, flush=True)
    rows = measure(args.html, pages, args.chromium, args.shots, args.full)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
