"""The sandbox's web console in a real browser: headless Chromium driven through WebDriver
(selenium), against a sandbox started by crates/zd/tests/console_browser.rs.

Environment: ZD_SANDBOX_URL, ZD_SANDBOX_EMAIL, ZD_SANDBOX_TOKEN (the admin's API token, for
setting up and for checking what the pages wrote), ZD_CHROMIUM and ZD_CHROMEDRIVER (the
browser and its driver), ZD_SCREENSHOTS (a directory for the 1400x1000 screenshots), and
ZD_CONSOLE_SUITE: `full` (every check, the screenshots and the page weight) or `postgres`
(sign-in, queues, a ticket, a reply from the page, a live arrival).

Prints one line per check and `N passed, N failed` at the end; exits non-zero on a failure.
"""

import base64
import json
import os
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

# The outbox check runs once the sandbox serves GET /api/v2/sandbox/emails.json.
OUTBOX_SERVED = True

BASE = os.environ["ZD_SANDBOX_URL"].rstrip("/")
ADMIN = "Basic " + base64.b64encode(
    f"{os.environ['ZD_SANDBOX_EMAIL']}/token:{os.environ['ZD_SANDBOX_TOKEN']}".encode()
).decode()
SUITE = os.environ.get("ZD_CONSOLE_SUITE", "full")
SHOTS = os.environ.get("ZD_SCREENSHOTS", "")
PASSWORD = "console-pass-1"
RUN = str(int(time.time() * 1000))[-6:]


def api(method, path, body=None, auth=ADMIN):
    """One API call as `auth`: (status, JSON body)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("Authorization", auth)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            text = answer.read()
            return answer.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            return error.code, json.loads(text)
        except ValueError:
            return error.code, None


def must(method, path, body=None, expect=(200, 201)):
    status, answer = api(method, path, body)
    if status not in expect:
        raise AssertionError(f"{method} {path} answered {status}: {answer}")
    return answer


def user(name, role):
    email = f"{name.lower().replace(' ', '.')}.{RUN}@example.com"
    answer = must("POST", "/api/v2/users.json",
                  {"user": {"name": name, "email": email, "role": role, "password": PASSWORD}})
    return answer["user"]["id"], email


def ticket(subject, body="Hello", **fields):
    payload = {"subject": subject, "comment": {"body": body}}
    payload.update(fields)
    return must("POST", "/api/v2/tickets.json", {"ticket": payload})["ticket"]["id"]


def comments(ticket_id):
    return must("GET", f"/api/v2/tickets/{ticket_id}/comments.json?per_page=100")["comments"]


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ["ZD_CHROMIUM"]
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1000",
                 "--user-data-dir=" + tempfile.mkdtemp(prefix="zd-console-chromium-")]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(os.environ["ZD_CHROMEDRIVER"]), options=options)
    # The viewport itself 1400x1000, whatever the window's frame takes.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1400, "height": 1000, "deviceScaleFactor": 1,
                            "mobile": False})
    driver.set_page_load_timeout(30)
    return driver


class Console:
    def __init__(self, driver):
        self.driver = driver

    def open(self, path):
        self.driver.get(BASE + path)

    def wait(self, condition, seconds=10, what="the page"):
        # A form post or a live update replaces the page while the condition reads it: an
        # element gone stale then means "not yet", and the condition is asked again.
        # Chrome may also say "Node ... does not belong to the document" for such an element.
        def attempt(driver):
            try:
                return condition(driver)
            except WebDriverException as error:
                if "does not belong to the document" in str(error):
                    return False
                raise
        return WebDriverWait(self.driver, seconds, poll_frequency=0.1,
                             ignored_exceptions=(StaleElementReferenceException,)).until(
            attempt, message=f"waiting for {what}")

    def submit(self, element):
        """Submits a form, by clicking its button (the button says which action) or from one of
        its fields, and waits for the page it loads: until the current page is gone, a check
        made right after would still read it."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        if element.tag_name == "button":
            element.click()
        else:
            element.submit()
        WebDriverWait(self.driver, 10, poll_frequency=0.05).until(
            lambda _: gone(page), message="waiting for the form's answer")
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete")

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def sign_in(self, email, password=PASSWORD):
        self.open("/console/sign_in")
        self.driver.find_element(By.NAME, "email").send_keys(email)
        self.driver.find_element(By.NAME, "password").send_keys(password)
        self.submit(self.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))

    def sign_out(self):
        self.submit(self.driver.find_element(By.CSS_SELECTOR, "form[action='/console/sign_out'] button"))
        self.wait(lambda d: "/console/sign_in" in d.current_url, what="the sign-in page")

    def screenshot(self, name):
        if SHOTS:
            os.makedirs(SHOTS, exist_ok=True)
            self.driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))

    def wait_live(self):
        self.wait(lambda d: d.execute_script("return document.documentElement.dataset.live")
                  == "connected", what="the live feed")


def gone(element):
    """Whether `element` has left the document. Chrome says so either as a stale element or,
    when asked in the middle of the swap, as "Node ... does not belong to the document"."""
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        if "does not belong to the document" in str(error):
            return True
        raise


