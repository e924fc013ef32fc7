"""The dashboard in a real browser (headless Chromium through Selenium).

Starts two emulators in their own processes (`bmsgate simulate`: two Daly boards on one
pty, a JBD board on another) and the gateway (`bmsgate run`, http sink), opens the
dashboard and checks, printing one JSON object:
  - the values shown equal /api/site (packs and bank, number by number),
  - an alarm raised in an emulator appears without a reload (seconds it took),
  - a pack whose emulator is killed turns STALE without a reload (seconds it took),
  - the page fits a phone screen (390 px) without sideways scrolling,
and saves a screenshot.
"""
import argparse, json, os, signal, socket, subprocess, sys, time, urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait(what, timeout, predicate, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = predicate()
            if value:
                return value
        except Exception:
            pass
        time.sleep(step)
    raise RuntimeError("timed out waiting for " + what)


def api(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return json.loads(r.read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bmsgate", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--screenshot", required=True)
    ap.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    a = ap.parse_args()
    port = free_port()
    procs = []
    result = {"ok": False}
    driver = None
    try:
        daly = subprocess.Popen([a.bmsgate, "simulate", "--driver", "daly", "--link", a.workdir + "/ttyDALY", "--address", "1", "--address", "2"],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
        jbd = subprocess.Popen([a.bmsgate, "simulate", "--driver", "jbd", "--link", a.workdir + "/ttyJBD"],
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
        procs += [daly, jbd]
        wait("the emulators' ptys", 15, lambda: os.path.exists(a.workdir + "/ttyDALY") and os.path.exists(a.workdir + "/ttyJBD"))
        site = f"""site: browser
buses:
  - {{id: daly-line, type: serial, device: {a.workdir}/ttyDALY}}
  - {{id: jbd-line, type: serial, device: {a.workdir}/ttyJBD}}
packs:
  - {{id: d1, driver: daly, bus: daly-line, address: 1, poll_interval: 500ms, timeout: 300ms}}
  - {{id: d2, driver: daly, bus: daly-line, address: 2, poll_interval: 500ms, timeout: 300ms}}
  - {{id: j, driver: jbd, bus: jbd-line, poll_interval: 500ms, timeout: 300ms, max_backoff: 1s}}
banks:
  - id: main
    packs: [d1, d2, j]
    stale_after: 3s
    limits: {{charge_voltage: 55.2, charge_current: 100, discharge_current: 120, cell_voltage_max: 3.60, taper_start: 3.30}}
sinks:
  - {{type: http, listen: "127.0.0.1:{port}"}}
"""
        with open(a.workdir + "/site.yaml", "w") as f:
            f.write(site)
        gw = subprocess.Popen([a.bmsgate, "run", "--config", a.workdir + "/site.yaml"], stdout=subprocess.DEVNULL,
                              stderr=open(a.workdir + "/gateway.log", "w"))
        procs.append(gw)
        wait("all packs online", 20, lambda: all(p["online"] for p in api(port, "/api/site")["packs"]))

        opts = webdriver.ChromeOptions()
        for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1500"]:
            opts.add_argument(flag)
        driver = webdriver.Chrome(service=Service(a.chromedriver), options=opts)
        driver.get(f"http://127.0.0.1:{port}/")
        wait("three pack rows and a live stream", 10,
             lambda: len(driver.find_elements(By.CSS_SELECTOR, "#packs tbody tr")) == 3
             and driver.find_element(By.ID, "conn").text == "live")

        # Values shown = /api/site (the emulators hold their values still). The page redraws
        # at every event, so the DOM is read in one go.
        shown = driver.execute_script("""
            const read = (scope) => { const o = {}; for (const e of scope.querySelectorAll('[data-field]')) {
                o[e.dataset.field] = e.dataset.value === undefined || e.dataset.value === '' ? (e.dataset.value === '' ? null : e.textContent) : Number(e.dataset.value); } return o; };
            const packs = {}; for (const r of document.querySelectorAll('#packs tbody tr')) packs[r.dataset.pack] = read(r);
            return {packs: packs, bank: read(document.querySelector("[data-bank='main']"))};""")
        mismatches = []
        site_now = api(port, "/api/site")
        for p in site_now["packs"]:
            for name in ["voltage", "current", "soc", "cell_min", "cell_max"]:
                got = shown["packs"].get(p["pack"], {}).get(name)
                if got != p.get(name):
                    mismatches.append(f"pack {p['pack']} {name}: shown {got}, api {p.get(name)}")
        bank = site_now["banks"][0]
        for name, want in [("soc", bank.get("soc")), ("voltage", bank.get("voltage")), ("current", bank.get("current")),
                           ("charge_current", bank["limits"].get("charge_current")), ("discharge_current", bank["limits"].get("discharge_current"))]:
            got = shown["bank"].get(name)
            if got != want:
                mismatches.append(f"bank {name}: shown {got}, api {want}")
        result["compared"] = len(site_now["packs"]) * 5 + 5
        result["mismatches"] = mismatches
        result["reasons_shown"] = driver.execute_script("return document.querySelector(\"[data-bank='main'] [data-field='reasons']\").textContent")

        # An alarm raised in the emulator, seen without a reload.
        start = time.monotonic()
        daly.stdin.write("fail 1 0 1\n")
        daly.stdin.flush()
        wait("the alarm on the page", 10, lambda: "cell overvoltage" in driver.find_element(By.ID, "alerts").text
             and driver.find_element(By.CSS_SELECTOR, "tr[data-pack='d1'] [data-field='state']").text == "ALARM")
        result["alarm_seconds"] = round(time.monotonic() - start, 3)

        # The pack view of the alarmed pack: cell bars with min/max marked.
        driver.execute_script("location.hash = 'pack=d1'")
        wait("the pack view", 5, lambda: len(driver.find_elements(By.CSS_SELECTOR, "#cellbars .cellbar")) == 16)
        bars = driver.execute_script("""const q = (s) => document.querySelectorAll(s).length;
            return [q('#cellbars .cellbar'), q('#cellbars .cellbar.min'), q('#cellbars .cellbar.max')];""")
        result["cell_bars"], result["cell_min_marked"], result["cell_max_marked"] = bars[0], bars[1] >= 1, bars[2] >= 1
        driver.execute_script("location.hash = ''")

        # A killed emulator: its pack turns STALE without a reload.
        start = time.monotonic()
        jbd.send_signal(signal.SIGKILL)
        wait("the stale pack", 20, lambda: driver.find_element(By.CSS_SELECTOR, "tr[data-pack='j'] [data-field='state']").text == "STALE"
             and "stale" in driver.find_element(By.CSS_SELECTOR, "tr[data-pack='j']").get_attribute("class"))
        result["stale_seconds"] = round(time.monotonic() - start, 3)
        result["stale_alert"] = "Pack j is stale" in driver.execute_script("return document.getElementById('alerts').textContent")
        time.sleep(1.2)  # let the history's first minute and the charts draw
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(a.screenshot)

        # A phone screen: nothing wider than the viewport but the scrolling pack table.
        driver.set_window_size(390, 844)
        time.sleep(0.3)
        result["phone_overflow_px"] = driver.execute_script(
            "return Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")
        result["ok"] = not mismatches
    except Exception as e:
        result["error"] = f"{type(e).__name__}: {e}"
    finally:
        if driver is not None:
            driver.quit()
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except Exception:
                    p.kill()
    print(json.dumps(result))
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
