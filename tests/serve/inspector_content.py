"""A message's own content in headless Chromium, against a running `maildog-ci serve`: remote
content stays blocked when a part or body is opened directly and in the inspector, cid: images
show, remote images load only when asked for; with an API token, the inspector asks for it once
and its links work without the token in any URL or cookie.

Usage: /usr/bin/python3 inspector_content.py SMTP_PORT HTTP_URL PROFILE_DIR [TOKEN]
HTTP_URL ends with "/". Sends one message through SMTP_PORT (smtplib) whose HTML names images,
style sheets, a frame, a video, an object and a script on a second HTTP server on 127.0.0.1 that
counts the requests it gets, and a cid: image of the message itself. Prints one JSON object with
the figures (fetches seen, image sizes, what the browser saw) for the C++ test to assert on;
exits 1 when the browser could not be driven.
"""
import json
import os
import smtplib
import struct
import sys
import threading
import time
import urllib.request
import zlib
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from inspector_keys import Browser  # noqa: E402

DEADLINE_S = 120
SETTLE_S = 1.5  # after a page loaded: how long requests it triggers are awaited


def png(width, height):
    """A real PNG of one colour, so a browser that shows it reports its size."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    rows = b"".join(b"\0" + b"\x20\x80\xc0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


CID_IMAGE = png(37, 23)       # the message's own image: shown means 37 x 23
REMOTE_IMAGE = png(41, 19)    # what the remote server answers for every image


class RemoteServer:
    """The "internet": every request is recorded; images are real PNGs."""

    def __init__(self):
        self.hits = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                name = self.path.rsplit("/", 1)[-1]
                if name.startswith("img-"):
                    body, kind = REMOTE_IMAGE, "image/png"
                elif name.startswith("css-"):
                    body, kind = b"p { color: red; }", "text/css"
                elif name.startswith("script-"):
                    body, kind = b"document.title = 'ran';", "text/javascript"
                else:
                    body, kind = b"<p>remote</p>", "text/html"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = "http://127.0.0.1:%d/" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self):
        """The requests since the last call, as {"images": n, "other": n, "paths": [...]}."""
        taken = list(self.hits)
        del self.hits[:len(taken)]
        images = [p for p in taken if p.rsplit("/", 1)[-1].startswith("img-")]
        return {"images": len(images), "other": len(taken) - len(images), "paths": taken}


def message_html(remote):
    return """<html><head>
