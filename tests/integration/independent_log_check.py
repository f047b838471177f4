"""Checks Einblick's verifiable log with implementations that are not ours: tlog-scales
(C2SP tlog-tiles, tlog-checkpoint, signed-note with Ed25519 via `cryptography`; RFC 9162 proof
verification) and rfc8785 (JSON canonicalization).

usage: independent_log_check.py LOG_URL PUBLIC_KEY BUNDLE [CONSISTENCY_JSON]
Prints one line per check; exits non-zero on the first that fails.
"""
import base64
import hashlib
import json
import sys

import rfc8785
from tlog_scales.backend import HttpBackend
from tlog_scales.reader import TilesReader
from tlog_scales.signing import Vkey
from tlog_scales.tlog import Checkpoint, ConsistencyProof, InclusionProof

log_url, public_key, bundle_path = sys.argv[1:4]
consistency_path = sys.argv[4] if len(sys.argv) > 4 else None
vkey = Vkey.from_string(public_key.strip())

# The published checkpoint is signed by the key, and the published tiles add up to its root.
reader = TilesReader(HttpBackend(log_url))
latest = reader.get_checkpoint()
latest.verify(vkey)
assert reader.calculate_root_hash() == latest.root_hash, "tiles do not reproduce the root"
print(f"checkpoint {latest.size} verified; tiles reproduce its root")

# The bundle: its checkpoint is signed, its leaf is canonical JSON, and its inclusion proof
# leads from the leaf hash to the signed root; the same proof as one built from the tiles.
bundle = json.load(open(bundle_path))
checkpoint = Checkpoint.from_text(bundle["checkpoint"])
checkpoint.verify(vkey)
leaf = bundle["leaf"].encode()
assert rfc8785.dumps(json.loads(leaf)) == leaf, "leaf is not RFC 8785 canonical JSON"
leaf_value = json.loads(leaf)
if leaf_value["format"] == "einblick.access-leaf.v2":
    # A v2 leaf commits to the access document by its SHA-256; the document is canonical too.
    access = bundle["access"].encode()
    assert rfc8785.dumps(json.loads(access)) == access, "access is not RFC 8785 canonical JSON"
    assert leaf_value["access"] == "sha256:" + hashlib.sha256(access).hexdigest(), "access differs"
    assert "employee_id" not in json.loads(access)["data"]["actor"], "the employee is named"
    print("access document matches its leaf")
leaf_hash = hashlib.sha256(b"\x00" + leaf).digest()
path = [base64.b64decode(h) for h in bundle["inclusion_proof"]]
InclusionProof(bundle["leaf_index"], checkpoint.size, path).check(leaf_hash, checkpoint.root_hash)
reader.set_size(checkpoint.size)
rebuilt = reader.get_inclusion_proof(bundle["leaf_index"], checkpoint.size)
assert rebuilt.node_hashes == path, "our inclusion proof differs from the one the tiles give"
assert reader.mth(bundle["leaf_index"], bundle["leaf_index"] + 1) == leaf_hash, "tile leaf differs"
print(f"leaf {bundle['leaf_index']} included in checkpoint {checkpoint.size}")

# A flipped bit in the leaf or in the path must fail.
for flipped_leaf, flipped_path in [
    (hashlib.sha256(b"\x00" + leaf[:-2] + bytes([leaf[-2] ^ 1]) + leaf[-1:]).digest(), path),
    (leaf_hash, [bytes([path[0][0] ^ 0x80]) + path[0][1:]] + path[1:]),
]:
    try:
        InclusionProof(bundle["leaf_index"], checkpoint.size, flipped_path).check(
            flipped_leaf, checkpoint.root_hash
        )
    except Exception:
        continue
    raise AssertionError("a flipped bit still verified")
print("flipped bits fail")

if consistency_path:
    answer = json.load(open(consistency_path))
    old, new = answer["old_size"], answer["new_size"]
    reader.set_size(new)
    old_root, new_root = reader.mth(0, old), reader.mth(0, new)
    assert new_root == latest.root_hash or new != latest.size
    proof = [base64.b64decode(h) for h in answer["proof"]]
    ConsistencyProof(old, new, proof).check(old_root, new_root)
    assert reader.get_consistency_proof(old, new).node_hashes == proof, "proof differs"
    assert old_root == checkpoint.root_hash or old != checkpoint.size
    print(f"checkpoint {old} is a prefix of {new}")
