"""The built site in a real browser: Debian's headless Chromium, driven by Selenium.

The site (built once, tests/conftest.py) is served from 127.0.0.1, and the
browser may resolve no other host: anything a page tried to fetch from
outside would fail, and show up as a console error.  Checked on every page:
no console error, no request leaving the site, a copy button on every code
block, and every internal link and anchor resolving.  Then the search box,
the light/dark toggle, and screenshots for review in ``.cache/screenshots/``.

Chromium and chromedriver come from Debian (``make install`` installs them);
nothing is downloaded at run time: Selenium is given both paths, so its
driver manager never runs.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / ".cache" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
    # Every host name but the test server's fails to resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)
WAIT_S = 20
LORA_PAGE = "03-lora-basics/"
# Hosts pages may link to (links are not followed: the test runs offline).
KNOWN_OUTSIDE_HOSTS = {
    "squidfunk.github.io", "huggingface.co",
    "arxiv.org",  # the papers the pages rest on
    "127.0.0.1:8000",  # the home page names the address `make serve` uses
}


# --------------------------------------------------------------------------- fixtures


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="module")
def base_url(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).is_file()]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: the browser test needs Debian's chromium and "
            f"chromium-driver packages (make install installs them)",
            pytrace=False,
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def site_pages(site: Path) -> list[str]:
    """Every page of the built site, as a URL path ('', '03-lora-basics/', ...)."""
    pages = []
    for html_file in sorted(site.rglob("index.html")):
        relative = html_file.parent.relative_to(site).as_posix()
        pages.append("" if relative == "." else relative + "/")
    return pages


def visit(driver, url: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, WAIT_S).until(lambda d: d.execute_script("return document.readyState") == "complete")


def console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def requested_urls(driver) -> list[str]:
    return driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")


# --------------------------------------------------------------------------- every page


def test_every_page_renders_without_errors_or_outside_requests(site, base_url, browser):
    problems = []
    pages = site_pages(site)
    assert LORA_PAGE in pages and "" in pages
    for page in pages:
        visit(browser, base_url + page)
        problems += [f"{page or '/'}: console: {message}" for message in console_errors(browser)]
        problems += [
            f"{page or '/'}: fetched from outside the site: {url}"
            for url in requested_urls(browser)
            if not (url.startswith(base_url) or url.startswith("data:"))
        ]
    assert problems == [], "\n".join(problems)


def test_every_code_block_has_a_copy_button(site, base_url, browser):
    from selenium.webdriver.support.ui import WebDriverWait

    count_markdown = """
        const blocks = [...document.querySelectorAll('.md-content .highlight pre > code')];
        // Material 9.8 puts a copy button in a <nav> inside the <pre>; older
        // releases used button.md-clipboard.
        const copy = 'button.md-code__button[data-md-type="copy"], button.md-clipboard';
        return [blocks.length, blocks.filter(c => c.parentElement.querySelector(copy)).length];
    """
    count_notebook = """
        const cells = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea')];
        return [cells.length, cells.filter(c => c.querySelector('clipboard-copy')).length];
    """
    missing, seen = [], 0
    for page in site_pages(site):
        visit(browser, base_url + page)
        script = count_notebook if page.startswith("notebooks/") else count_markdown
        # Material adds its buttons from JavaScript after loading.
        WebDriverWait(browser, WAIT_S).until(lambda d: len(set(d.execute_script(script))) == 1)
        blocks, with_button = browser.execute_script(script)
        seen += blocks
        if blocks != with_button:
            missing.append(f"{page or '/'}: {blocks - with_button} of {blocks} code blocks have no copy button")
    assert missing == [], "\n".join(missing)
    assert seen, "no code block found at all: the selectors are probably stale"


class _Anchors(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)


@functools.lru_cache(maxsize=None)
def _fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read()
            text = body.decode("utf-8", "replace") if "html" in response.headers.get("Content-Type", "") else ""
            return response.status, text
    except urllib.error.HTTPError as error:
        return error.code, ""


def _ids(html: str) -> set[str]:
    parser = _Anchors()
    parser.feed(html)
    return parser.ids


def test_no_internal_link_is_broken(site, base_url, browser):
    broken, external, checked = [], set(), 0
    for page in site_pages(site):
        visit(browser, base_url + page)
        # Resolved by the browser: every <a href>, as absolute URLs.
        links = browser.execute_script("return [...document.querySelectorAll('a[href]')].map(a => a.href)")
        for link in links:
            if not link.startswith(base_url):
                if urlparse(link).scheme in ("http", "https"):
                    external.add(link)
                continue
            target, fragment = urldefrag(link)
            status, html = _fetch(target)
            checked += 1
            if status != 200:
                broken.append(f"{page or '/'}: {link} -> HTTP {status}")
            elif fragment and html and fragment not in _ids(html):
                broken.append(f"{page or '/'}: {link} -> no element with id {fragment!r}")
    assert broken == [], "\n".join(broken)
    assert checked > 0
    # Outside links are not followed (the test runs offline); they are few and known.
    assert {urlparse(url).netloc for url in external} <= KNOWN_OUTSIDE_HOSTS, sorted(external)


# --------------------------------------------------------------------------- features


def test_search_finds_a_term_from_page_03(base_url, browser):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    term = _distinctive_word(_fetch(base_url + LORA_PAGE)[1])
    visit(browser, base_url)
    box = browser.find_element(By.CSS_SELECTOR, "input.md-search__input")
    box.click()
    box.send_keys(term)
    wanted = urljoin(base_url, LORA_PAGE)
    seen: list[str] = []

    def result_links(driver):
        # Read the hrefs in one script call: the result list is re-rendered
        # while the search runs, so element handles can go stale between calls.
        seen[:] = driver.execute_script(
            "return Array.from(document.querySelectorAll("
            "'.md-search-result__item a.md-search-result__link')).map(a => a.href)"
        )
        return any(wanted in href for href in seen)

    try:
        WebDriverWait(browser, WAIT_S).until(result_links)
    except TimeoutException:
        pytest.fail(f"searching {term!r} listed {seen}, not {wanted}")


def _distinctive_word(page_html: str) -> str:
    """The first word of page 03's title that is long enough to be a real search term."""
    title = re.search(r"<h1[^>]*>(.*?)</h1>", page_html, re.S)
    assert title, "page 03 has no <h1>"
    words = re.findall(r"[A-Za-z][A-Za-z-]{3,}", re.sub(r"<[^>]+>", " ", title.group(1)))
    assert words, f"no search term in page 03's title {title.group(1)!r}"
    return words[0]


