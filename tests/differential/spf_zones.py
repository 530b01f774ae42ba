"""Seeded SPF cases: a small DNS zone with random but mostly valid policies (every mechanism,
qualifier and modifier, nested include and redirect, macros, void lookups, lookup-limit
blowups, missing, duplicate and broken records) and a client (IP, MAIL FROM, HELO).
"""
import ipaddress
import re
from dataclasses import dataclass, field

k_top_domain = "sender.test"

# Hosts every zone has. MX hosts and PTR names without addresses (nohost-mx, fake.example.net)
# are never the target of a/exists terms, and web.zone.test is a PTR name for an IPv4 client
# only, which finds its A record: spf_peer's rfc_void_counting relies on it.
k_base_zone = {
    "mail.zone.test": {"A": ["192.0.2.10"], "AAAA": ["2001:db8::10"]},
    "web.zone.test": {"A": ["198.51.100.20"]},  # no AAAA: a void answer for IPv6 clients
    "v6only.zone.test": {"AAAA": ["2001:db8:1::5"]},
    "mx1.zone.test": {"A": ["192.0.2.30"], "AAAA": ["2001:db8::30"]},
    "mx2.zone.test": {"A": ["203.0.113.40"], "AAAA": ["2001:db8:2::40"]},
    "alias.zone.test": {"CNAME": ["mail.zone.test"]},
    "dangling.zone.test": {"CNAME": ["nohost.zone.test"]},
    "loopa.zone.test": {"CNAME": ["loopb.zone.test"]},
    "loopb.zone.test": {"CNAME": ["loopa.zone.test"]},
    "empty.zone.test": {},  # exists, no records: NODATA
    "mxdom.zone.test": {"MX": ["10 mx1.zone.test", "20 mx2.zone.test"]},
    "deadmx.zone.test": {"MX": ["10 nohost-mx.zone.test"]},
    "bigmx.zone.test": {"MX": [f"{10 + n} mx{1 + n % 2}.zone.test" for n in range(11)]},
    "servfail.zone.test": {"SERVFAIL": ["true"]},
    "timeout.zone.test": {"TIMEOUT": ["true"]},
    "nospf.zone.test": {"TXT": ["google-site-verification=abc123"]},
    "two.zone.test": {"TXT": ["v=spf1 -all", "v=spf1 +all"]},
    "broken.zone.test": {"TXT": ["v=spf1 ip4:192.0.2.0/40 -all"]},
    "stop.zone.test": {"TXT": ["v=spf1 -all"]},
    "open.zone.test": {"TXT": ["v=spf1 +all"]},
    "loop.zone.test": {"TXT": ["v=spf1 include:loop.zone.test -all"]},
    "explain.zone.test": {"TXT": ["%{i} is not one of %{d}'s senders"]},
    # Reverse names (RFC 7208 5.5): one validated, one with a name that does not map back.
    "10.2.0.192.in-addr.arpa": {"PTR": ["mail.zone.test"]},
    "20.100.51.198.in-addr.arpa": {"PTR": ["web.zone.test", "fake.example.net"]},
    "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa": {"PTR": ["mail.zone.test"]},
}

k_clients = ["192.0.2.10", "192.0.2.77", "192.0.2.30", "203.0.113.40", "198.51.100.20", "198.51.100.200",
             "10.1.2.3", "2001:db8::10", "2001:db8::30", "2001:db8:1::5", "2001:db8:2::40", "2001:db8:ffff::1",
             "2001:db9::1", "::ffff:192.0.2.10"]
k_local_parts = ["alice", "bob", "strong-bad", "first.last", "x+tag"]
k_helos = ["client.example.net", "mail.zone.test"]

k_ip4_networks = ["192.0.2.0/24", "192.0.2.10", "192.0.2.10/32", "198.51.100.0/25", "198.51.100.128/25",
                  "203.0.113.0/24", "10.0.0.0/8", "192.0.0.0/16", "0.0.0.0/0"]
k_ip6_networks = ["2001:db8::/32", "2001:db8::10", "2001:db8:1::/48", "2001:db8:ffff::/64", "2001:db8::10/128",
                  "::/0", "2001:db8:2::/56"]
k_a_terms = ["a", "a/24", "a//64", "a:mail.zone.test", "a:web.zone.test/24", "a:v6only.zone.test//64",
             "a:alias.zone.test", "a:nohost.zone.test", "a:empty.zone.test", "a:mail.zone.test/24//48",
             "a:%{d}", "a:timeout.zone.test", "a:dangling.zone.test", "a:loopa.zone.test", "a:mail.zone.test.",
             "A:Mail.Zone.Test/0", "a:mail.zone.test/0//0"]
k_mx_terms = ["mx", "mx/24", "mx:mxdom.zone.test", "mx:mxdom.zone.test//64", "mx:web.zone.test",
              "mx:deadmx.zone.test", "mx:nohost.zone.test", "mx:%{d}/24"]
