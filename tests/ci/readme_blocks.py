#!/usr/bin/python3
"""Runs the README's command blocks, so the README cannot rot.

Usage: /usr/bin/python3 tests/ci/readme_blocks.py REPO_DIR MAILDOG_CI_BINARY [--timeout SECONDS]

Every fenced block tagged sh, bash or console in REPO_DIR/README.md is run, in README order,
with `bash -e -o pipefail`, in a fresh temporary folder holding a copy of the repository's
`scenarios/` (and of any other top-level folder the block names as `NAME/`), with a
`maildog-ci` first on PATH that is MAILDOG_CI_BINARY. Each block has its own folder and at most
--timeout seconds (default 120); a failure names the README line of the block, its exit status
and its output.

Conventions, written in README.md's source (they do not show on GitHub):
- `<!-- not run: REASON -->` on the line before a block (blank lines between are allowed):
  the block is skipped, and listed with its reason. For blocks that need the internet, a
  registry, a GitHub runner, root package installs, or are the quick-start commands (whole
  builds and test suites).
- `<!-- run: in the background, ready when 127.0.0.1:2525 and 127.0.0.1:8025 accept connections -->`:
  the block (e.g. `maildog-ci serve`) is started in the background; the blocks after it run
  once every HOST:PORT named in the comment accepts a TCP connection (at most 30 s). It runs
  until the next heading of the README (or its end), then gets SIGTERM and must exit 0 within
  20 s. The blocks in between share its folder (they talk to it, e.g. with curl).
- A command line that is meant to fail ends with `# exit: N` (N its exit status, any text may
  follow): the line must exit with exactly N, and the block goes on. It must be a simple
  one-line command (no `\\` continuation).
- Blocks in a language other than sh/bash/console are not run. A ```yaml block that is a
  whole scenario (a top-level `name:` and no `jobs:`) is checked with `maildog-ci validate`,
  written into the copy of `scenarios/` so that its relative paths mean what they mean there.

A block that calls curl, python3, swaks, openssl or jq (or runs the bundled scenarios, whose
apps need python3 and swaks) where that program is not installed is skipped and listed, as the
other tests skip where `ci/install-deps.sh` has not run. A ```console block runs its `$ ` lines.

Besides the blocks: the package list the README gives after "the `build` set of
[`ci/packages.txt`]...:" must be that set of ci/packages.txt, in its order.

When this process may make a network namespace (root, `unshare -n`), everything runs inside a
fresh one with only loopback up, so the README's fixed ports (2525, 8025) never meet another
process's. Otherwise a background block whose ports are taken is skipped, with the reason.
Exit code 0 when every run block passed, 1 otherwise, 77 (skip) when README.md or the binary
is missing.
"""
import argparse
import fcntl
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)")
NOT_RUN = re.compile(r"^\s*<!--\s*not run:\s*(.+?)\s*-->\s*$")
BACKGROUND = re.compile(r"^\s*<!--\s*run:\s*in the background\b(.*?)-->\s*$")
ENDPOINT = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})")
HEADING = re.compile(r"^#{1,6}\s")
EXPECT_EXIT = re.compile(r"^(?P<command>.*?)\s+#\s*exit:\s*(?P<code>\d+)\b.*$")
RUN_LANGUAGES = {"sh", "bash", "console"}
NETNS_MARK = "MAILDOG_README_BLOCKS_NETNS"
# Programs a block may call that ci/install-deps.sh provides: where one is missing, the block is
# skipped with that reason, as other tests skip (the `scenarios` and `test` sets install them).
OPTIONAL_PROGRAMS = ("curl", "python3", "swaks", "openssl", "jq")


def missing_programs(text):
    wanted = [p for p in OPTIONAL_PROGRAMS if re.search(rf"(?<![\w./-]){p}(?![\w.-])", text)]
    if re.search(r"\brun scenarios/", text):
        wanted += ["python3", "swaks"]     # the bundled scenarios' sample apps (ci/packages.txt: scenarios)
    return sorted({p for p in wanted if not shutil.which(p)})


class Block:
    def __init__(self, line, language, text, marker, heading_index):
        self.line = line                # README line of the opening fence (1-based)
        self.language = language
        self.text = text
        self.marker = marker            # None, ("not run", reason) or ("background", [(host, port)])
        self.section = heading_index    # how many headings precede it


