"""DKIM, both directions, against Debian's dkimpy (python3-dkim):
  maildog-ci sign  -> dkim.verify must be True;
  dkim.sign        -> maildog-ci check --json must say "pass";
and after a one-byte change to the body or to a signed field both must say fail. Signatures
dkimpy makes with l= must also survive text appended after the signed length, in both.
Keys come from `maildog-ci keygen`: dkimpy reads its PKCS#8 RSA PEM as is; for Ed25519 dkimpy
wants the base64 32-byte seed, which is the tail of the fixed RFC 8410 PKCS#8 structure.
"""
import base64
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import harness
import maildog_cli
from dkim_messages import message, mutated, names_to_sign

k_domain = "example.test"
k_key_specs = [("rsa", 1024, "rsa1024"), ("rsa", 2048, "rsa2048"), ("ed25519", None, "ed25519")]
k_canonicalizations = ["simple/simple", "relaxed/relaxed", "relaxed/simple", "simple/relaxed"]
# RFC 8410 7: an Ed25519 PKCS#8 private key is this 16-byte DER prefix and the 32-byte seed.
k_ed25519_pkcs8_prefix = bytes.fromhex("302e020100300506032b657004220420")
k_appended_text = b"-- \r\nappended by a mailing list after signing\r\n"
# Any IP and names: this run is about DKIM, SPF and DMARC just come along.
k_check_identity = {"client_ip": "192.0.2.1", "helo": "mail.example.test", "mail_from": "alice@example.test"}


@dataclass
class Key:
    algorithm: bytes  # dkimpy's signature_algorithm
    selector: str
    pem_path: Path
    record_name: str
    record: str
    dkimpy_private: bytes


def pem_der(pem):
    lines = pem.strip().splitlines()
    return base64.b64decode(b"".join(lines[1:-1]))


def make_keys(binary, folder):
    keys = []
    for key_type, bits, selector in k_key_specs:
        pem_path, name, record = maildog_cli.keygen(binary, key_type, bits, selector, k_domain,
                                                    str(folder / selector))
        pem = Path(pem_path).read_bytes()
        if key_type == "rsa":
            keys.append(Key(b"rsa-sha256", selector, Path(pem_path), name, record, pem))
            continue
        der = pem_der(pem)
        if len(der) != 48 or not der.startswith(k_ed25519_pkcs8_prefix):
            raise maildog_cli.MaildogError(f"keygen's Ed25519 key is not RFC 8410 PKCS#8: {der.hex()}")
        keys.append(Key(b"ed25519-sha256", selector, Path(pem_path), name, record, base64.b64encode(der[16:])))
    return keys