k_include_specials = ["missing.zone.test", "nospf.zone.test", "two.zone.test", "broken.zone.test",
                      "servfail.zone.test", "stop.zone.test", "open.zone.test", "loop.zone.test"]
k_exists_macros = ["%{i}", "%{ir}", "%{l}", "%{o}", "%{d}", "%{h}", "%{s}", "%{d2}", "%{ir}.%{v}", "%{l-}",
                   "%{o1r}", "%{i2}", "%{l}.%{o}", "%{lr-}", "%{h2}", "%{i1r}", "%{l1r+-}", "%{d2r}",
                   "%{ir}.%{i}.%{ir}.%{i}.%{ir}"]  # the last is over 253 octets for IPv6: RFC 7208 7.3 trims it
k_syntax_errors = ["v=spf1 ip4:192.0.2.300 -all", "v=spf1 moo -all", "v=spf1 a:: -all", "v=spf1 ip4:192.0.2.0/33",
                   "v=spf1 -all:foo", "v=spf1 redirect=a.zone.test redirect=b.zone.test", "v=spf1 include -all",
                   "v=spf1 exists:%{z}.zone.test -all", "v=spf1 a:192.0.2.1 -all", "v=spf1 =a -all",
                   "v=spf1 ip6:2001:db8::/129", "v=spf1 mx//129 -all", "v=spf1 exp= -all", "v=spf1 ip4:192.0.2.10 %{d}",
                   "v=spf1 exists:%{i -all", "v=spf1 ptr:%{c}.zone.test -all", "v=spf1 +ip4:192.0.2.10 ip4 -all",
                   "v=spf1 ip4:192.0.2.10/032 -all", "v=spf1 ip4:192.0.2.010 -all", "v=spf1 a:zone -all",
                   "v=spf1 a:mail.zone.test:80 -all", "v=spf1 include:open.zone.test/24", "v=spf1 x:y -all",
                   "v=spf1 ptr: -all", "v=spf1 x-mod=%{z} -all", "v=spf1 exp=explain.zone.test exp=explain.zone.test",
                   "v=spf1 a:m\u00e4il.zone.test -all"]
# Unusual but valid records, and shapes where counting rules matter.
k_edge_records = ["v=spf1  ip4:192.0.2.10   -all ", "v=spf1 IP4:192.0.2.0/24 MX A:mail.zone.test -ALL",
                  "v=spf1 ip6:2001:DB8::10 ip6:::1 -all", "v=spf1 ip4:192.0.2.10/24 -all", "v=spf1 all -all",
                  "v=spf1 ip4:192.0.2.10 redirect=open.zone.test -all", "v=spf1 x-mod=a=b -all", "v=spf1",
                  "v=spf1 a:_spf.zone.test ~all", "v=spf1 include:%{o} -all",
                  "v=spf1 ptr ptr:zone.test ptr:example.net -all",
                  "v=spf1 a:nohost.zone.test ptr ptr -all", "v=spf1 a:nohost.zone.test a:nohost.zone.test ?all",
                  "v=spf1 mx:deadmx.zone.test mx:deadmx.zone.test mx:deadmx.zone.test -all",
                  "v=spf1 a:empty.zone.test exists:%{i}.void.zone.test mx:web.zone.test +all",
                  "v=spf1 redirect=%{d2}.zone.test", "v=spf1 -ip4:192.0.2.10 +all exp=%{d}.zone.test"]
k_qualifiers = ["", "", "+", "-", "~", "?"]
k_max_depth = 3


@dataclass
class Case:
    client_ip: str
    mail_from: str  # "" is the null reverse-path
    helo: str
    zone: dict = field(default_factory=dict)
    domains: int = 0  # generated include/redirect targets so far

    def sender(self):
        return self.mail_from or f"postmaster@{self.helo}"

    def checked_domain(self):
        return self.sender().rpartition("@")[2]


def macro_values(case, domain):
    ip = ipaddress.ip_address(case.client_ip)
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    dotted = str(ip) if ip.version == 4 else ".".join(ip.exploded.replace(":", ""))
    local, _, sender_domain = case.sender().rpartition("@")
    return {"s": case.sender(), "l": local or "postmaster", "o": sender_domain, "d": domain, "i": dotted,
            "h": case.helo, "v": "in-addr" if ip.version == 4 else "ip6"}


def expand(spec, values):
    """RFC 7208 7.3 for the letters and transformers generated here, only to put the names
    the macros should produce into the zone; each implementation does its own expansion."""
    def one(match):
        letter, digits, reverse, delimiters = match.groups()
        parts = re.split("[" + re.escape(delimiters or ".") + "]", values[letter])
        if reverse:
            parts.reverse()
        if digits:
            parts = parts[-int(digits):]
        return ".".join(parts)
    name = re.sub(r"%\{([slodihv])(\d*)(r?)([.\-+,/_=]*)\}", one, spec)
    while len(name) > 253:
        name = name.partition(".")[2]
    return name


def qualified(rng, term):
    return rng.choice(k_qualifiers) + term


