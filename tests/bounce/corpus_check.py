#!/usr/bin/python3
"""Checks tests/bounce/corpus against its SOURCES.tsv.

Usage: corpus_check.py CORPUS_DIR

Every corpus file is listed once, every listed file exists, each row has its repository, path,
commit and licence (the corpus holds only unedited copies of public files, so where each came
from must be recorded), a known kind and stage, and a reply line that starts with the expected
basic code and holds the expected enhanced code. A log file holds exactly one line.
"""
import pathlib
import re
import sys

# The issue asks for at least 40 real bounces and log lines.
MIN_ROWS = 40
COLUMNS = ["file", "repository", "path", "commit", "licence", "kind", "stage", "basic", "enhanced", "reply"]
STAGES = {"connect", "helo", "mail", "rcpt", "end_of_data"}
KINDS = {"dsn", "exchange-ndr", "exim", "qmail", "sendmail", "gmail",
         "log-postfix", "log-exim", "log-sendmail"}
NOT_CORPUS = {"SOURCES.tsv", "README.md"}


def problems(corpus: pathlib.Path) -> list[str]:
    found = []
    lines = (corpus / "SOURCES.tsv").read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].split("\t") != COLUMNS:
        return [f"SOURCES.tsv:1: the header must be {' | '.join(COLUMNS)}"]
    listed = {}
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        where = f"SOURCES.tsv:{number}"
        if len(cells) != len(COLUMNS):
            found.append(f"{where}: {len(cells)} columns, expected {len(COLUMNS)}")
            continue
        row = dict(zip(COLUMNS, cells))
        name = row["file"]
        if name in listed:
            found.append(f"{where}: {name} is listed twice (first at line {listed[name]})")
        listed[name] = number
        for column in ("repository", "path", "licence", "reply"):
            if not row[column].strip():
                found.append(f"{where}: {name}: empty {column}")
        if not re.fullmatch(r"[0-9a-f]{40}", row["commit"]):
            found.append(f"{where}: {name}: commit is not 40 hex digits")
        if row["kind"] not in KINDS:
            found.append(f"{where}: {name}: unknown kind {row['kind']!r}")
        if row["stage"] not in STAGES:
            found.append(f"{where}: {name}: unknown stage {row['stage']!r}")
        if not re.fullmatch(r"[45]\d\d", row["basic"]) or not row["reply"].startswith(row["basic"]):
            found.append(f"{where}: {name}: the reply does not start with basic code {row['basic']!r}")
        enhanced = row["enhanced"]
        if enhanced != "-" and (not re.fullmatch(r"[45]\.\d{1,3}\.\d{1,3}", enhanced)
                                or enhanced not in row["reply"]):
            found.append(f"{where}: {name}: enhanced code {enhanced!r} is not in the reply")
        path = corpus / name
        if not path.is_file():
            found.append(f"{where}: {name}: no such file in the corpus")
        elif name.endswith(".log") and path.read_bytes().count(b"\n") > 1:
            found.append(f"{where}: {name}: a log file holds one line")
    on_disk = {p.name for p in corpus.iterdir() if p.is_file() and p.name not in NOT_CORPUS}
    for name in sorted(on_disk - listed.keys()):
        found.append(f"{name}: not listed in SOURCES.tsv")
    if len(listed) < MIN_ROWS:
        found.append(f"SOURCES.tsv: {len(listed)} rows, at least {MIN_ROWS} expected")
    return found


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    found = problems(pathlib.Path(sys.argv[1]))
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