RESULTS = []


def check(name):
    def run(test):
        started = time.time()
        try:
            test()
            RESULTS.append(True)
            print(f"ok   {name} ({time.time() - started:.1f} s)", flush=True)
        except Exception:  # noqa: BLE001 - every failure is reported, then the suite goes on
            RESULTS.append(False)
            print(f"FAIL {name}\n{traceback.format_exc()}", flush=True)
        return test
    return run


def main():
    agent_id, agent_email = user("Ada Console", "agent")
    _, end_user_email = user("Eve Customer", "end-user")
    requester_id, _ = user("Rita Requester", "end-user")
    first = ticket(f"Printer jams on page two {RUN}", "It jams every time.",
                   requester_id=requester_id, priority="high", tags=["printer"])
    must("PUT", f"/api/v2/tickets/{first}.json",
         {"ticket": {"comment": {"body": "Escalate to hardware: warranty still valid.",
                                 "public": False}}})
    driver = browser()
    console = Console(driver)
    try:
        run_checks(console, agent_id, agent_email, end_user_email, first)
    finally:
        driver.quit()
    passed = sum(RESULTS)
    failed = len(RESULTS) - passed
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)


def run_checks(console, agent_id, agent_email, end_user_email, first):
    driver = console.driver

    @check("an end-user is refused with a message")
    def _():
        console.sign_in(end_user_email)
        assert "end-users cannot sign in" in console.text(), console.text()
        if SUITE == "full":
            console.screenshot("sign-in-refused")
        assert driver.get_cookie("zd_console") is None

    @check("an agent signs in and lands on the queues")
    def _():
        console.sign_in(agent_email)
        assert driver.current_url.rstrip("/").endswith("/console"), driver.current_url
        assert "Ada Console" in console.text()
        cookie = driver.get_cookie("zd_console")
        assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict", cookie

    @check("the queues show views with counts beside the tickets, newest first")
    def _():
        console.open("/console/")
        views = driver.find_elements(By.CSS_SELECTOR, "#views li a")
        assert views and views[0].text.startswith("All tickets"), [v.text for v in views]
        assert views[0].find_element(By.CLASS_NAME, "count").text.isdigit()
        rows = driver.find_elements(By.CSS_SELECTOR, "table.tickets tbody tr[data-ticket-id]")
        ids = [int(r.get_attribute("data-ticket-id")) for r in rows]
        assert first in ids and ids == sorted(ids, reverse=True), ids
        if SUITE == "full":
            console.screenshot("queues")
        # The search box, in Zendesk's language.
        box = driver.find_element(By.NAME, "q")
        box.send_keys(f"priority:high {RUN}")
        console.submit(box)
        console.wait(lambda d: "Search:" in d.find_element(By.TAG_NAME, "h1").text)
        found = [int(r.get_attribute("data-ticket-id")) for r in
                 driver.find_elements(By.CSS_SELECTOR, "tr[data-ticket-id]")]
        assert found == [first], found

    @check("the thread sets the internal note apart")
    def _():
        console.open(f"/console/tickets/{first}")
        notes = driver.find_elements(By.CSS_SELECTOR, "article.comment.internal")
        public = driver.find_elements(By.CSS_SELECTOR, "article.comment.public")
        assert len(notes) == 1 and len(public) == 1, (len(notes), len(public))
        assert "Internal note" in notes[0].text and "warranty" in notes[0].text
        assert "Internal note" not in public[0].text
        note_bg = notes[0].value_of_css_property("background-color")
        public_bg = public[0].value_of_css_property("background-color")
        assert note_bg != public_bg, (note_bg, public_bg)
        side = driver.find_element(By.CSS_SELECTOR, ".fields").text
        assert "Rita Requester" in side and "printer" in side and "high" in side, side
        timeline = driver.find_element(By.CSS_SELECTOR, ".timeline").text
        assert "via API" in timeline, timeline
        if SUITE == "full":
            console.screenshot("ticket")

    @check("a note and a reply written on the page are the agent's, private and public")
    def _():
        console.open(f"/console/tickets/{first}")
        driver.find_element(By.NAME, "body").send_keys("Ordered a new roller.")
        console.submit(driver.find_element(By.XPATH, "//button[normalize-space()='Add internal note']"))
        console.wait(lambda d: "Internal note added" in console.text())
        driver.find_element(By.NAME, "body").send_keys("A new roller is on its way to you.")
        console.submit(driver.find_element(By.XPATH, "//button[normalize-space()='Send public reply']"))
        console.wait(lambda d: "Public reply sent" in console.text())
        written = comments(first)[-2:]
        assert [c["public"] for c in written] == [False, True], written
        assert all(c["author_id"] == agent_id for c in written), written
        assert written[0]["body"] == "Ordered a new roller."
        notes = driver.find_elements(By.CSS_SELECTOR, "article.comment.internal")
        assert any("Ordered a new roller." in n.text for n in notes)

    @check("a ticket made through the API arrives live")
    def _():
        console.open("/console/")
        console.wait_live()
        driver.execute_script("window.zdNotReloaded = true")
        subject = f"Arrived live {RUN}"
        ticket(subject)
        console.wait(lambda d: subject in d.find_element(By.ID, "list").text, seconds=15,
                     what="the new ticket in the list")
        assert driver.execute_script("return window.zdNotReloaded") is True, "page reloaded"

    if SUITE != "full":
        return

    @check("a <script> subject shows as text")
    def _():
        subject = f"<script>window.zdPwned = 1</script> {RUN}"
        scripted = ticket(subject, "<img src=x onerror='window.zdPwned=2'>")
        for path in ["/console/", f"/console/tickets/{scripted}"]:
            console.open(path)
            assert subject in console.text(), path
            assert driver.execute_script("return window.zdPwned") is None, path
        assert "<img src=x" in console.text()

    @check("a form posted without its CSRF token is refused and changes nothing")
    def _():
        console.open(f"/console/tickets/{first}")
        before = len(comments(first))
        driver.execute_script(
            "document.querySelector('.reply-form input[name=csrf]').remove()")
        driver.find_element(By.NAME, "body").send_keys("Forged reply")
        console.submit(driver.find_element(By.XPATH, "//button[normalize-space()='Send public reply']"))
        console.wait(lambda d: "This form has expired" in console.text())
        assert len(comments(first)) == before

    @check("the outbox shows the email a public reply sent")
    def _():
        console.open("/console/emails")
        if not OUTBOX_SERVED:
            assert "The outbox is empty" in console.text(), console.text()
            console.screenshot("emails")
            return
        console.wait(lambda d: "A new roller is on its way" in d.page_source, seconds=15)
        console.screenshot("emails")

    @check("the webhooks page renders")
    def _():
        console.open("/console/webhooks")
        assert "Webhooks" in driver.find_element(By.TAG_NAME, "h1").text
        console.screenshot("webhooks")

    @check("the activity log lists API calls, filtered by user and status")
    def _():
        api("GET", "/api/v2/tickets/987654321.json")
        console.open("/console/activity")
        rows = driver.find_elements(By.CSS_SELECTOR, "table.requests tbody tr")
        text = "\n".join(r.text for r in rows)
        assert "/api/v2/tickets/987654321.json" in text and "API token" in text, text
        token = os.environ["ZD_SANDBOX_TOKEN"]
        assert len(token) < 16 or token not in driver.page_source
        console.screenshot("activity")
        status = driver.find_element(By.NAME, "status")
        status.send_keys("4xx")
        console.submit(status)
        console.wait(lambda d: "status=4xx" in d.current_url)
        statuses = [r.find_element(By.CLASS_NAME, "status").text for r in
                    driver.find_elements(By.CSS_SELECTOR, "table.requests tbody tr")]
        assert statuses and all(s.startswith("4") for s in statuses), statuses

    @check("page weight: a ticket with 200 comments")
    def _():
        heavy = ticket(f"Long conversation {RUN}", "Comment 1: " + "words " * 30)
        for n in range(2, 201):
            must("PUT", f"/api/v2/tickets/{heavy}.json", {"ticket": {"comment": {
                "body": f"Comment {n}: " + "words " * 30, "public": n % 3 != 0}}})
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        console.open(f"/console/tickets/{heavy}")
        cold = timing(driver)
        console.open(f"/console/tickets/{heavy}")
        warm = timing(driver)
        shown = len(driver.find_elements(By.CSS_SELECTOR, "article.comment"))
        assert shown == 200, shown
        print(f"page weight: ticket page with 200 comments: cold {cold['transfer'] / 1024:.1f} KB "
              f"transferred ({cold['html'] / 1024:.1f} KB HTML, {cold['decoded'] / 1024:.1f} KB "
              f"decoded; {cold['resources']} assets), loaded in {cold['load']:.0f} ms "
              f"(server answer {cold['response']:.0f} ms); warm {warm['transfer'] / 1024:.1f} KB, "
              f"loaded in {warm['load']:.0f} ms", flush=True)

    @check("signing out ends the session")
    def _():
        console.open("/console/")
        console.sign_out()
        assert "You are signed out" in console.text()
        console.open("/console/")
        assert "/console/sign_in" in driver.current_url
        console.screenshot("sign-in")


def timing(driver):
    """Navigation Timing of the page just loaded, from the browser."""
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(
        "const n = performance.getEntriesByType('navigation')[0]; return n && n.loadEventEnd > 0"))
    return driver.execute_script("""
        const n = performance.getEntriesByType('navigation')[0];
        const assets = performance.getEntriesByType('resource')
            .filter(r => r.initiatorType === 'link' || r.initiatorType === 'script');
        return {
            transfer: n.transferSize + assets.reduce((sum, r) => sum + r.transferSize, 0),
            html: n.transferSize,
            decoded: n.decodedBodySize,
            resources: assets.length,
            response: n.responseEnd - n.requestStart,
            load: n.loadEventEnd - n.startTime,
        };""")


if __name__ == "__main__":
    main()