def addresses_for(rng, case, domain):
    """Gives a generated domain some A/AAAA/MX records, so a bare `a` or `mx` has a target."""
    records = case.zone.setdefault(domain, {})
    if rng.random() < 0.6:
        records["A"] = rng.sample(["192.0.2.10", "198.51.100.20", "203.0.113.40", "192.0.2.99"], rng.randint(1, 2))
    if rng.random() < 0.5:
        records["AAAA"] = rng.sample(["2001:db8::10", "2001:db8:1::5", "2001:db8::99"], rng.randint(1, 2))
    if rng.random() < 0.4:
        records["MX"] = rng.sample(["10 mx1.zone.test", "20 mx2.zone.test", "30 mail.zone.test"], rng.randint(1, 2))


def new_domain(rng, case, kind, depth):
    case.domains += 1
    domain = f"{kind}{case.domains}.zone.test"
    addresses_for(rng, case, domain)
    case.zone[domain]["TXT"] = [policy(rng, case, domain, depth + 1)]
    return domain


def exists_term(rng, case, domain):
    spec = rng.choice(k_exists_macros) + rng.choice([".ok.zone.test", "._spf.zone.test"])
    if rng.random() < 0.6:
        case.zone.setdefault(expand(spec, macro_values(case, domain)).lower(), {})["A"] = ["127.0.0.2"]
    return "exists:" + spec


def term(rng, case, domain, depth):
    kind = rng.choices(["ip4", "ip6", "a", "mx", "include", "exists", "ptr"], [3, 2, 3, 2, 2, 2, 0.3])[0]
    if kind == "ip4":
        return qualified(rng, "ip4:" + rng.choice(k_ip4_networks))
    if kind == "ip6":
        return qualified(rng, "ip6:" + rng.choice(k_ip6_networks))
    if kind == "a":
        return qualified(rng, rng.choice(k_a_terms))
    if kind == "mx":
        return qualified(rng, rng.choice(k_mx_terms) if rng.random() < 0.97 else "mx:bigmx.zone.test")
    if kind == "include":
        if depth < k_max_depth and rng.random() < 0.7:
            return qualified(rng, "include:" + new_domain(rng, case, "inc", depth))
        return qualified(rng, "include:" + rng.choice(k_include_specials))
    if kind == "exists":
        return qualified(rng, exists_term(rng, case, domain))
    return qualified(rng, rng.choice(["ptr", "ptr:zone.test", "ptr:example.net", "ptr:%{d}"]))


def policy(rng, case, domain, depth):
    shape = rng.random()
    if shape < 0.05:  # RFC 7208 4.6.4: more than 10 DNS-querying terms
        return "v=spf1 " + " ".join(["include:stop.zone.test"] * rng.randint(9, 12)) + " " + qualified(rng, "all")
    terms = [term(rng, case, domain, depth) for _ in range(rng.randint(0, 6))]
    ending = rng.random()
    if ending < 0.5:
        terms.append(qualified(rng, "all"))
    elif ending < 0.8 and depth < k_max_depth:
        target = new_domain(rng, case, "red", depth) if rng.random() < 0.8 else rng.choice(k_include_specials)
        terms.append("redirect=" + target)
    if rng.random() < 0.15:
        terms.append("exp=explain.zone.test")
    if rng.random() < 0.1:
        terms.append("x-note=hello")
    if rng.random() < 0.1:
        rng.shuffle(terms)  # modifiers are valid anywhere among the mechanisms
    return " ".join([rng.choice(["v=spf1", "v=spf1", "v=spf1", "V=SPF1"])] + terms)


def top_records(rng, case, domain):
    shape = rng.random()
    if shape < 0.05:
        return []  # no record: none
    if shape < 0.08:
        return ["google-site-verification=x", "v=spf10 -all"]  # RFC 7208 4.5: neither is SPF
    if shape < 0.12:
        return [policy(rng, case, domain, 0), policy(rng, case, domain, 0)]  # RFC 7208 4.5: permerror
    if shape < 0.18:
        return [rng.choice(k_syntax_errors)]
    if shape < 0.26:
        return [rng.choice(k_edge_records)]
    if shape < 0.28:  # an include chain deeper than the lookup limit
        for step in range(11, 0, -1):
            case.zone[f"chain{step}.zone.test"] = {"TXT": [f"v=spf1 include:chain{step + 1}.zone.test -all"]}
        case.zone["chain12.zone.test"] = {"TXT": ["v=spf1 +all"]}
        return ["v=spf1 include:chain1.zone.test -all"]
    return [policy(rng, case, domain, 0)]


def case(rng):
    null_sender = rng.random() < 0.1
    helo = k_top_domain if null_sender else rng.choice(k_helos)
    mail_from = "" if null_sender else f"{rng.choice(k_local_parts)}@{k_top_domain}"
    generated = Case(rng.choice(k_clients), mail_from, helo, {name: dict(types) for name, types in k_base_zone.items()})
    domain = generated.checked_domain()
    addresses_for(rng, generated, domain)
    records = top_records(rng, generated, domain)
    if records:
        generated.zone[domain]["TXT"] = records
    return generated
