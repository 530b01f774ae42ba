"""Seeded messages that stress DKIM canonicalisation (RFC 6376 3.4), as they are sent on the
wire: CRLF everywhere, folded headers, runs of spaces and tabs, trailing whitespace, mixed-case
names, duplicate fields, empty and blank-only bodies, trailing blank lines, long lines, lines
starting with ".", 8-bit UTF-8. Plus the header lists to sign and one-byte mutations.
"""
from dataclasses import dataclass, field

CRLF = b"\r\n"

# RFC 5322 2.1.1: a line is at most 998 octets without its CRLF.
k_line_max = 998

# dkimpy refuses to sign these (its DKIM.SHOULD_NOT); maildog signs what it is told.
k_dkimpy_should_not_sign = {"return-path", "received", "comments", "keywords", "bcc", "resent-bcc",
                            "dkim-signature"}

k_words = ["password", "reset", "invoice", "hello", "world", "a", "list", "of", "words", "Z", "x-1",
           "(comment)", "<tag>", "\"quoted\"", "q=1;", "over", "there"]
k_utf8_words = ["Grüße", "naïve", "café", "—", "✓", "日本語", "Ελληνικά"]


@dataclass
class Message:
    fields: list = field(default_factory=list)  # (name as written, the raw field with its final CRLF)
    body: bytes = b""

    def wire(self):
        return b"".join(raw for _, raw in self.fields) + CRLF + self.body

    def names(self):
        return [name for name, _ in self.fields]


def spaces(rng):
    return rng.choice([" ", " ", " ", "  ", "\t", " \t ", "   "])


def name_case(rng, name):
    choice = rng.random()
    if choice < 0.6:
        return name
    if choice < 0.7:
        return name.lower()
    if choice < 0.8:
        return name.upper()
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in name)


def header_value(rng, words):
    """Words joined by runs of WSP, sometimes folded (CRLF + WSP), sometimes with trailing WSP."""
    text = ""
    for index, word in enumerate(words):
        if index > 0:
            text += ("\r\n" + rng.choice([" ", "\t", "  ", " \t"])) if rng.random() < 0.25 else spaces(rng)
        text += word
    if rng.random() < 0.25:
        text += rng.choice([" ", "\t", "  ", " \t "])
    return text


def header_field(rng, name, words, utf8=False):
    separator = rng.choice([" ", " ", "", "  ", "\t"])
    value = header_value(rng, words)
    return name, f"{name_case(rng, name)}:{separator}{value}\r\n".encode("utf-8" if utf8 else "ascii")


def random_words(rng, low, high):
    return [rng.choice(k_words) for _ in range(rng.randint(low, high))]


def received(rng, hop):
    return header_field(rng, "Received", [
        f"from relay{hop}.example.org", f"(relay{hop}.example.org [192.0.2.{hop + 1}])", "by mx.example.test",
        "with ESMTP", f"id Q{rng.randrange(10**6)};", "Mon, 3 Jun 2024", f"10:0{hop}:00", "+0000"])


def headers(rng):
    fields = [header_field(rng, "From", [rng.choice(["Alice Example", "\"Ops, Team\"", "alice"]),
                                         "<alice@example.test>"])]
    fields.append(header_field(rng, "To", ["bob@example.org"]))
    if rng.random() < 0.4:  # a duplicate To, legal on the wire even if RFC 5322 frowns on it
        fields.append(header_field(rng, "To", ["Carol", "<carol@example.net>"]))
    utf8_subject = rng.random() < 0.15
    subject = random_words(rng, 1, 12) + ([rng.choice(k_utf8_words)] if utf8_subject else [])
    fields.append(header_field(rng, "Subject", subject, utf8=utf8_subject))
    if rng.random() < 0.7:
        fields.append(header_field(rng, "Date", ["Mon,", "3 Jun 2024", "10:00:00", "+0000"]))
    if rng.random() < 0.7:
        fields.append(header_field(rng, "Message-ID", [f"<{rng.randrange(10**9)}.x@example.test>"]))
    if rng.random() < 0.3:
        fields.append(header_field(rng, "Cc", ["dave@example.net,", "erin@example.net"]))
    if rng.random() < 0.5:
        fields.append(header_field(rng, "MIME-Version", ["1.0"]))
        fields.append(header_field(rng, "Content-Type", ["text/plain;", "charset=utf-8"]))
    if rng.random() < 0.4:
        fields.append(header_field(rng, "X-Mixed-Case-Header", random_words(rng, 1, 5)))
    rng.shuffle(fields)
    hops = rng.choice([0, 0, 1, 2])
    return [received(rng, hop) for hop in range(hops)] + fields  # trace fields go on top


