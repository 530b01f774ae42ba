"""What every differential driver shares: the command line, the seed, the visible skip and
the summary. The drivers run under Debian's /usr/bin/python3, where python3-dkim and
python3-spf live; CTest maps k_skip_exit_code to SKIP_RETURN_CODE.
"""
import argparse
import collections
import importlib
import os
import random
import sys

k_skip_exit_code = 77
k_default_seed = 20240607


def parse_args(description, default_count):
    """--binary, --seed, --count, --only; the environment can raise the count or pick the
    seed locally (MAILDOG_DIFF_COUNT, MAILDOG_DIFF_SEED) without editing the CTest line."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--binary", required=True, help="the built maildog-ci")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("MAILDOG_DIFF_SEED", k_default_seed)))
    parser.add_argument("--count", type=int, default=int(os.environ.get("MAILDOG_DIFF_COUNT", default_count)),
                        help="generated cases (per direction where there are two)")
    parser.add_argument("--only", type=int, action="append", default=[],
                        help="run only this case number (repeatable), to reproduce a failure")
    return parser.parse_args()


def require_modules(*names):
    """The peer's modules; exits with the skip code, visibly, when one is not installed."""
    modules = []
    missing = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            missing.append(name)
    if missing:
        print(f"SKIPPED: {sys.executable} cannot import {', '.join(missing)} "
              "(apt-get install python3-dkim python3-spf; ci/install-deps.sh installs them)")
        sys.exit(k_skip_exit_code)
    return modules


def case_numbers(args):
    return args.only if args.only else range(args.count)


def case_random(seed, label):
    """One generator per case, so `--seed S --only N` rebuilds case N alone."""
    return random.Random(f"{seed}/{label}")


class Tally:
    """Counts comparisons and keeps the failures for the summary and the exit code."""

    def __init__(self, name, seed):
        self.name = name
        self.seed = seed
        self.compared = 0
        self.agreed = 0
        self.outcomes = collections.Counter()  # agreed results, to show what the cases covered
        self.allowed = collections.Counter()  # known-deviation name -> count
        self.failures = 0

    def agree(self, outcome):
        self.compared += 1
        self.agreed += 1
        self.outcomes[outcome] += 1

    def allow(self, deviation):
        self.compared += 1
        self.allowed[deviation] += 1

    def fail(self, text):
        self.compared += 1
        self.failures += 1
        print(f"FAILED {text}\n", flush=True)

    def finish(self, cases, reproduce):
        """cases: how many were generated, in words ("200 cases")."""
        allowed = sum(self.allowed.values())
        print(f"{self.name}: {cases}, {self.compared} comparisons, {self.agreed} agreements, "
              f"{allowed} known deviations, {self.failures} failures, seed {self.seed}")
        print("  agreed on: " + ", ".join(f"{outcome} {count}" for outcome, count in sorted(self.outcomes.items())))
        for deviation, count in sorted(self.allowed.items()):
            print(f"  known deviation {deviation}: {count}")
        if self.failures:
            print(f"reproduce: {reproduce}")
        return 1 if self.failures or self.compared == 0 else 0
