"""pyspf (python3-spf) as the peer. Its module-level DNS hook, spf.DNSLookup(name, qtype,
strict, timeout), is replaced by the case's zone, answered the way pyspf's Debian driver
(spf.DNSLookup_dnspython) answers: CNAMEs followed, every record under the name asked, TXT as
a list of byte strings, MX as (preference, host), a DNS failure as spf.TempError. The
answers follow dns/fixture_resolver.cpp, which reads the same zone for maildog-ci.
"""
from dataclasses import dataclass

import spf

k_cname_chain_max = 8  # dns::k_cname_chain_max
k_name_max = 253  # dns::k_name_max
k_failures = ("SERVFAIL", "TIMEOUT")
# Answers that keep a lookup from being void without matching: no generated client is near them
# (within the CIDR lengths mx terms use), 0.0.0.0 is "this host" and 100::/64 is discard-only.
k_unmatchable = {"A": "0.0.0.0", "AAAA": "100::1"}


def trimmed(name):
    """RFC 7208 7.3: an expansion over 253 octets loses "successive domain labels" on the left."""
    while len(name) > k_name_max:
        name = name.partition(".")[2]
    return name


class ZoneDns:
    def __init__(self, zone, rfc_void_counting=False, rfc_name_trimming=False):
        self.nodes = {name.rstrip(".").lower(): types for name, types in zone.items()}
        # With rfc_name_trimming, a name over 253 octets is answered for its RFC 7208 7.3 form;
        # without, it has no records, as maildog's fixture treats a name no question can carry.
        self.rfc_name_trimming = rfc_name_trimming
        self.long_names = 0
        # With rfc_void_counting, an empty address answer for an MX host or a PTR name becomes
        # an unmatchable address, so pyspf stops counting those queries as void lookups: RFC
        # 7208 4.6.4 counts the terms (a, mx, ptr, exists) whose queries are void, not each
        # address lookup behind an mx or ptr term. Matching is unchanged.
        self.rfc_void_counting = rfc_void_counting
        self.mx_hosts = set()
        self.ptr_names = set()
        self.unmatchable_answers = 0
        self.questions = []  # (name, type, number of answers or "error")

    def records(self, name, qtype):
        current = name.rstrip(".").lower()
        if len(current) > k_name_max:
            self.long_names += 1
            if not self.rfc_name_trimming:
                return []
            current = trimmed(current)
        for _ in range(k_cname_chain_max + 1):
            node = self.nodes.get(current)
            if node is None:
                return []
            if node.get(qtype):
                return node[qtype]
            if node.get("CNAME"):
                current = node["CNAME"][0].rstrip(".").lower()
                continue
            for failure in k_failures:
                if failure in node:
                    raise spf.TempError(f"DNS {failure} for {name} {qtype}")
            return []
        raise spf.TempError(f"DNS CNAME chain longer than {k_cname_chain_max} at {name}")

    @staticmethod
    def answer(value, qtype):
        if qtype in ("TXT", "SPF"):
            return [value.encode()]
        if qtype == "MX":
            preference, _, host = value.partition(" ")
            return int(preference), host.rstrip(".")
        return value

    def __call__(self, name, qtype, strict=True, timeout=None):
        try:
            values = self.records(name, qtype)
        except spf.TempError:
            self.questions.append((name, qtype, "error"))
            raise
        self.questions.append((name, qtype, len(values)))
        answers = [self.answer(value, qtype) for value in values]
        if qtype == "MX":
            self.mx_hosts.update(host.lower() for _, host in answers)
        elif qtype == "PTR":
            self.ptr_names.update(host.rstrip(".").lower() for host in answers)
        elif (self.rfc_void_counting and not answers and qtype in k_unmatchable
              and name.rstrip(".").lower() in self.mx_hosts | self.ptr_names):
            self.unmatchable_answers += 1
            answers = [k_unmatchable[qtype]]
        return [((name, qtype), answer) for answer in answers]


@dataclass
class PeerResult:
    result: str
    explanation: str
    dns: ZoneDns


def evaluate(case, lookup_limit=spf.MAX_LOOKUP, **rfc_behaviour):
    """pyspf's check_host() for the case; lookup_limit is pyspf's own MAX_LOOKUP knob,
    rfc_behaviour the ZoneDns options."""
    dns = ZoneDns(case.zone, **rfc_behaviour)
    default_limit = spf.MAX_LOOKUP
    spf.DNSLookup = dns
    spf.MAX_LOOKUP = lookup_limit
    try:
        result, _, explanation = spf.query(i=case.client_ip, s=case.mail_from, h=case.helo).check()
    finally:
        spf.MAX_LOOKUP = default_limit
    return PeerResult(result, explanation, dns)