def pages_holding(site: Path, marker: str) -> list[str]:
    return [page for page in site_pages(site) if marker in (site / page / "index.html").read_text(encoding="utf-8")]


def test_every_diagram_is_drawn_from_the_sites_own_mermaid(site, base_url, browser):
    from selenium.webdriver.support.ui import WebDriverWait

    pages = pages_holding(site, 'class="mermaid"')
    assert "05-sft-dpo-rlhf/" in pages, "page 05's RLHF diagram is missing"
    for page in pages:
        visit(browser, base_url + page)
        # Material swaps each <pre class="mermaid"> for a drawn <div class="mermaid">.
        drawn = "return [...document.querySelectorAll('.mermaid')].map(e => [e.tagName, e.getBoundingClientRect().height])"
        WebDriverWait(browser, WAIT_S).until(lambda d: all(tag == "DIV" for tag, _ in d.execute_script(drawn)))
        assert all(height > 100 for _, height in browser.execute_script(drawn)), f"{page}: a diagram has no height"
        assert not [url for url in requested_urls(browser) if "mermaid" in url and not url.startswith(base_url)]


def test_collapsed_notes_start_closed_and_open_on_a_click(site, base_url, browser):
    from selenium.webdriver.common.by import By

    pages = pages_holding(site, "<details")
    assert {"04-quantization/", "06-evaluation/", "07-scaling/"} <= set(pages)
    visit(browser, base_url + "06-evaluation/")
    notes = browser.find_elements(By.CSS_SELECTOR, "details")
    assert notes and not any(note.get_attribute("open") for note in notes), "a collapsed note starts open"
    code = notes[0].find_element(By.CSS_SELECTOR, "pre")
    assert not code.is_displayed()
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", notes[0])
    notes[0].find_element(By.TAG_NAME, "summary").click()
    assert notes[0].get_attribute("open") is not None and code.is_displayed()


def test_light_dark_toggle_switches_the_scheme(base_url, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def scheme(driver):
        return driver.find_element(By.TAG_NAME, "body").get_attribute("data-md-color-scheme")

    def click_toggle(driver):
        toggle = [t for t in driver.find_elements(By.CSS_SELECTOR, "form[data-md-component=palette] label") if t.is_displayed()]
        assert len(toggle) == 1, "expected exactly one visible light/dark toggle"
        toggle[0].click()

    visit(browser, base_url + LORA_PAGE)
    first = scheme(browser)
    assert first == "default"
    click_toggle(browser)
    WebDriverWait(browser, WAIT_S).until(lambda d: scheme(d) == "slate")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _screenshot(browser, SCREENSHOTS / "03-lora-basics-dark.png")
    click_toggle(browser)
    WebDriverWait(browser, WAIT_S).until(lambda d: scheme(d) == "default")


def test_screenshots_for_review(base_url, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for page, name in (("", "home.png"), (LORA_PAGE, "03-lora-basics.png")):
        visit(browser, base_url + page)
        browser.execute_script("localStorage.clear()")  # the light scheme, whatever ran before
        visit(browser, base_url + page)
        path = SCREENSHOTS / name
        _screenshot(browser, path)
        assert path.stat().st_size > 10_000, f"{path} looks empty"


def _screenshot(driver, path: Path) -> None:
    """The whole page, not only the window (Chrome DevTools' captureBeyondViewport)."""
    import base64

    width, height = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True,
         "clip": {"x": 0, "y": 0, "width": width, "height": min(height, 8000), "scale": 1}},
    )
    path.write_bytes(base64.b64decode(shot["data"]))
