#!/usr/bin/python3
"""Compares a recorded transcript (`maildog-ci record --transcript FILE`) with a run's JSON report
(`maildog-ci run --json FILE`): session by session, every command the app sent and every reply
line it got must be equal. Only what differs by nature is normalised: IP addresses, queue ids
("queued as ID"), dates. Shared by the record tests (aiosmtpd, Postfix).

Usage: transcript_equal.py RECORDED.json REPORT.json [--scenario NAME]
Exit 0 and "equal: ..." when they match; exit 1 naming the first difference otherwise.
"""

import argparse
import json
import re
import sys

NORMALISE = [
    (re.compile(r"queued as \S+", re.IGNORECASE), "queued as <queue-id>"),
    (re.compile(r"\b\d{1,3}(\.\d{1,3}){3}\b"), "<ip>"),
    (re.compile(r"\b[A-Z][a-z]{2}, +\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d( [+-]\d{4})?( \([A-Z]+\))?"), "<date>"),
]


def normalised(text):
    for pattern, replacement in NORMALISE:
        text = pattern.sub(replacement, text)
    return text


def lines_of(session):
    return [(entry["dir"], normalised(entry["text"])) for entry in session["transcript"]
            if entry["dir"] in ("client", "server")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("recorded")
    parser.add_argument("report")
    parser.add_argument("--scenario", help="the scenario's name in the report (default: the first)")
    args = parser.parse_args()
    with open(args.recorded, encoding="utf-8") as f:
        recorded = json.load(f)["sessions"]
    with open(args.report, encoding="utf-8") as f:
        scenarios = json.load(f)["scenarios"]
    if args.scenario:
        scenarios = [s for s in scenarios if s["name"] == args.scenario]
    if not scenarios:
        print("no such scenario in the report", file=sys.stderr)
        return 1
    replayed = scenarios[0].get("sessions", [])
    if len(recorded) != len(replayed):
        print(f"different: {len(recorded)} recorded sessions, {len(replayed)} replayed", file=sys.stderr)
        return 1
    total = 0
    for number, (want, got) in enumerate(zip(lines_of_all(recorded), lines_of_all(replayed)), 1):
        for index in range(max(len(want), len(got))):
            a = want[index] if index < len(want) else ("-", "(nothing)")
            b = got[index] if index < len(got) else ("-", "(nothing)")
            if a != b:
                print(f"different: session {number}, line {index + 1}:\n  recorded: {a[0]} {a[1]}\n"
                      f"  replayed: {b[0]} {b[1]}", file=sys.stderr)
                return 1
        total += len(want)
    print(f"equal: {len(recorded)} sessions, {total} lines")
    return 0


def lines_of_all(sessions):
    return [lines_of(session) for session in sessions]


if __name__ == "__main__":
    sys.exit(main())
