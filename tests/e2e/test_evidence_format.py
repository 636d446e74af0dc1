"""The evidence format checked with an independent implementation: the
agent's signed checkpoint (proto/note.c, proto/tlog.c) over random leaves,
verified here with Python's hashlib (RFC 6962 tree) and the cryptography
package (Ed25519, C2SP key id). A format only we can read proves nothing."""
import base64
import hashlib
import os
import subprocess

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from harness import BUILD, check


def mth(leaves):
    """RFC 6962 Merkle tree hash, written from the RFC, not from our C."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def test_checkpoint_verifies_independently():
    for count in (0, 1, 2, 3, 7, 8, 9, 100):
        seed = os.urandom(32)
        leaves = [os.urandom(1 + i % 50) for i in range(count)]
        name, origin = "sealtap.local/agent/test", "sealtap.local/agent/%s" % seed[:8].hex()
        out = subprocess.run([os.path.join(BUILD, "note-example"), seed.hex(), name, origin] +
                             [l.hex() for l in leaves], capture_output=True, timeout=30)
        check(out.returncode == 0, "note-example failed: %s" % out.stderr)
        note = out.stdout
        body, _, sigs = note.rpartition(b"\n\n")
        body += b"\n"
        lines = body.decode().split("\n")
        check(lines[0] == origin and lines[1] == str(count), "checkpoint lines: %r" % lines)
        check(base64.b64decode(lines[2]) == mth(leaves), "root differs from RFC 6962 for %d leaves" % count)
        sig_lines = sigs.decode().splitlines()
        check(len(sig_lines) == 1 and sig_lines[0].startswith("\u2014 %s " % name), "signature line %r" % sig_lines)
        blob = base64.b64decode(sig_lines[0].rsplit(" ", 1)[1])
        pub = Ed25519PrivateKey.from_private_bytes(seed).public_key()
        raw = pub.public_bytes(Encoding.Raw, PublicFormat.Raw)
        key_id = hashlib.sha256(name.encode() + b"\n\x01" + raw).digest()[:4]
        check(blob[:4] == key_id, "C2SP key id differs")
        pub.verify(blob[4:], body)  # raises if the Ed25519 signature is wrong
        try:
            pub.verify(blob[4:], body.replace(b"\n%d\n" % count, b"\n%d\n" % (count + 1)))
            check(False, "a signature over another size verified")
        except Exception as e:  # InvalidSignature
            check("Invalid" in type(e).__name__, "unexpected error %r" % e)
