"""Open the built site (_docs/) in headless Chromium and check every page as a reader would see it (`make docs-check`).

Served over HTTP on localhost. For the index, every module page and every analysis page: no request fails and none
answers 4xx/5xx (scripts, styles, fonts, MathJax, images), no JavaScript error, every image is loaded and has a size,
MathJax has typeset every formula (no `$...$` or `\\(...\\)` left in the text), module pages show the API docs of
every public name of their module, analysis pages show figures. A full-page screenshot of each page is kept in
_screenshots/ (the test artifact). Exit status 1 with one line per problem.

Chromium is Debian's (/usr/bin/chromium, installed by scripts/setup_docs.sh), driven by Playwright's Python client
with the flags this machine's closed network needs."""
import argparse, functools, http.server, importlib, re, threading
from pathlib import Path

from playwright.sync_api import sync_playwright

from build_docs import load, notebook_module      # the same reading of the notebooks as the build

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync']
UNRENDERED_MATH = re.compile(r'(?<![\\\w$])\$[^$\s][^$\n]{0,200}?\$(?!\w)|\\\(|\\\[')


def serve(site: Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    handler = functools.partial(Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def pages(site: Path):
    "(page, what it must show): the index, each module page with its module, each analysis page."
    out = [('index.html', None)]
    out += [(f'{nb.stem}.html', notebook_module(load(nb))) for nb in sorted((ROOT / 'nbs').glob('[0-9]*.ipynb'))]
    out += [(f'analysis/{nb.stem}.html', 'figures') for nb in sorted((ROOT / 'nbs' / 'analysis').glob('*.ipynb'))]
    out += [(f'{nb.stem}.html', 'figures') for nb in sorted((ROOT / 'nbs').glob('[a-z]*.ipynb')) if nb.stem != 'index']
    return out


def check_page(page, url, must):
    problems, failed = [], []
    page.on('requestfailed', lambda r: failed.append(f'{r.url} ({r.failure})'))
    page.on('response', lambda r: failed.append(f'{r.url} (HTTP {r.status})') if r.status >= 400 else None)
    page.on('pageerror', lambda e: problems.append(f'JavaScript error: {e}'))
    page.goto(url, wait_until='networkidle')
    # MathJax typesets after the load event; its startup promise resolves when the page is done
    page.evaluate('() => window.MathJax && window.MathJax.startup ? window.MathJax.startup.promise.then(() => true) : null')
    problems += [f'missing resource: {f}' for f in failed]
    broken = page.evaluate('() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)')
    problems += [f'broken image: {b}' for b in broken]
    text = page.evaluate('''() => { const m = document.querySelector('article') || document.body;
        const c = m.cloneNode(true); c.querySelectorAll('pre, code, mjx-container, script').forEach(e => e.remove());
        return c.innerText; }''')
    problems += [f'unrendered math: {m!r}' for m in sorted(set(UNRENDERED_MATH.findall(text)))[:5]]
    n_math = page.evaluate("() => document.querySelectorAll('mjx-container').length")
    n_img = page.evaluate("() => [...document.images].filter(i => i.naturalWidth > 100).length")
    if must == 'figures':
        if n_img == 0: problems.append('an analysis page without figures')
    elif must:
        mod = importlib.import_module(f'perturbaware.{must}')
        documented = [n for n in getattr(mod, '__all__', []) if callable(getattr(mod, n))]   # functions and classes
        missing = [n for n in documented if not page.query_selector(f'[id="{n.lower()}"], h3:has-text("{n}")')
                   and n not in text]
        if missing: problems.append(f'API docs missing for {missing}')
    return problems, n_math, n_img


def main(site: Path, shots: Path):
    if not (site / 'index.html').exists(): raise SystemExit(f'docs-check: no site in {site}: run `make docs` first')
    shots.mkdir(parents=True, exist_ok=True)
    httpd = serve(site)
    base = f'http://127.0.0.1:{httpd.server_address[1]}/'
    bad = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path='/usr/bin/chromium', args=FLAGS)
        for rel, must in pages(site):
            if not (site / rel).exists():
                print(f'FAIL {rel}: page missing'); bad += 1; continue
            page = browser.new_page(viewport={'width': 1280, 'height': 900})
            problems, n_math, n_img = check_page(page, base + rel, must)
            shot = shots / (rel.replace('/', '_').replace('.html', '.png'))
            page.screenshot(path=str(shot), full_page=True)
            page.close()
            status = 'ok  ' if not problems else 'FAIL'
            print(f'{status} {rel}: {n_math} formulas typeset, {n_img} figures; screenshot {shot.relative_to(ROOT)}')
            for pr in problems: print(f'     {pr}')
            bad += bool(problems)
        browser.close()
    httpd.shutdown()
    if bad: raise SystemExit(f'docs-check: {bad} page(s) with problems')


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--site', default='_docs'); ap.add_argument('--screenshots', default='_screenshots')
    a = ap.parse_args()
    main(ROOT / a.site, ROOT / a.screenshots)
