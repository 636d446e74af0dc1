"""Reading an agent's evidence spool independently of its C code: the
segment records, the events' chain fields (a minimal protobuf reader), the
RFC 6962 roots and the C2SP signatures (Python's hashlib and cryptography).
Used by the evidence tests to check the agent's record the way an auditor
with other tools would."""
import base64
import glob
import hashlib
import os
import struct
import zlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

EVENT, CHECKPOINT = 1, 2


def records(spool_dir):
    """Every intact record, in order: (type, seq, payload)."""
    out = []
    for path in sorted(glob.glob(os.path.join(spool_dir, "*.seg"))):
        data = open(path, "rb").read()
        off = 0
        while off + 17 <= len(data):
            n, crc, typ, seq = struct.unpack_from("<IIBQ", data, off)
            body = data[off + 17:off + 17 + n]
            if len(body) != n or zlib.crc32(data[off + 8:off + 17] + body) != crc:
                break
            out.append((typ, seq, body))
            off += 17 + n
    return out


def varint(b, i):
    v, shift = 0, 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def fields(b):
    """Top-level protobuf fields: {number: [values]} (bytes or int)."""
    out, i = {}, 0
    while i < len(b):
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 1:
            v, i = struct.unpack_from("<Q", b, i)[0], i + 8
        elif wt == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 5:
            v, i = struct.unpack_from("<I", b, i)[0], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(num, []).append(v)
    return out


def leaf(b):
    return hashlib.sha256(b"\x00" + b).digest()


def mth(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def agent_state(parent):
    """A state directory holding an agent key made here, so the test knows the
    seed (to sign batches as that agent) and the public key (to enroll it)."""
    state = os.path.join(parent, "agent")
    os.mkdir(state, 0o700)
    seed = os.urandom(32)
    with open(os.path.join(state, "agent.key"), "wb") as f:
        f.write(seed)
    os.chmod(os.path.join(state, "agent.key"), 0o600)
    return state, seed, sign_checkpoint(seed, "x", 0, b"\0" * 32)[1]


def enrolled_agent(parent):
    """agent_state, with its public key on the allow list PARENT/allow."""
    state, seed, pub = agent_state(parent)
    with open(os.path.join(parent, "allow"), "w") as f:
        f.write("%s\n" % pub.hex())
    return state, seed, pub


def webhook_secret(parent):
    """A webhook key file PARENT/webhook.key (mode 0600): (its path, the key)."""
    secret = os.urandom(32)
    path = os.path.join(parent, "webhook.key")
    with open(path, "wb") as f:
        f.write(secret)
    os.chmod(path, 0o600)
    return path, secret


def agent_public_key(state_dir):
    seed = open(os.path.join(state_dir, "agent.key"), "rb").read()[:32]
    return Ed25519PrivateKey.from_private_bytes(seed).public_key()


def verify_note(note, pub):
    """Checks the agent's signature on a checkpoint note; returns (origin, size, root)."""
    body, _, sigs = note.rpartition(b"\n\n")
    body += b"\n"
    raw = pub.public_bytes(Encoding.Raw, PublicFormat.Raw)
    name = "sealtap-agent-" + raw[:8].hex()
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + raw).digest()[:4]
    for line in sigs.decode().splitlines():
        if line.startswith("\u2014 %s " % name):
            blob = base64.b64decode(line.rsplit(" ", 1)[1])
            assert blob[:4] == key_id, "key id"
            pub.verify(blob[4:], body)
            origin, size, root = body.decode().split("\n")[:3]
            return origin, int(size), base64.b64decode(root)
    raise AssertionError("no signature by %s" % name)


def verify_spool(state_dir):
    """Verifies the whole spool: one contiguous chain per stream, every
    checkpoint signed and matching the RFC 6962 root of the events it covers.
    Returns {stream_id: [event fields, ...]} in order."""
    pub = agent_public_key(state_dir)
    streams, leaves, last = {}, {}, {}
    for typ, seq, body in records(os.path.join(state_dir, "spool")):
        if typ == EVENT:
            f = fields(body)
            sid = f[2][0]
            evs = streams.setdefault(sid, [])
            lv = leaves.setdefault(sid, [])
            assert f.get(3, [0])[0] == seq == len(lv), "seq %d after %d events" % (seq, len(lv))
            prev = f.get(4, [b""])[0]
            assert prev == (lv[-1] if lv else b""), "event %d does not chain to the one before" % seq
            lv.append(leaf(body))
            evs.append(f)
        else:
            fixed = 8 + 16 + 8 + 8 + 32  # magic, stream, size, untold drops, previous leaf
            note = body[fixed + 1 + 32 * body[fixed]:]
            sid = body[8:24]
            origin, size, root = verify_note(note, pub)
            assert origin == "sealtap/stream/" + sid.hex(), origin
            assert size == seq, "checkpoint record %d states size %d" % (seq, size)
            lv = leaves.get(sid, [])
            if size <= len(lv):
                assert mth(lv[:size]) == root, "checkpoint %d root differs from the events" % size
            last[sid] = size
    return streams, last


# ---- writing batches, for the collector tests --------------------------------

def enc_varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def enc_field(num, value):
    if isinstance(value, int):
        return enc_varint(num << 3) + enc_varint(value)
    return enc_varint(num << 3 | 2) + enc_varint(len(value)) + value


def batch(stream_id, first_seq, events, checkpoint, agent_pub):
    """A Batch (proto/evidence.proto) encoded by hand."""
    out = enc_field(1, stream_id) + enc_field(2, first_seq)
    for e in events:
        out += enc_field(3, e)
    return out + enc_field(4, checkpoint) + enc_field(5, agent_pub)


def sign_checkpoint(seed, origin, size, root):
    """A C2SP checkpoint note signed as the agent would, with its seed."""
    key = Ed25519PrivateKey.from_private_bytes(seed)
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    name = "sealtap-agent-" + raw[:8].hex()
    body = ("%s\n%d\n%s\n" % (origin, size, base64.b64encode(root).decode())).encode()
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + raw).digest()[:4]
    sig = base64.b64encode(key_id + key.sign(body)).decode()
    return body + ("\n\u2014 %s %s\n" % (name, sig)).encode(), raw


def heartbeat_stream(seed, n, sid=None):
    """n chained heartbeat events of a new stream, and a function giving the
    agent-signed checkpoint at any size: enough for the collector's checks."""
    sid = sid or os.urandom(16)
    events, prev = [], b""
    for seq in range(n):
        e = enc_field(2, sid) + enc_field(3, seq) + (enc_field(4, prev) if prev else b"") + enc_field(27, b"")
        events.append(e)
        prev = leaf(e)
    origin = "sealtap/stream/" + sid.hex()
    return sid, events, lambda size: sign_checkpoint(seed, origin, size, mth([leaf(e) for e in events[:size]]))