def body_line(rng):
    kind = rng.random()
    if kind < 0.35:
        return " ".join(random_words(rng, 1, 10))
    if kind < 0.5:
        return spaces(rng).join(random_words(rng, 1, 6)) + rng.choice([" ", "\t", "  \t", ""])
    if kind < 0.6:
        return ""
    if kind < 0.65:
        return rng.choice([" ", "\t", "  \t  "])
    if kind < 0.75:
        return rng.choice([".", "..", ".leading dot", ". ", ".\t."])
    if kind < 0.85:
        return " ".join(rng.choice(k_utf8_words + k_words) for _ in range(rng.randint(1, 8)))
    line = ""
    target = rng.randint(200, k_line_max - 10)
    while len(line) < target:
        line += rng.choice(k_words) + spaces(rng)
    return line[:target]


def body(rng):
    shape = rng.random()
    if shape < 0.1:
        return b""
    if shape < 0.2:  # only blank (or whitespace-only) lines
        return b"".join(rng.choice([b"", b" ", b"\t"]) + CRLF for _ in range(rng.randint(1, 4)))
    lines = [body_line(rng) for _ in range(rng.randint(1, 12))]
    lines += [rng.choice(["", "", " ", "\t"]) for _ in range(rng.choice([0, 0, 1, 2, 3]))]
    return b"".join(line.encode("utf-8") + CRLF for line in lines)


def message(rng):
    return Message(headers(rng), body(rng))


def names_to_sign(rng, message, for_dkimpy):
    """An h= list: From always; a random subset of the present fields; sometimes over-signing
    (a name listed more often than it occurs, RFC 6376 5.4.2) and names that are absent."""
    present = []
    for name in message.names():
        lower = name.lower()
        if lower not in present and not (for_dkimpy and lower in k_dkimpy_should_not_sign):
            present.append(lower)
    chosen = ["from"] + [name for name in present if name != "from" and rng.random() < 0.6]
    if rng.random() < 0.4:
        chosen += rng.sample(chosen, rng.randint(1, min(2, len(chosen))))
    if rng.random() < 0.3:
        chosen.append(rng.choice(["reply-to", "sender", "list-id", "in-reply-to"]))
    rng.shuffle(chosen)
    return [name_case(rng, name) for name in chosen]


def signed_field_indices(message, names):
    """RFC 6376 5.4.2: each listed name takes the next instance of that field from the bottom."""
    used = set()
    indices = []
    for name in names:
        for index in range(len(message.fields) - 1, -1, -1):
            if index not in used and message.fields[index][0].lower() == name.lower():
                used.add(index)
                indices.append(index)
                break
    return indices


k_replacements = "abcdefghijklmnopqrstuvwxyz0123456789"


def alnum_positions(data, start=0):
    return [i for i in range(start, len(data)) if chr(data[i]).isascii() and chr(data[i]).isalnum()]


def replaced(data, position, rng):
    """One byte changed to a different letter or digit: a change no canonicalisation undoes."""
    old = chr(data[position])
    new = rng.choice([c for c in k_replacements if c != old.lower()])
    return data[:position] + new.encode() + data[position + 1:], f"{old!r} -> {new!r}"


def mutated(rng, message, signed_names):
    """A copy with one byte of the body or of a signed field's value changed, and its
    description. The field name is left alone: relaxed canonicalisation lowercases it."""
    targets = [("body", position) for position in alnum_positions(message.body)]
    for index in signed_field_indices(message, signed_names):
        raw = message.fields[index][1]
        targets += [(index, position) for position in alnum_positions(raw, raw.index(b":") + 1)]
    where, position = rng.choice(targets)  # From is always signed and has letters
    if where == "body":
        new_body, change = replaced(message.body, position, rng)
        return Message(list(message.fields), new_body), f"body byte {position}: {change}"
    name, raw = message.fields[where]
    new_raw, change = replaced(raw, position, rng)
    fields = list(message.fields)
    fields[where] = (name, new_raw)
    return Message(fields, message.body), f"field #{where} ({name}) byte {position}: {change}"
