"""Checks a witnessed Einblick proof in the common C2SP tlog-proof@v1 format with code that is not
ours: the log's checkpoint signature and the inclusion proof with tlog-scales, the witnesses'
cosignatures (C2SP tlog-cosignature, cosignature/v1) and the witness policy (C2SP tlog-policy)
written here from the specs, with Ed25519 from `cryptography`.

usage: independent_witness_check.py PUBLIC_KEY POLICY TLOG_PROOF
Prints one line per check; exits non-zero on the first that fails.
"""
import base64
import hashlib
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from tlog_scales.signing import Vkey
from tlog_scales.tlog import Checkpoint, InclusionProof

public_key, policy_path, proof_path = sys.argv[1:4]


def parse_policy(text):
    """witness NAME VKEY [URL] / group NAME k|all|any MEMBER... / quorum NAME|none"""
    witnesses, groups, quorum = {}, {}, None
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("#") or words[0] == "log":
            continue
        if words[0] == "witness":
            name, vkey = words[1], words[2]
            key_name, key_id, encoded = vkey.split("+", 2)
            raw = base64.b64decode(encoded)
            assert raw[0] == 0x04 and len(raw) == 33, "not a cosignature/v1 key"
            expected = hashlib.sha256(key_name.encode() + b"\n" + raw).digest()[:4]
            assert expected.hex() == key_id, "witness key id does not match its key"
            witnesses[name] = (key_name, expected, Ed25519PublicKey.from_public_bytes(raw[1:]))
        elif words[0] == "group":
            members = words[3:]
            k = {"all": len(members), "any": 1}.get(words[2]) or int(words[2])
            groups[words[1]] = (k, members)
        elif words[0] == "quorum":
            quorum = words[1]
    return witnesses, groups, quorum


def satisfied(name, groups, cosigned):
    if name in groups:
        k, members = groups[name]
        return sum(satisfied(m, groups, cosigned) for m in members) >= k
    return name in cosigned


def cosigned_by(note, witnesses):
    """The policy names whose cosignature on the note verifies; raises on a bad one."""
    text, signatures = note.rsplit("\n\n", 1)
    text = (text + "\n").encode()
    found = set()
    for line in signatures.strip("\n").split("\n"):
        assert line.startswith("\u2014 "), f"not a signature line: {line!r}"
        key_name, encoded = line[2:].split(" ", 1)
        payload = base64.b64decode(encoded, validate=True)
        for name, (witness_name, key_id, key) in witnesses.items():
            if witness_name != key_name or payload[:4] != key_id:
                continue
            assert len(payload) == 4 + 8 + 64, "a cosignature/v1 is 76 bytes"
            timestamp = int.from_bytes(payload[4:12], "big")
            message = b"cosignature/v1\ntime %d\n" % timestamp + text
            key.verify(payload[12:], message)  # raises InvalidSignature
            found.add(name)
    return found


witnesses, groups, quorum = parse_policy(open(policy_path).read())

# The tlog-proof file: header, extra (the leaf), index, proof lines, blank line, checkpoint.
proof_text = open(proof_path).read()
head, note = proof_text.split("\n\n", 1)
lines = head.split("\n")
assert lines[0] == "c2sp.org/tlog-proof@v1", "not a tlog-proof@v1 file"
rest = lines[1:]
leaf = None
if rest[0].startswith("extra "):
    leaf = base64.b64decode(rest[0][len("extra "):])
    rest = rest[1:]
assert rest[0].startswith("index "), "no index line"
index = int(rest[0][len("index "):])
path = [base64.b64decode(h) for h in rest[1:]]
assert leaf is not None, "the proof carries no leaf"

checkpoint = Checkpoint.from_text(note)
checkpoint.verify(Vkey.from_string(public_key.strip()))
print(f"checkpoint {checkpoint.size} signed by the log")

leaf_hash = hashlib.sha256(b"\x00" + leaf).digest()
InclusionProof(index, checkpoint.size, path).check(leaf_hash, checkpoint.root_hash)
print(f"leaf {index} included in checkpoint {checkpoint.size}")

cosigned = cosigned_by(note, witnesses)
assert quorum == "none" or satisfied(quorum, groups, cosigned), f"only {sorted(cosigned)} cosigned"
print(f"cosigned by {', '.join(sorted(cosigned))}: the policy's quorum is met")

# Any flipped bit in a cosignature must make it fail or stop counting.
body, signatures = note.rsplit("\n\n", 1)
for index_of_line, line in enumerate(signatures.strip("\n").split("\n")[1:], start=1):
    key_name, encoded = line[2:].split(" ", 1)
    payload = base64.b64decode(encoded)
    for bit in range(len(payload) * 8):
        flipped = bytearray(payload)
        flipped[bit // 8] ^= 1 << (bit % 8)
        tampered = note.replace(encoded, base64.b64encode(bytes(flipped)).decode())
        try:
            still = satisfied(quorum, groups, cosigned_by(tampered, witnesses))
        except (InvalidSignature, AssertionError, ValueError):
            still = False
        assert not still, f"bit {bit} of cosignature {index_of_line} flipped still counts"
print("flipped bits in any cosignature fail")