class Run:
    def __init__(self, args, folder, dkim):
        self.args = args
        self.dkim = dkim
        self.folder = folder
        self.tally = harness.Tally("dkim", args.seed)
        self.keys = make_keys(args.binary, folder)
        self.records = {key.record_name.lower(): key.record for key in self.keys}
        self.zone = folder / "zone.yaml"
        maildog_cli.write_zone(self.zone, {name: {"TXT": [record]} for name, record in self.records.items()})

    # dkimpy's key lookup: the same records maildog reads from the zone file.
    def dns(self, name, timeout=5):
        record = self.records.get(name.decode().rstrip(".").lower())
        return record.encode() if record else None

    def dkimpy_verify(self, data):
        """(verified, why not) for the topmost signature."""
        try:
            verified = self.dkim.DKIM(data).verify(dnsfunc=self.dns)
            return verified, "" if verified else "signature or body hash did not verify"
        except self.dkim.DKIMException as error:
            return False, f"{type(error).__name__}: {error}"

    def maildog_verify(self, path, data):
        path.write_bytes(data)
        verdict = maildog_cli.check(self.args.binary, path, self.zone, **k_check_identity)
        if len(verdict["dkim"]) != 1:
            return {"result": f"{len(verdict['dkim'])} signatures", "reason": ""}
        return verdict["dkim"][0]

    def describe(self, label, key, canonicalization, names, files):
        return (f"{label} seed {self.args.seed}: key {key.selector}, c={canonicalization}, h={':'.join(names)}\n"
                f"  files: {', '.join(str(f) for f in files)}")

    def compare(self, case, kind, expect_pass, ours, theirs, text):
        """kind: what was compared, e.g. "dkimpy signs, mutated", for the summary."""
        ours_agree = ours["result"] == "pass" if expect_pass else ours["result"] == "fail" and ours["reason"]
        if ours_agree and theirs[0] == expect_pass:
            self.tally.agree(f"{kind}: both {'pass' if expect_pass else 'fail'}")
            return
        self.tally.fail(f"{case} {kind}: expected both to {'pass' if expect_pass else 'fail'}\n  {text}\n"
                        f"  maildog: {ours['result']} ({ours['reason']})\n  dkimpy:  {theirs[0]} ({theirs[1]})")

    def maildog_signs(self, number):
        rng = harness.case_random(self.args.seed, f"maildog-signs/{number}")
        original = message(rng)
        key = rng.choice(self.keys)
        canonicalization = rng.choice(k_canonicalizations)
        names = names_to_sign(rng, original, for_dkimpy=False)
        stem = self.folder / f"maildog-signs-{number}"
        source, signed_path = stem.with_suffix(".eml"), stem.with_suffix(".signed.eml")
        source.write_bytes(original.wire())
        maildog_cli.sign(self.args.binary, source, key.pem_path, key.selector, k_domain, ":".join(names),
                         canonicalization, signed_path)
        signed = signed_path.read_bytes()
        if not signed.endswith(original.wire()):
            self.tally.fail(f"maildog-signs/{number}: maildog-ci sign changed the message ({signed_path})")
            return
        signature = signed[:len(signed) - len(original.wire())]
        text = self.describe(f"maildog-signs/{number}", key, canonicalization, names, [source, signed_path])
        theirs = self.dkimpy_verify(signed)
        ours = {"result": "pass", "reason": ""}
        if not theirs[0]:  # maildog's own verdict tells a signer bug from a verifier disagreement
            ours = self.maildog_verify(stem.with_suffix(".recheck.eml"), signed)
        self.compare(f"maildog-signs/{number}", "maildog signs", True, ours, theirs, text)

        changed, change = mutated(rng, original, names)
        changed_data = signature + changed.wire()
        ours = self.maildog_verify(stem.with_suffix(".mutated.eml"), changed_data)
        self.compare(f"maildog-signs/{number}", "maildog signs, mutated", False, ours,
                     self.dkimpy_verify(changed_data), f"{text}\n  mutation: {change}")

    def dkimpy_signs(self, number):
        rng = harness.case_random(self.args.seed, f"dkimpy-signs/{number}")
        original = message(rng)
        key = rng.choice(self.keys)
        canonicalization = rng.choice(k_canonicalizations)
        names = names_to_sign(rng, original, for_dkimpy=True)
        with_length = rng.random() < 0.25
        signature = self.dkim.sign(original.wire(), key.selector.encode(), k_domain.encode(), key.dkimpy_private,
                                   canonicalize=tuple(part.encode() for part in canonicalization.split("/")),
                                   signature_algorithm=key.algorithm, include_headers=[n.encode() for n in names],
                                   length=with_length)
        stem = self.folder / f"dkimpy-signs-{number}"
        signed_path = stem.with_suffix(".signed.eml")
        label = f"dkimpy-signs/{number}"
        kind = "dkimpy signs" + (" with l=" if with_length else "")
        text = self.describe(label, key, canonicalization, names, [signed_path])
        signed = signature + original.wire()
        ours = self.maildog_verify(signed_path, signed)
        theirs = (True, "") if ours["result"] == "pass" else self.dkimpy_verify(signed)
        self.compare(label, kind, True, ours, theirs, text)

        changed, change = mutated(rng, original, names)
        changed_data = signature + changed.wire()
        ours = self.maildog_verify(stem.with_suffix(".mutated.eml"), changed_data)
        self.compare(label, f"{kind}, mutated", False, ours, self.dkimpy_verify(changed_data),
                     f"{text}\n  mutation: {change}")

        if with_length:  # RFC 6376 3.4.5: l= lets text be appended without breaking the signature
            appended = signed + k_appended_text
            # ... except after an empty body under simple: l= counted the CRLF that simple
            # canonicalisation adds (3.4.3), and the appended text now stands in its place.
            survives = original.body != b"" or canonicalization.endswith("/relaxed")
            ours = self.maildog_verify(stem.with_suffix(".appended.eml"), appended)
            self.compare(label, f"{kind}, appended", survives, ours, self.dkimpy_verify(appended), text)


def main():
    args = harness.parse_args(__doc__, default_count=60)
    dkim, _ = harness.require_modules("dkim", "nacl.signing")  # dkimpy signs and verifies Ed25519 with nacl
    folder = Path(tempfile.mkdtemp(prefix="maildog-dkim-differential-"))
    run = Run(args, folder, dkim)
    for number in harness.case_numbers(args):
        run.maildog_signs(number)
        run.dkimpy_signs(number)
    status = run.tally.finish(f"{len(harness.case_numbers(args))} cases per direction",
                              f"/usr/bin/python3 -B {sys.argv[0]} --binary {args.binary} --seed {args.seed} "
                              "--only N (N from the FAILED lines)")
    if status == 0:
        shutil.rmtree(folder)
    else:
        print(f"case files kept in {folder}")
    return status


if __name__ == "__main__":
    sys.exit(main())
