#!/usr/bin/python3
"""The include-direction check (issue 22): every `#include "..."` under src/ against src/layers.txt.

Usage: include_layers.py SOURCE_DIR [TABLE]

Fails naming file:line and the forbidden arrow for an include the table does not allow, a folder of
src/ the table misses, a folder the table names that does not exist, and a cycle among the table's
arrows (exceptions left out: they are the known back-arrows, each to be removed). Also checks that
ARCHITECTURE.md (beside src/) tells the same story: each arrow of its dependency chains (the backticked
`a -> b/c -> d` spans) goes down the table's arrows (b is reachable from a), and each folder of the table
has its `src/NAME` row in the folder table.
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
SOURCE_SUFFIXES = {".hpp", ".cpp", ".h", ".c", ".inc", ".ipp"}


def read_table(path):
    """Returns ({folder: set of allowed folders}, {(from, to)}, [errors])."""
    allowed, exceptions, errors = {}, set(), []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{path}:{number}"
        if line.startswith("exception:"):
            match = re.fullmatch(r"exception:\s*(\S+)\s*->\s*(\S+)", line)
            if not match:
                errors.append(f"{where}: an exception is `exception: FROM -> TO  # why`")
                continue
            if "#" not in raw:
                errors.append(f"{where}: exception {match[1]} -> {match[2]} needs a comment saying why")
            exceptions.add((match[1], match[2]))
            continue
        folder, colon, rest = line.partition(":")
        folder = folder.strip()
        if not colon or not folder:
            errors.append(f"{where}: expected `folder: allowed folders...`")
            continue
        if folder in allowed:
            errors.append(f"{where}: folder {folder} is listed twice")
        allowed[folder] = set(rest.split())
    return allowed, exceptions, errors


def find_cycle(allowed):
    """One cycle among the arrows as a list of folders, or None."""
    state = {}

    def visit(folder, path):
        state[folder] = "open"
        for target in sorted(allowed.get(folder, ())):
            if target == folder:
                continue
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state:
                found = visit(target, path + [target])
                if found:
                    return found
        state[folder] = "done"
        return None

    for folder in sorted(allowed):
        if folder not in state:
            found = visit(folder, [folder])
            if found:
                return found
    return None


def reachable(allowed, start):
    """Every folder `start` may include from, directly or through others."""
    seen, todo = set(), [start]
    while todo:
        for target in allowed.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


CHAIN = re.compile(r"`([a-z/ ]+(?: -> [a-z/ ]+)+)`")


def check_architecture(path, allowed):
    """ARCHITECTURE.md against the table: its chains go down the arrows; every folder has a row."""
    if not path.is_file():
        return [f"{path}: missing (the map the table must agree with)"]
    errors, text = [], path.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        for chain in CHAIN.findall(line):
            steps = [[name.strip() for name in step.split("/")] for step in chain.split(" -> ")]
            if not all(name in allowed for step in steps for name in step):
                continue  # a chain of something else (files, commands), not of src/ folders
            for upper, lower in zip(steps, steps[1:]):
                for a in upper:
                    below = reachable(allowed, a)
                    for b in lower:
                        if b not in below:
                            errors.append(f"{path.name}:{number}: `{chain}` says {a} -> {b}, "
                                          f"but the table does not let {a} reach {b}")
    for folder in sorted(allowed):
        if f"| `src/{folder}` |" not in text:
            errors.append(f"{path.name}: no row `src/{folder}` in the folder table")
    return errors


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    root = pathlib.Path(sys.argv[1])
    src = root / "src"
    table = pathlib.Path(sys.argv[2]) if len(sys.argv) == 3 else src / "layers.txt"
    allowed, exceptions, errors = read_table(table)

    folders = {p.name for p in src.iterdir() if p.is_dir()}
    for folder in sorted(folders - set(allowed)):
        errors.append(f"{table}: folder src/{folder} exists but the table does not list it")
    named = set(allowed) | {f for targets in allowed.values() for f in targets}
    named |= {f for pair in exceptions for f in pair}
    for folder in sorted(named - folders):
        errors.append(f"{table}: the table names folder {folder}, but src/{folder} does not exist")
    cycle = find_cycle(allowed)
    if cycle:
        errors.append(f"{table}: the arrows form a cycle: {' -> '.join(cycle)}")

    errors += check_architecture(root / "ARCHITECTURE.md", allowed)

    used_exceptions = set()
    checked = 0
    for path in sorted(src.rglob("*")):
        if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
            continue
        relative = path.relative_to(src)
        if len(relative.parts) < 2:
            continue
        origin = relative.parts[0]
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            checked += 1
            included = match[1]
            target = included.split("/", 1)[0] if "/" in included else origin
            if target == origin or target in allowed.get(origin, set()):
                continue
            if (origin, target) in exceptions:
                used_exceptions.add((origin, target))
                continue
            errors.append(f"src/{relative}:{number}: forbidden include {origin} -> {target} (\"{included}\"); "
                          f"{table.name} does not let {origin} include from {target}")
    for origin, target in sorted(exceptions - used_exceptions):
        errors.append(f"{table}: exception {origin} -> {target} is no longer used: remove it")

    for error in errors:
        print(error)
    if errors:
        print(f"FAIL: {len(errors)} problem(s)")
        return 1
    print(f"ok: {checked} includes in {len(folders)} folders follow {table.name}"
          f" ({len(exceptions)} exception(s) to remove, issue 22)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
