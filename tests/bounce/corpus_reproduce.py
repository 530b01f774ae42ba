#!/usr/bin/env python3
"""The bounce corpus through `maildog-ci new --from` and `run`: does the sandbox say what
production said?

Usage: corpus_reproduce.py SOURCE_DIR MAILDOG_BINARY

For every file of tests/bounce/corpus/SOURCES.tsv it writes a scenario with
`new --from FILE --app "<sample app>"`, validates it and runs it; the sample app
(tests/bounce/sample_app.py) sends to the scenario's test recipient and writes down the reply
that refused it and the stage. A file is reproduced exactly when the scenario passes, the app
heard the production reply (code, enhanced code and text; addresses aside, which the scenario
replaces by test addresses) and at the expected stage. Prints the figures the integrator
reports; fails when a scenario does not validate or keeps an address of the production reply,
when `new` fails on a corpus file, or when
fewer than MIN_EXACT files reproduce exactly (a regression guard, not a target).
"""
import csv
import os
import re
import subprocess
import sys
import tempfile

MIN_EXACT = int(os.environ.get("MAILDOG_CORPUS_MIN_EXACT", "40"))
ADDRESS = re.compile(r"[A-Za-z0-9._%+=-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def normalised(reply):
    """One line: addresses as ADDR, the continuation markers of a folded reply ("550-5.7.26") dropped."""
    words = ADDRESS.sub("ADDR", reply).split()
    if not words:
        return ""
    code = words[0][:3]
    if len(words[0]) > 4 and words[0][3] == "-":
        words[0:1] = [code, words[0][4:]]
    enhanced = words[1] if len(words) > 1 and re.fullmatch(r"[245]\.\d{1,3}\.\d{1,3}", words[1]) else None
    out = [code] + ([enhanced] if enhanced else [])
    for word in words[(2 if enhanced else 1):]:
        if word.startswith(code + "-"):
            word = word[4:]
        if word in ("", code) or word == enhanced:
            continue
        out.append(word)
    return " ".join(out)


def addresses_of(scenario_text):
    """The recipients the scenario expects not delivered (else a test one) and its sender, read
    from the flow lists and maps `new` writes (no YAML library: Debian's python3 has none)."""
    recipients = ["user1@recipient.test"]
    listed = re.search(r"^  not_delivered: \[(.*)\]$", scenario_text, re.M)
    if listed:
        recipients = [item.strip().strip('"') for item in listed.group(1).split(",")]
    sender = re.search(r"match: \{mail_from: \"?([^\"}]+)\"?\}", scenario_text)
    return recipients, sender.group(1).strip() if sender else "sender@sender.test"


def run(args, timeout=120):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)


def main():
    source, binary = sys.argv[1], sys.argv[2]
    corpus = os.path.join(source, "tests", "bounce", "corpus")
    app = os.path.join(source, "tests", "bounce", "sample_app.py")
    with open(os.path.join(corpus, "SOURCES.tsv"), encoding="utf-8") as table:
        rows = list(csv.DictReader(table, delimiter="\t", quoting=csv.QUOTE_NONE))
    exact, misses, broken = [], [], []
    with tempfile.TemporaryDirectory(prefix="maildog-corpus-") as work:
        for row in rows:
            name = os.path.splitext(row["file"])[0]
            scenario = os.path.join(work, name + ".yaml")
            report = os.path.join(work, name + ".reply")
            # First without --app, to learn the scenario's test recipients and sender.
            draft = run([binary, "new", "--from", os.path.join(corpus, row["file"])])
            recipients, sender = addresses_of(draft.stdout)
            to = " ".join(f"--to {recipient}" for recipient in recipients)
            command = f"/usr/bin/python3 {app} {to} --sender {sender} --report {report}"
            made = run([binary, "new", "--from", os.path.join(corpus, row["file"]), "--app", command, "-o", scenario])
            if made.returncode != 0:
                broken.append((row["file"], "new failed: " + made.stderr.strip()))
                continue
            written = open(scenario, encoding="utf-8", errors="replace").read().lower()
            leaked = [m.group(0) for m in ADDRESS.finditer(row["reply"]) if m.group(0).lower() in written]
            if leaked:
                broken.append((row["file"], "the scenario keeps the bounce's addresses: " + ", ".join(leaked)))
                continue
            valid = run([binary, "validate", scenario])
            if valid.returncode != 0:
                broken.append((row["file"], "does not validate: " + valid.stdout.strip() + valid.stderr.strip()))
                continue
            ran = run([binary, "run", "--no-color", "--seed", "42", "-j", "1", scenario])
            heard = open(report, encoding="utf-8").read().strip() if os.path.exists(report) else "(the app wrote nothing)"
            stage, _, reply = heard.partition("\t")
            want_reply, got_reply = normalised(row["reply"]), normalised(reply)
            why = []
            if got_reply != want_reply:
                why.append(f"reply {got_reply!r}, production {want_reply!r}")
            if stage != row["stage"]:
                why.append(f"stage {stage}, expected {row['stage']}")
            if ran.returncode != 0:
                failed = [line.strip() for line in ran.stdout.splitlines() if "expected" in line or "FAIL" in line]
                why.append("the scenario failed: " + " | ".join(failed[:3]))
            (misses if why else exact).append((row["file"], "; ".join(why)))
    print(f"bounce corpus: {len(rows)} files, {len(exact)} reproduced exactly, "
          f"{len(misses)} not reproduced, {len(broken)} without a valid scenario")
    for file, why in misses:
        print(f"  not reproduced: {file}: {why}")
    for file, why in broken:
        print(f"  broken: {file}: {why}")
    if broken or len(exact) < MIN_EXACT:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