<link rel="stylesheet" href="{r}css-link.css">
<link rel="icon" href="{r}img-favicon.png">
<style>@import url("{r}css-import.css"); .bg {{ background-image: url("{r}img-background.png"); }}</style>
</head><body>
<p class="bg">Your order has shipped.</p>
<img id="remote" src="{r}img-pixel.png" alt="remote pixel">
<img id="inline" src="cid:logo@shop.test" alt="logo">
<img srcset="{r}img-srcset.png 2x" alt="srcset">
<table background="{r}img-table.png"><tr><td>order 42</td></tr></table>
<iframe src="{r}frame.html"></iframe>
<video src="{r}media-clip.mp4" poster="{r}img-poster.png" autoplay muted></video>
<audio src="{r}media-sound.mp3" autoplay></audio>
<object data="{r}object.html"></object>
<embed src="{r}embed.html">
<script src="{r}script-remote.js"></script>
<link rel="preload" as="style" href="{r}css-preload.css">
</body></html>""".format(r=remote)


def send_message(smtp_port, remote):
    message = EmailMessage()
    message["From"] = "shop@shop.test"
    message["To"] = "user@inbox.test"
    message["Subject"] = "Remote content probe"
    message.set_content("Your order has shipped.")
    message.add_alternative(message_html(remote), subtype="html")
    message.get_payload()[1].add_related(CID_IMAGE, "image", "png", cid="<logo@shop.test>")
    message.add_attachment(b"order,total\n42,19.90\n", maintype="text", subtype="csv", filename="order.csv")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as client:
        client.send_message(message)


def api_get(base, path, token):
    request = urllib.request.Request(base + path.lstrip("/"))
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=40) as response:
        return json.loads(response.read())


class Driver:
    def __init__(self, profile, base, net_log):
        self.base = base
        self.browser = Browser(profile, ["--log-net-log=" + net_log])
        self.browser.deadline = time.monotonic() + DEADLINE_S
        self.browser.send("Target.setDiscoverTargets", {"discover": True})
        self.page = self.browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.attach(self.page)

    def attach(self, target):
        self.browser.session = None
        self.browser.session = self.browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.browser.send("Page.enable")

    def browser_level(self, method, params=None):
        session, self.browser.session = self.browser.session, None
        try:
            return self.browser.send(method, params)
        finally:
            self.browser.session = session

    def goto(self, url):
        del self.browser.events[:]
        self.browser.send("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired", "the load of " + url)
        time.sleep(SETTLE_S)

    def wait_event(self, method, what, matches=lambda event: True):
        while time.monotonic() < self.browser.deadline:
            for event in self.browser.events:
                if event.get("method") in (method if isinstance(method, tuple) else (method,)) and matches(event):
                    return event
            self.browser_level("Target.getTargets")  # reads the events that arrived meanwhile
            time.sleep(0.1)
        raise TimeoutError("waited in vain for " + what)

    def evaluate(self, expression, gesture=False):
        result = self.browser.send("Runtime.evaluate",
                                   {"expression": expression, "returnByValue": True, "awaitPromise": True,
                                    "userGesture": gesture})
        if "exceptionDetails" in result:
            raise RuntimeError("the page threw on " + expression + ": " + json.dumps(result["exceptionDetails"])[:500])
        return result["result"].get("value")

    def wait_for(self, expression, what):
        self.browser.wait_for(expression, what)

    def find_image(self, selector):
        """The first img with id `selector` in the page or in any of its frames (sandboxed
        frames run in processes of their own: each is attached to and searched through the DOM
        domain, which needs no script in it): (session, node) or None."""
        page_session = self.browser.session
        sessions = [page_session]
        for target in self.browser_level("Target.getTargets")["targetInfos"]:
            if target["type"] == "iframe":
                try:
                    sessions.append(self.browser_level("Target.attachToTarget",
                                                       {"targetId": target["targetId"], "flatten": True})["sessionId"])
                except RuntimeError:
                    pass  # a frame that went away meanwhile
        try:
            for session in sessions:
                self.browser.session = session
                try:
                    document = self.browser.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
                except RuntimeError:
                    continue
                node = self.search(document, selector)
                if node is not None:
                    return session, node
            return None
        finally:
            self.browser.session = page_session

    def search(self, node, selector):
        attributes = node.get("attributes", [])
        if node.get("nodeName") == "IMG" and dict(zip(attributes[0::2], attributes[1::2])).get("id") == selector:
            return node
        for child in node.get("children", []) + ([node["contentDocument"]] if "contentDocument" in node else []):
            found = self.search(child, selector)
            if found is not None:
                return found
        return None

    def image_size(self, selector):
        """The rendered [width, height] of img#selector, or None when there is none."""
        found = self.find_image(selector)
        if found is None:
            return None
        session, node = found
        page_session, self.browser.session = self.browser.session, session
        try:
            model = self.browser.send("DOM.getBoxModel", {"backendNodeId": node["backendNodeId"]})["model"]
            return [model["width"], model["height"]]
        except RuntimeError:
            return None
        finally:
            self.browser.session = page_session

    def image_src(self, selector):
        found = self.find_image(selector)
        if found is None:
            return None
        attributes = found[1].get("attributes", [])
        return dict(zip(attributes[0::2], attributes[1::2])).get("src")

    def close(self):
        try:
            self.browser_level("Browser.close")
        except (RuntimeError, TimeoutError):
            pass
        try:
            self.browser.process.wait(timeout=20)
        except Exception:  # noqa: BLE001 - a browser that does not exit is killed
            self.browser.close()


def remote_checks(driver, remote, base, message_id, figures):
    """Without a token: opened directly, in the inspector, and with remote images asked for."""
    body = "%sapi/v1/messages/%d/body/html" % (base, message_id)
    for name, url in [("direct_body", body), ("direct_part", "%sapi/v1/messages/%d/parts/1.2.1" % (base, message_id))]:
        driver.goto(url)
        figures[name] = remote.take()
        figures[name]["cid_image"] = driver.image_size("inline")
    driver.goto(body + "?remote=1")
    figures["direct_remote"] = remote.take()
    figures["direct_remote"]["remote_image"] = driver.image_size("remote")

    driver.goto("%s#/messages/%d" % (base, message_id))
    driver.evaluate("document.getElementById('tab-html').click()")
    driver.wait_for("!!document.querySelector('#panel-html iframe')", "the HTML tab")
    time.sleep(SETTLE_S)
    figures["inspector"] = remote.take()
    figures["inspector"]["cid_image"] = driver.image_size("inline")
    figures["inspector"]["cid_src"] = (driver.image_src("inline") or "")[:22]
    driver.wait_for("!!document.getElementById('load-remote')", "the Load remote content button")
    driver.evaluate("document.getElementById('load-remote').click()", gesture=True)
    deadline = time.monotonic() + 15
    while driver.image_size("remote") != [41, 19] and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(SETTLE_S)
    figures["inspector_remote"] = remote.take()
    figures["inspector_remote"]["remote_image"] = driver.image_size("remote")
    figures["inspector_remote"]["cid_image"] = driver.image_size("inline")


