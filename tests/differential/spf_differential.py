"""SPF against Debian's pyspf (python3-spf): for each generated case (zone, client IP, MAIL
FROM, HELO) maildog-ci check --json and pyspf's query.check() must give the same RFC 7208
result, or the difference must be one of pyspf's known deviations (spf_known_deviations.py),
confirmed by re-running pyspf with that deviation neutralised.
"""
import json
import shutil
import sys
import tempfile
from pathlib import Path

import harness
import maildog_cli
import spf_zones

k_message = (b"From: Alice <alice@sender.test>\r\nTo: bob@example.org\r\nSubject: spf differential\r\n\r\n"
             b"body\r\n")


def zone_changes(case):
    """The records this case added to or changed in the base zone, for the failure report."""
    return {name: types for name, types in sorted(case.zone.items()) if spf_zones.k_base_zone.get(name) != types}


def describe(number, seed, case, zone_path, message_path, binary, ours, theirs):
    mail_from = f" --mail-from '{case.mail_from}'" if case.mail_from else ""
    return (f"spf/{number} seed {seed}: client {case.client_ip}, MAIL FROM <{case.mail_from}>, HELO {case.helo}\n"
            f"  maildog: {ours['result']} ({ours['mechanism'] or '-'}: {ours['reason']})\n"
            f"  pyspf:   {theirs.result} ({theirs.explanation})\n"
            f"  zone (besides spf_zones.k_base_zone): {json.dumps(zone_changes(case), sort_keys=True)}\n"
            f"  maildog alone: {binary} check {message_path} --client-ip {case.client_ip} --helo {case.helo}"
            f"{mail_from} --dns {zone_path} --json --no-ptr")


def main():
    args = harness.parse_args(__doc__, default_count=200)
    harness.require_modules("spf")
    import spf_known_deviations  # both import pyspf: only once it is known to be there
    import spf_peer
    folder = Path(tempfile.mkdtemp(prefix="maildog-spf-differential-"))
    message_path = folder / "message.eml"
    message_path.write_bytes(k_message)
    tally = harness.Tally("spf", args.seed)
    for number in harness.case_numbers(args):
        case = spf_zones.case(harness.case_random(args.seed, f"spf/{number}"))
        zone_path = folder / f"zone-{number}.yaml"
        maildog_cli.write_zone(zone_path, case.zone)
        ours = maildog_cli.check(args.binary, message_path, zone_path, case.client_ip, case.helo, case.mail_from)["spf"]
        theirs = spf_peer.evaluate(case)
        if ours["result"] == theirs.result:
            tally.agree(ours["result"])
            continue
        deviation = spf_known_deviations.explain(case, ours["result"], theirs)
        if deviation:
            tally.allow(deviation)
        else:
            tally.fail(describe(number, args.seed, case, zone_path, message_path, args.binary, ours, theirs))
    status = tally.finish(f"{len(harness.case_numbers(args))} cases",
                          f"/usr/bin/python3 -B {sys.argv[0]} --binary {args.binary} --seed {args.seed} "
                          "--only N (N from the FAILED lines)")
    if status == 0:
        shutil.rmtree(folder)
    else:
        print(f"zone files kept in {folder}")
    return status


if __name__ == "__main__":
    sys.exit(main())