def parse_readme(path):
    """Returns the fenced blocks with the marker comment before each."""
    blocks = []
    lines = open(path, encoding="utf-8").read().split("\n")
    headings = 0
    last_comment = None                 # (kind, value) of the last HTML comment line, if only blanks since
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence:
            indent, ticks, language = fence.group(1), fence.group(2), fence.group(3).lower()
            body = []
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith(ticks):
                text = lines[j]
                body.append(text[len(indent):] if text.startswith(indent) else text)
                j += 1
            if j == len(lines):
                raise SystemExit(f"README.md line {i + 1}: a ``` block that is never closed")
            blocks.append(Block(i + 1, language, "\n".join(body) + "\n", last_comment, headings))
            last_comment = None
            i = j + 1
            continue
        if HEADING.match(line):
            headings += 1
        not_run = NOT_RUN.match(line)
        background = BACKGROUND.match(line)
        if not_run:
            last_comment = ("not run", not_run.group(1))
        elif background:
            endpoints = [(host, int(port)) for host, port in ENDPOINT.findall(background.group(1))]
            last_comment = ("background", endpoints)
        elif line.strip():
            last_comment = None
        i += 1
    return blocks


def script_for(block):
    """The block as a bash script: `# exit: N` lines become checked commands."""
    out = []
    text = block.text
    if block.language == "console":
        # A console block shows prompts: only the `$ ` lines are commands.
        text = "\n".join(l[2:] for l in text.split("\n") if l.startswith("$ ")) + "\n"
    for offset, line in enumerate(text.split("\n")):
        expected = EXPECT_EXIT.match(line)
        if expected and not line.lstrip().startswith("#"):
            readme_line = block.line + 1 + offset
            command, code = expected.group("command"), expected.group("code")
            out.append(f"set +e; {command}\nrc=$?; set -e\n"
                       f"if [ \"$rc\" != {code} ]; then echo \"README.md line {readme_line}: "
                       f"expected exit status {code}, got $rc\" >&2; exit 1; fi")
        else:
            out.append(line)
    return "\n".join(out)


def copy_needed(repo, block_texts, folder):
    """Copies scenarios/ and any other top-level folder of the repository the blocks name."""
    wanted = {"scenarios"}
    for text in block_texts:
        for name in re.findall(r"(?<![\w./-])([A-Za-z][\w.-]*)/", text):
            if os.path.isdir(os.path.join(repo, name)) and name not in ("build", ".git"):
                wanted.add(name)
    for name in sorted(wanted):
        shutil.copytree(os.path.join(repo, name), os.path.join(folder, name), symlinks=True)


def environment(bin_dir):
    env = dict(os.environ)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    # A block must not write into a real GitHub job summary, nor need a token it was not shown.
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "MAILDOG_API_TOKEN"):
        env.pop(name, None)
    env["NO_COLOR"] = "1"
    return env


def kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_block(block, folder, env, timeout):
    """Runs one block to its end; returns (exit status or None on timeout, output)."""
    process = subprocess.Popen(["bash", "-e", "-o", "pipefail", "-c", script_for(block)],
                               cwd=folder, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout)
        return process.returncode, output.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        kill_group(process)
        output, _ = process.communicate()
        return None, output.decode("utf-8", "replace")


