"""Keyboard navigation of the serve inspector in headless Chromium, driven over the DevTools
protocol on a pipe (--remote-debugging-pipe: fd 3 in, fd 4 out, NUL-separated JSON), so no
package beyond the standard library is needed.

Usage: /usr/bin/python3 inspector_keys.py URL PROFILE_DIR
The page at URL must list at least two attempts. Checks that j/k move the cursor, Enter opens
the attempt under it and / focuses the filter; exits 0 when all hold, 1 with the reason if not.
"""
import json
import os
import subprocess
import sys
import time

DEADLINE_S = 60


class Browser:
    """Chromium on a DevTools pipe; events that arrive while waiting for a reply are kept in
    `events`. inspector_content.py uses it too, with extra command-line flags."""

    def __init__(self, profile, extra_args=()):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def wire_pipes():
            # Through fds above 4 first, so neither end is overwritten by the other's dup2.
            os.dup2(to_chrome_r, 100)
            os.dup2(from_chrome_w, 101)
            os.dup2(100, 3)
            os.dup2(101, 4)

        self.process = subprocess.Popen(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile,
             "--remote-debugging-pipe", *extra_args, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire_pipes, pass_fds=(3, 4))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.events = []
        self.next_id = 0
        self.session = None
        self.deadline = time.monotonic() + DEADLINE_S

    def send(self, method, params=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(method + ": " + json.dumps(reply["error"]))
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def read(self):
        while b"\0" not in self.buffer:
            if time.monotonic() > self.deadline:
                raise TimeoutError("no answer from chromium in time")
            chunk = os.read(self.from_chrome, 65536)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return result["result"].get("value")

    def wait_for(self, expression, what):
        while time.monotonic() < self.deadline:
            if self.evaluate(expression):
                return
            time.sleep(0.1)
        raise TimeoutError("waited in vain for " + what)

    def key(self, key, code, key_code, text=None):
        params = {"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": key_code}
        if text:
            params["text"] = text
        self.send("Input.dispatchKeyEvent", params)
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": key, "code": code, "windowsVirtualKeyCode": key_code})

    def close(self):
        self.process.kill()
        self.process.wait(timeout=10)


def main():
    url, profile = sys.argv[1], sys.argv[2]
    browser = Browser(profile)
    try:
        target = browser.send("Target.createTarget", {"url": url})["targetId"]
        browser.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        browser.wait_for("document.querySelectorAll('#message-list li').length >= 2", "the attempt list")
        ids = browser.evaluate("Array.from(document.querySelectorAll('#message-list li')).map(li => li.dataset.id)")
        cursor = "(document.querySelector('#message-list li.cursor') || {dataset: {}}).dataset.id"
        browser.key("j", "KeyJ", 74, "j")
        browser.key("j", "KeyJ", 74, "j")
        if browser.evaluate(cursor) != ids[1]:
            raise AssertionError("j j should put the cursor on the second attempt, it is on " + str(browser.evaluate(cursor)))
        browser.key("k", "KeyK", 75, "k")
        if browser.evaluate(cursor) != ids[0]:
            raise AssertionError("k should move the cursor back to the first attempt")
        browser.key("Enter", "Enter", 13, "\r")
        browser.wait_for("location.hash.length > 1 && (!document.getElementById('attempt').hidden"
                         " || !document.getElementById('message').hidden)", "Enter to open the attempt")
        browser.key("/", "Slash", 191, "/")
        if browser.evaluate("document.activeElement && document.activeElement.id") != "filter":
            raise AssertionError("/ should focus the filter")
        print("keyboard navigation: ok (" + ", ".join(ids) + ")")
        return 0
    except (AssertionError, TimeoutError, RuntimeError) as error:
        print("keyboard navigation: " + str(error))
        return 1
    finally:
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
