"""One session's bomb must not hold up the others: while a decompression bomb is read (and refused) for one
browser, another browser opens the onboarding map within 5 s, or within twice the time the same map took
just before without a bomb when the machine is that loaded (CI shares its cores).

The bomb is 40 gzip members of 64 MB of zeros each (2.5 GB from about 2.6 MB), past the default
limit of 2,048 MB; it is read in a child process (journeymap.log.isolate), so the server's own
threads stay free.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator

import pytest
from appserver import running_app, settle, shoot
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

MAP_SECONDS = 5


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    with running_app("streamlit_bomb.log") as url:
        yield url


def _bomb() -> bytes:
    member = gzip.compress(b"\0" * (64 << 20), 6)
    return gzip.compress(b"case,activity,timestamp\n") + member * 40


def _tab(browser: Browser) -> Page:
    tab = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    tab.set_default_timeout(60_000)
    return tab


def _map_shown(tab: Page) -> None:
    expect(tab.locator("h1", has_text="Employee onboarding")).to_be_visible(timeout=MAP_SECONDS * 1000)
    expect(tab.locator('[data-testid="stVegaLiteChart"] svg').first).to_be_visible(timeout=MAP_SECONDS * 1000)


def test_a_bomb_in_one_session_leaves_the_others_their_map(browser: Browser, app_url: str) -> None:
    warm = _tab(browser)  # the server's first map (imports, caches) is not what is measured
    warm.goto(app_url)
    settle(warm)
    warm.context.close()
    calm = _tab(browser)  # the same map without a bomb, on this machine now
    started = time.monotonic()
    calm.goto(app_url)
    _map_shown(calm)
    baseline = time.monotonic() - started
    calm.context.close()

    attacker = _tab(browser)
    attacker.goto(f"{app_url}/data")
    settle(attacker)
    attacker.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        {"name": "bomb.csv.gz", "mimeType": "application/gzip", "buffer": _bomb()})
    expect(attacker.get_by_text("Reading the file…")).to_be_visible()  # the bomb is being read now

    other = _tab(browser)
    started = time.monotonic()
    other.goto(app_url)
    _map_shown(other)
    took = time.monotonic() - started
    shoot(other, "map_while_bomb_1280")
    assert took < max(MAP_SECONDS, 2 * baseline), (took, baseline)

    error = attacker.locator('[data-testid="stAlert"]', has_text="decompresses to more than 2,048 MB")
    expect(error).to_be_visible(timeout=90_000)
    assert attacker.locator('[data-testid="stException"]').count() == 0
    shoot(attacker, "bomb_refused_1280")
    attacker.context.close()
    other.context.close()