def token_checks(driver, remote, base, message_id, token, downloads, figures):
    """With a token: asked once, lists, opens a message, open and download links deliver."""
    driver.goto(base)
    figures["form_shown"] = driver.evaluate("!document.getElementById('token-form').hidden")
    driver.evaluate("document.getElementById('token-input').value = %s;"
                    "document.getElementById('token-form').requestSubmit()" % json.dumps(token), gesture=True)
    driver.wait_for("document.querySelectorAll('#message-list li').length >= 1", "the list after the token")
    figures["listed"] = driver.evaluate("document.querySelectorAll('#message-list li').length")
    figures["form_hidden_after"] = driver.evaluate("document.getElementById('token-form').hidden")

    driver.evaluate("location.hash = '#/messages/%d'" % message_id)
    driver.wait_for("document.querySelectorAll('a.open-part').length >= 3 && !!document.getElementById('load-remote')",
                    "the message's MIME tree and HTML tab")
    figures["subject"] = driver.evaluate("document.getElementById('message-subject').textContent")
    driver.evaluate("document.getElementById('tab-html').click()")
    time.sleep(SETTLE_S)
    figures["cid_image"] = driver.image_size("inline")

    # "open" on the cid image's part: a new tab on a blob: URL showing the image.
    del driver.browser.events[:]
    driver.evaluate("document.querySelector('li[data-path=\"1.2.2\"] a.open-part').click()", gesture=True)
    created = driver.wait_event("Target.targetCreated", "the opened part's tab",
                                lambda e: e["params"]["targetInfo"]["type"] == "page"
                                and e["params"]["targetInfo"]["targetId"] != driver.page)
    opened = created["params"]["targetInfo"]["targetId"]
    changed = driver.wait_event(("Target.targetCreated", "Target.targetInfoChanged"), "the opened tab's blob: URL",
                                lambda e: e["params"]["targetInfo"]["targetId"] == opened
                                and e["params"]["targetInfo"]["url"].startswith("blob:"))
    figures["opened_url_scheme"] = changed["params"]["targetInfo"]["url"].split(":", 1)[0]
    driver.attach(opened)
    driver.wait_for("document.images.length === 1 && document.images[0].complete", "the opened image")
    figures["opened_image"] = driver.evaluate("[document.images[0].naturalWidth, document.images[0].naturalHeight]")
    driver.attach(driver.page)

    # The attachment's download link: the file arrives with the part's bytes.
    driver.browser_level("Browser.setDownloadBehavior",
                         {"behavior": "allow", "downloadPath": downloads, "eventsEnabled": True})
    del driver.browser.events[:]
    driver.evaluate("document.querySelector('a.download-part').click()", gesture=True)
    driver.wait_event("Browser.downloadProgress", "the attachment's download",
                      lambda e: e["params"].get("state") == "completed")
    saved = os.path.join(downloads, "order.csv")
    figures["downloaded"] = open(saved, "rb").read().decode() if os.path.exists(saved) else None

    # HTML opens in our viewer page, its URL as bare as the blob: one's.
    del driver.browser.events[:]
    driver.evaluate("document.querySelector('li[data-path=\"1.2.1\"] a.open-part').click()", gesture=True)
    viewer = driver.wait_event(("Target.targetCreated", "Target.targetInfoChanged"), "the HTML part's viewer tab",
                               lambda e: e["params"]["targetInfo"]["url"].startswith(base + "view"))
    figures["viewer_url"] = viewer["params"]["targetInfo"]["url"][len(base):]

    # Asked once: a reload of the tab finds the token in sessionStorage.
    driver.goto(base)
    driver.wait_for("document.querySelectorAll('#message-list li').length >= 1", "the list after a reload")
    figures["form_hidden_after_reload"] = driver.evaluate("document.getElementById('token-form').hidden")
    figures["document_cookie"] = driver.evaluate("document.cookie")
    cookies = driver.browser_level("Storage.getCookies").get("cookies", [])
    figures["cookies"] = len(cookies)
    figures["token_in_cookie"] = any(token in c.get("value", "") or token in c.get("name", "") for c in cookies)
    figures["remote"] = remote.take()
    # A control for the net log check below: a URL the page requests shows up in it.
    driver.evaluate("fetch('/healthz?net-log-control=1').then(function () { return 1; })")


def main():
    smtp_port, base, profile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    token = sys.argv[4] if len(sys.argv) > 4 else ""
    remote = RemoteServer()
    send_message(smtp_port, remote.base)
    message_id = api_get(base, "api/v1/wait?subject=Remote+content+probe&timeout=20", token)["id"]
    net_log = os.path.join(profile, "net-log.json")
    downloads = os.path.join(profile, "downloads")
    os.makedirs(downloads, exist_ok=True)
    driver = Driver(os.path.join(profile, "chromium-profile"), base, net_log)
    figures = {}
    try:
        if token:
            token_checks(driver, remote, base, message_id, token, downloads, figures)
        else:
            remote_checks(driver, remote, base, message_id, figures)
    except (AssertionError, TimeoutError, RuntimeError, OSError) as error:
        figures["error"] = type(error).__name__ + ": " + str(error)
        print(json.dumps(figures))
        return 1
    finally:
        driver.close()
    # Every URL the browser requested is in its net log (credentials are stripped from it).
    with open(net_log, encoding="utf-8", errors="replace") as log:
        logged = log.read()
    figures["net_log_bytes"] = len(logged)
    figures["net_log_has_api"] = "/api/v1/messages/%d" % message_id in logged
    if token:
        figures["token_in_net_log"] = token in logged
        figures["net_log_has_control"] = "net-log-control=1" in logged
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
