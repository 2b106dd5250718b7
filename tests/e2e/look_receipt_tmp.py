import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from appserver import running_app, settle
from playwright.sync_api import sync_playwright, expect
RECEIPT = Path(__file__).resolve().parents[1] / "data" / "real" / "receipt.csv"
out = Path("/tmp/look"); out.mkdir(exist_ok=True)
with running_app("look.log") as url, sync_playwright() as p:
    b = p.chromium.launch(executable_path="/usr/bin/chromium")
    page = b.new_page(viewport={"width": 1280, "height": 720})
    page.goto(url); settle(page)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Data").click(); settle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(RECEIPT))
    page.wait_for_timeout(4000); settle(page)
    page.screenshot(path=str(out / "data_1280.png"))
    page.get_by_role("button", name="Show the map").click()
    expect(page.locator("h1", has_text="Drafted from")).to_be_visible(timeout=60000); settle(page)
    page.screenshot(path=str(out / "map_1280.png"))
    journey = page.url.split("journey=")[1].split("&")[0]
    for name in ("time", "flow"):
        page.goto(f"{url}/{name}?journey={journey}"); settle(page)
        page.screenshot(path=str(out / f"{name}_1280.png"))
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{url}/?journey={journey}"); settle(page)
    page.screenshot(path=str(out / "map_1920.png"))
    b.close()
print("ok")
