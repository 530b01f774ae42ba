#!/usr/bin/python3
"""The man page and the bash, zsh and fish completions against the built binary's own `--help`.

Fails when a subcommand, or a long option of a subcommand's `CMD --help`, is missing from the
man page or from any completion file (each in that subcommand's own part of the file, not just
anywhere); when `maildog-ci s<TAB>` does not complete to exactly sign and serve in bash (plain
and with bash-completion) and fish, or a scenario path to anything but *.yaml, *.yml and
folders; when zsh or fish find a syntax error; and when groff, man or lexgrog warn about the man
page. A new subcommand or option is caught here the day it lands.
Usage: tests/ci/completions.py SOURCE_DIR MAILDOG_BINARY
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

source_dir, binary = sys.argv[1], sys.argv[2]
packaging = os.path.join(source_dir, "packaging")
files = {
    "man page": os.path.join(packaging, "maildog-ci.1"),
    "bash": os.path.join(packaging, "completions", "maildog-ci.bash"),
    "zsh": os.path.join(packaging, "completions", "_maildog-ci"),
    "fish": os.path.join(packaging, "completions", "maildog-ci.fish"),
}
failures = []


def fail(message):
    failures.append(message)
    print("FAILED: " + message)


def help_text(*args):
    done = subprocess.run([binary, *args, "--help"], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        sys.exit(f"{binary} {' '.join(args)} --help exited {done.returncode}: {done.stderr}")
    return done.stdout


def section(text, title):
    """The lines of a CLI11 help section ("Options:", "Subcommands:") up to the next blank line."""
    match = re.search(rf"^{title}:\n(.*?)(?:\n\n|\Z)", text, re.S | re.M)
    return match.group(1).splitlines() if match else []


def long_options(text):
    """Long option names of a help text: the first column of each option line (-j,--jobs ...)."""
    names = []
    for line in section(text, "Options"):
        if not line.startswith("  -"):
            continue  # a description wrapped to its own line
        names += [n for n in line.split()[0].split(",") if n.startswith("--")]
    return names


top = help_text()
commands = [line.split()[0] for line in section(top, "Subcommands") if line.startswith("  ") and line.split()]
if len(commands) < 8:
    sys.exit(f"found only {commands} under 'Subcommands:' of {binary} --help:\n{top}")
options = {command: long_options(help_text(command)) for command in commands}
top_options = long_options(top)
print(f"{binary}: {len(commands)} commands: {' '.join(commands)}")
for command in commands:
    print(f"  {command}: {' '.join(options[command])}")

text = {}
for kind, path in files.items():
    with open(path, encoding="utf-8") as f:
        text[kind] = f.read()
text["man page"] = text["man page"].replace("\\-", "-")


def part(kind, command):
    """The part of a file that is about one subcommand."""
    body = text[kind]
    if kind == "man page":  # .SS "command ..." up to the next .SS or .SH
        match = re.search(rf'^\.SS "?{re.escape(command)}\b.*?(?=^\.S[SH] )', body, re.S | re.M)
        return match.group(0) if match else None
    if kind == "bash":  # the `command)` branch of `case $command in`, up to its `;;`
        match = re.search(rf"^ {{4}}{re.escape(command)}\)\n(.*?)^ {{6}};;", body, re.S | re.M)
        return match.group(0) if match else None
    if kind == "zsh":  # the `command)` branch of `case $words[1] in`
        match = re.search(rf"^ {{8}}{re.escape(command)}\)\n(.*?)^ {{10}};;", body, re.S | re.M)
        return match.group(0) if match else None
    # fish: the `complete` lines whose condition names the command, and those for every command
    lines = [line for line in body.splitlines()
             if re.search(rf"__fish_seen_subcommand_from [^'\"]*\b{re.escape(command)}\b", line)
             or "__fish_seen_subcommand_from $commands" in line and "not __fish" not in line]
    return "\n".join(lines) if lines else None


def has_option(kind, body, option):
    if kind == "fish":  # -l name
        return re.search(rf"(?<![\w-])-l {re.escape(option[2:])}(?![\w-])", body) is not None
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", body) is not None


for kind in files:
    for option in top_options:
        if not has_option(kind, text[kind], option):
            fail(f"{kind} ({files[kind]}): the top-level option {option} is missing")
    for command in commands:
        body = part(kind, command)
        if body is None:
            fail(f"{kind} ({files[kind]}): no part for the subcommand '{command}'")
            continue
        for option in options[command]:
            if kind == "man page" and option == "--help":
                continue  # described once, under OPTIONS
            if not has_option(kind, body, option):
                fail(f"{kind} ({files[kind]}): '{command}' lacks its option {option}")
# The bash file's list of commands, and the zsh and fish lists, name every subcommand.
listed = {
    "bash": re.search(r"local commands='([^']*)'", text["bash"]),
    "fish": re.search(r"set -l commands (.*)", text["fish"]),
}
for kind, match in listed.items():
    names = match.group(1).split() if match else []
    for command in commands:
        if command not in names:
            fail(f"{kind}: '{command}' is not in the list of commands it completes")
for command in commands:
    if not re.search(rf"^ +'{re.escape(command)}:", text["zsh"], re.M):
        fail(f"zsh: '{command}' is not in the list of commands it completes")
    if not re.search(rf"^\.B maildog-ci {re.escape(command)}\b", text["man page"], re.M):
        fail(f"man page: '{command}' is not in the SYNOPSIS")


# Plain bash, and bash with the bash-completion package's helpers (_init_completion), as most
# users have it.
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"


def complete_bash(words, cwd, helpers):
    """COMPREPLY of the bash completion for the command line `words` (the last is being typed)."""
    script = ('[ -z "$2" ] || source "$2"; source "$1"; shift 2; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
              'COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; _maildog_ci; printf "%s\\n" "${COMPREPLY[@]}"')
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", files["bash"], helpers, *words],
                          capture_output=True, text=True, timeout=30, cwd=cwd)
    if done.returncode != 0:
        fail(f"bash completion of {words} exited {done.returncode}: {done.stderr}")
    return sorted(line for line in done.stdout.splitlines() if line)


with tempfile.TemporaryDirectory() as scratch:
    for name in ("a.yaml", "b.yml", "notes.txt", "report.json"):
        open(os.path.join(scratch, name), "w").close()
    os.mkdir(os.path.join(scratch, "suite"))
    cases = [
        (["maildog-ci", "s"], ["serve", "sign"]),
        (["maildog-ci", "run", "--fail"], ["--fail-fast"]),
        (["maildog-ci", "run", "-j", "2", ""], ["a.yaml", "b.yml", "suite"]),
        (["maildog-ci", "validate", ""], ["a.yaml", "b.yml", "suite"]),
        (["maildog-ci", "keygen", "--type", ""], ["ed25519", "rsa"]),
        (["maildog-ci", "serve", "--config", "a"], ["a.yaml"]),
    ]
    if shutil.which("fish"):
        for words, expected in cases:
            line = " ".join(words)
            done = subprocess.run(["fish", "--no-config", "-c", 'source $argv[1]; complete -C $argv[2]',
                                   files["fish"], line], capture_output=True, text=True, timeout=30, cwd=scratch)
            got = sorted(entry.split("\t")[0].rstrip("/") for entry in done.stdout.splitlines() if entry)
            if done.returncode != 0 or got != expected:
                fail(f"fish completes {line!r}<TAB> to {got}, not {expected} {done.stderr.strip()}")
            else:
                print(f"ok: fish completes {line!r}<TAB> to {got}")
    setups = [("", "bash")]
    if os.path.exists(BASH_COMPLETION):
        setups.append((BASH_COMPLETION, "bash with bash-completion"))
    else:
        print(f"note: no {BASH_COMPLETION} (package bash-completion): completion is checked in plain bash only")
    for helpers, shell in setups:
        for words, expected in cases:
            got = complete_bash(words, scratch, helpers)
            if got != expected:
                fail(f"{shell} completes {' '.join(words)!r}<TAB> to {got}, not {expected}")
            else:
                print(f"ok: {shell} completes {' '.join(words)!r}<TAB> to {got}")

for shell, kind in (("zsh", "zsh"), ("fish", "fish")):
    if shutil.which(shell):  # fish's own completion of the cases is checked above
        done = subprocess.run([shell, "-n", files[kind]], capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            fail(f"{shell} -n {files[kind]}: {done.stderr}")
    else:
        print(f"note: {shell} is not installed: {files[kind]} is checked as text only")

# The man page renders without a single warning.
man_checks = [
    (["groff", "-man", "-ww", "-z", files["man page"]], "groff"),
    (["man", "--warnings", "-l", files["man page"]], "man"),
    (["lexgrog", files["man page"]], "lexgrog"),
]
for command, tool in man_checks:
    if not shutil.which(tool):
        fail(f"{tool} is not installed (ci/packages.txt, set package): the man page is not checked")
        continue
    done = subprocess.run(command, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "MANWIDTH": "80", "LC_ALL": "C.UTF-8"})
    if done.returncode != 0 or done.stderr.strip():
        fail(f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()}")
    elif tool == "lexgrog" and "maildog-ci - " not in done.stdout:
        fail(f"lexgrog finds no 'maildog-ci - ...' NAME line: {done.stdout.strip()}")
    else:
        print(f"ok: {' '.join(command[:-1])} has nothing to say")

if failures:
    print(f"{len(failures)} problem(s) with the man page or the completions")
    sys.exit(1)
print("the man page and the bash, zsh and fish completions cover every command and long option")
