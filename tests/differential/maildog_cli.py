"""The maildog side of the differential tests: the built maildog-ci run as a real process
(keygen, sign, check --json) and the DNS fixture files its --dns option reads.
"""
import json
import re
import subprocess

k_command_timeout_seconds = 60


class MaildogError(Exception):
    pass


def run(binary, arguments):
    completed = subprocess.run([binary, *arguments], capture_output=True, timeout=k_command_timeout_seconds)
    if completed.returncode != 0:
        raise MaildogError(f"maildog-ci {' '.join(arguments)} exited {completed.returncode}: "
                           f"{completed.stderr.decode(errors='replace').strip()}")
    return completed.stdout.decode()


def keygen(binary, key_type, bits, selector, domain, prefix):
    """Returns (PEM key path, TXT record name, TXT record value with its strings joined)."""
    arguments = ["keygen", "--type", key_type, "--selector", selector, "--domain", domain, "--out", prefix]
    if bits:
        arguments += ["--bits", str(bits)]
    line = run(binary, arguments).strip()
    name, _, rest = line.partition(" IN TXT ")
    # Zone-file form: a long value is split into several quoted strings (RFC 1035 3.3.14).
    value = "".join(re.findall(r'"([^"]*)"', rest))
    if not name or not value:
        raise MaildogError(f"maildog-ci keygen printed no TXT record: {line!r}")
    return f"{prefix}.key", name, value


def sign(binary, message_path, key_path, selector, domain, headers, canonicalization, out_path):
    run(binary, ["sign", str(message_path), "--key", str(key_path), "--selector", selector, "--domain", domain,
                 "--headers", headers, "--canonicalization", canonicalization, "--out", str(out_path)])


def write_zone(path, records):
    """records: name -> {TYPE: [values]}. JSON is YAML's flow style, and it quotes every
    name and value, so names with '@' or '%' and TXT text need no YAML escaping."""
    path.write_text(json.dumps(records, indent=1, sort_keys=True))


def check(binary, message_path, zone_path, client_ip, helo, mail_from):
    """The parsed `check --json` verdict; an empty mail_from is the null reverse-path."""
    arguments = ["check", str(message_path), "--client-ip", client_ip, "--helo", helo, "--dns", str(zone_path),
                 "--json", "--no-ptr"]
    if mail_from:
        arguments += ["--mail-from", mail_from]
    return json.loads(run(binary, arguments))
