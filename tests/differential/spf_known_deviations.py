"""Where pyspf 2.0.14 departs from RFC 7208 and maildog-ci does not: an explicit allow-list.
A disagreement is allowed only when pyspf's own run shows the deviation (its error message, or
the names it asked for) AND re-running pyspf with the deviation neutralised (through its own
knobs or the DNS hook, never by editing it) gives maildog's result. One case can need several:
the re-run is repeated while it still disagrees and shows another listed deviation.
"""
import re
from dataclasses import dataclass
from typing import Callable

import spf_peer


@dataclass
class Deviation:
    name: str
    shows_in: Callable  # (case, ours, pyspf run) -> bool
    neutraliser: Callable  # (case, pyspf run) -> spf_peer.evaluate keyword arguments


def void_limit_hit(case, ours, run):
    return run.result == "permerror" and "Void lookup limit" in run.explanation


def lookup_limit_hit(case, ours, run):
    return run.result == "permerror" and "Too many DNS lookups" in run.explanation and ours != "permerror"


def redirects_read(case, run):
    read = {name.rstrip(".").lower() for name, qtype, _ in run.dns.questions if qtype == "TXT"}
    return sum(1 for name in read for record in case.zone.get(name, {}).get("TXT", [])
               if re.search(r"(^| )redirect=", record, re.IGNORECASE))


k_deviations = [
    # RFC 7208 4.6.4: "SPF implementations SHOULD limit 'void lookups' to two", where the limit
    # counts the *terms* (a, mx, ptr, exists) whose DNS queries return no records or NXDOMAIN.
    # pyspf counts every empty answer in query.dns(): also the address lookup of each MX host of
    # an mx term and of each PTR name of a ptr term. Neutralised by answering those lookups with
    # an address no client has (spf_peer.ZoneDns rfc_void_counting).
    Deviation("pyspf counts void lookups per query, not per term (RFC 7208 4.6.4)", void_limit_hit,
              lambda case, run: {"rfc_void_counting": True}),
    # RFC 7208 6.1: redirect= is used only "if all mechanisms fail to match", and 4.6.4 counts
    # the DNS-querying terms evaluated. pyspf counts each redirect= when it parses the record
    # (query.check0), before any mechanism runs, so mechanisms that match within the limit still
    # get "Too many DNS lookups". Neutralised by raising pyspf's MAX_LOOKUP by the number of
    # records with a redirect= it read; maildog must not have reported a limit error itself.
    Deviation("pyspf counts redirect= before the mechanisms (RFC 7208 6.1, 4.6.4)", lookup_limit_hit,
              lambda case, run: {"lookup_limit": spf_peer.spf.MAX_LOOKUP + redirects_read(case, run)}),
    # RFC 7208 7.3: an expanded domain name over 253 characters is truncated "by removing
    # successive domain labels ... until the total length does not exceed 253 characters".
    # pyspf's query.expand removes one label only and asks for a name still too long.
    # Neutralised by answering such a name for its fully trimmed form (rfc_name_trimming).
    Deviation("pyspf trims one label from a name over 253 octets (RFC 7208 7.3)",
              lambda case, ours, run: run.dns.long_names > 0, lambda case, run: {"rfc_name_trimming": True}),
]


def explain(case, ours, theirs):
    """The names of the known deviations behind a disagreement, or None."""
    options = {}
    applied = []
    run = theirs
    while run.result != ours:
        shown = [d for d in k_deviations if d.shows_in(case, ours, run)]
        changed = {**options, **{key: value for d in shown for key, value in d.neutraliser(case, run).items()}}
        if changed == options:
            return None
        options = changed
        applied += [d.name for d in shown if d.name not in applied]
        run = spf_peer.evaluate(case, **options)
    return " + ".join(applied)