def accepts(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def tail(text, lines=60):
    parts = text.rstrip("\n").split("\n")
    if len(parts) > lines:
        parts = [f"... ({len(parts) - lines} lines before)"] + parts[-lines:]
    return "\n".join("    " + p for p in parts)


def numbered(block):
    return "\n".join(f"    {block.line + 1 + n:4}| {l}" for n, l in enumerate(block.text.rstrip("\n").split("\n")))


class Background:
    def __init__(self, block, folder, env):
        self.block = block
        self.log_path = os.path.join(folder, f".readme-block-{block.line}.log")
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(["bash", "-e", "-o", "pipefail", "-c", script_for(block)],
                                        cwd=folder, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def output(self):
        self.log.flush()
        return open(self.log_path, encoding="utf-8", errors="replace").read()

    def wait_ready(self, endpoints, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return f"it exited with status {self.process.returncode} before it was ready"
            if all(accepts(host, port) for host, port in endpoints):
                return None
            time.sleep(0.1)
        return f"{' and '.join(f'{h}:{p}' for h, p in endpoints)} did not accept connections within {seconds} s"

    def stop(self):
        """SIGTERM to the block's processes; returns an error text or None."""
        if self.process.poll() is not None:
            return f"it had already exited with status {self.process.returncode}"
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            status = self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill_group(self.process)
            self.process.wait()
            return "it did not stop within 20 s of SIGTERM"
        finally:
            kill_group(self.process)    # anything it left behind
            self.log.close()
        if status != 0:
            return f"it exited with status {status} after SIGTERM"
        return None


def bring_loopback_up():
    """Sets IFF_UP on `lo` in a new network namespace (no iproute2 needed)."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s.fileno(), siocgifflags, request))[1]
        fcntl.ioctl(s.fileno(), siocsifflags, struct.pack("16sH", b"lo", flags | iff_up))


def reexec_in_network_namespace():
    """Re-runs this script in a fresh network namespace when that is possible; returns if not."""
    if os.environ.get(NETNS_MARK) or not shutil.which("unshare"):
        return
    probe = subprocess.run(["unshare", "-n", "true"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=10)
    if probe.returncode != 0:
        return
    env = dict(os.environ)
    env[NETNS_MARK] = "1"
    sys.stdout.flush()
    result = subprocess.run(["unshare", "-n", sys.executable, os.path.abspath(__file__)] + sys.argv[1:],
                            env=env)
    sys.exit(result.returncode)


def check_build_set(repo, readme_text):
    """The README's list of the `build` set against ci/packages.txt; returns an error or None."""
    found = re.search(r"the `build` set of\s*\[`ci/packages.txt`\]\(ci/packages.txt\):\s*`([^`]*)`", readme_text)
    if not found:
        return None
    listed = found.group(1).split()
    manifest = []
    for line in open(os.path.join(repo, "ci", "packages.txt"), encoding="utf-8"):
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and fields[0] == "build":
            manifest.append(fields[1])
    if listed != manifest:
        line = readme_text[:found.start()].count("\n") + 1
        return (f"README.md line {line}: the `build` set it lists is not ci/packages.txt's\n"
                f"  README:   {' '.join(listed)}\n  manifest: {' '.join(manifest)}")
    print(f"PASS     line {readme_text[:found.start()].count(chr(10)) + 1}: the `build` set listed is ci/packages.txt's ({len(manifest)} packages)")
    return None


def main():
    parser = argparse.ArgumentParser(description="Run the README's command blocks")
    parser.add_argument("repo")
    parser.add_argument("binary")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    repo = os.path.abspath(args.repo)
    readme = os.path.join(repo, "README.md")
    binary = os.path.abspath(args.binary)
    if not os.path.isfile(readme):
        print(f"SKIPPED: no README.md in {repo}")
        return 77
    if not os.access(binary, os.X_OK):
        print(f"SKIPPED: {binary} is not built (cmake --build --preset ci --target maildog-ci)")
        return 77

    reexec_in_network_namespace()
    in_netns = bool(os.environ.get(NETNS_MARK))
    if in_netns:
        bring_loopback_up()
        print("running in a fresh network namespace (loopback only)")
    else:
        print("running in this machine's network namespace (no `unshare -n` here)")

    blocks = parse_readme(readme)
    build_set_error = check_build_set(repo, open(readme, encoding="utf-8").read())
    runnable = [b for b in blocks if b.language in RUN_LANGUAGES and not (b.marker and b.marker[0] == "not run")]
    work = tempfile.mkdtemp(prefix="maildog-readme-")
    failures, passed, skipped, validated = [], 0, [], 0
    if build_set_error:
        failures.append(build_set_error)
    try:
        bin_dir = os.path.join(work, "bin")
        os.mkdir(bin_dir)
        os.symlink(binary, os.path.join(bin_dir, "maildog-ci"))
        env = environment(bin_dir)
        background = None           # the running background block, its folder, its section
        folder = None
        for block in blocks:
            if background and block.section != background[2]:
                error = background[0].stop() if background[0] is not None else None
                if error:
                    failures.append(f"README.md line {background[0].block.line}: the background block: {error}\n"
                                    f"  block:\n{numbered(background[0].block)}\n  output:\n{tail(background[0].output())}")
                background = None
            if block.language == "yaml":
                if re.search(r"^name:", block.text, re.M) and not re.search(r"^jobs:", block.text, re.M):
                    if folder is None or background is None:
                        folder = tempfile.mkdtemp(dir=work, prefix=f"block-{block.line}-")
                        copy_needed(repo, [], folder)
                    path = os.path.join(folder, "scenarios", f"readme-block-{block.line}.yaml")
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(block.text)
                    result = subprocess.run([binary, "validate", path], cwd=folder, env=env,
                                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
                    os.remove(path)
                    if result.returncode != 0:
                        failures.append(f"README.md line {block.line}: the scenario in this yaml block is not valid "
                                        f"(maildog-ci validate exit {result.returncode})\n"
                                        f"  output:\n{tail(result.stdout.decode('utf-8', 'replace'))}")
                    else:
                        validated += 1
                        print(f"VALID    line {block.line}: yaml scenario passes maildog-ci validate")
                continue
            if block.language not in RUN_LANGUAGES:
                continue
            if block.marker and block.marker[0] == "not run":
                skipped.append(block)
                print(f"NOT RUN  line {block.line}: {block.marker[1]}")
                continue
            missing = missing_programs(block.text)
            if missing:
                reason = f"needs {', '.join(missing)}, not installed here"
                print(f"SKIPPED  line {block.line}: {reason}")
                block.marker = ("not run", reason)
                skipped.append(block)
                continue
            if background is None:
                folder = tempfile.mkdtemp(dir=work, prefix=f"block-{block.line}-")
                later = [b.text for b in runnable if b.section == block.section]
                copy_needed(repo, later, folder)
            if block.marker and block.marker[0] == "background":
                endpoints = block.marker[1]
                if not endpoints:
                    failures.append(f"README.md line {block.line}: a background block must name the HOST:PORT "
                                    "it is ready at in its <!-- run: in the background ... --> comment")
                    continue
                busy = [f"{h}:{p}" for h, p in endpoints if accepts(h, p)]
                if busy and not in_netns:
                    reason = f"{', '.join(busy)} already taken on this machine, and no network namespace"
                    print(f"SKIPPED  line {block.line} and the blocks after it in its section: {reason}")
                    block.marker = ("not run", reason)
                    skipped.append(block)
                    background = (None, folder, block.section, block.line)
                    continue
                started = time.monotonic()
                job = Background(block, folder, env)
                error = job.wait_ready(endpoints)
                if error:
                    job.stop()
                    failures.append(f"README.md line {block.line}: the background block: {error}\n"
                                    f"  block:\n{numbered(block)}\n  output:\n{tail(job.output())}")
                    continue
                print(f"STARTED  line {block.line}: in the background, ready in {time.monotonic() - started:.1f} s")
                background = (job, folder, block.section, block.line)
                continue
            if background and background[0] is None:
                reason = f"its section's background block (line {background[3]}) was skipped"
                print(f"SKIPPED  line {block.line}: {reason}")
                block.marker = ("not run", reason)
                skipped.append(block)
                continue
            started = time.monotonic()
            status, output = run_block(block, folder, env, args.timeout)
            elapsed = time.monotonic() - started
            if status == 0:
                passed += 1
                print(f"PASS     line {block.line}: {elapsed:.1f} s")
                continue
            what = f"timed out after {args.timeout:.0f} s" if status is None else f"exit status {status}"
            print(f"FAIL     line {block.line}: {what}")
            failures.append(f"README.md line {block.line}: the block failed ({what})\n"
                            f"  block:\n{numbered(block)}\n  output:\n{tail(output)}")
        if background and background[0] is not None:
            error = background[0].stop()
            if error:
                failures.append(f"README.md line {background[0].block.line}: the background block: {error}\n"
                                f"  block:\n{numbered(background[0].block)}\n  output:\n{tail(background[0].output())}")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n{passed} blocks passed, {len(failures)} failed, {len(skipped)} not run, "
          f"{validated} yaml scenarios validated")
    if skipped:
        print("not run:")
        for block in skipped:
            reason = block.marker[1]
            first = block.text.strip().split("\n")[0]
            print(f"  line {block.line}: {reason}  [{first}]")
    for failure in failures:
        print("\n" + failure)
    if passed == 0 and not failures:
        print("no block ran: the README's command blocks are all marked not run?")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
