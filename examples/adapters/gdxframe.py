"""gdxframe - the reference Python encoder of gdx's exec binary framing (standard library only).

Singer's JSON lines are the simple way for an adapter to talk to the exec connector. An
adapter that sends many records a second can write frames instead: the field names once,
then each record as lengths and bytes, which the connector reads without parsing JSON.

    from gdxframe import FrameWriter
    w = FrameWriter()                         # writes the preamble to stdout
    t = w.table("gaoling", ["cert_id", "name", "age"])
    w.record(t, ["GL2026411681000123", "张桂兰", 91])
    w.state({"last_cert_id": "GL2026411681000123"})
    w.flush()

Values are sent as text, the way a CSV cell is: str as is, int/float/Decimal as decimal
text, bool as true/false, None as null, dict/list as compact JSON. The format is described
in connectors/exec/README.md ("Binary framing") and connectors/exec/gdxframe.h.
"""
import json
import struct
import sys

MAGIC = b"\x89GDXF\r\n\x1a"
VERSION = 1
NULL = 0xFFFFFFFF


def _text(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return b"true" if v else b"false"
    if isinstance(v, (bytes, bytearray)):
        return bytes(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return str(v).encode("utf-8")


class FrameWriter:
    """Writes frames to a binary stream (stdout by default)."""

    def __init__(self, out=None):
        self.out = out if out is not None else sys.stdout.buffer
        self.tables = {}
        self.next_id = 1
        self.out.write(MAGIC + bytes([VERSION]))

    def _frame(self, kind, payload):
        if len(payload) >= NULL:
            raise ValueError("frame too large")
        self.out.write(struct.pack(">cI", kind, len(payload)))
        self.out.write(payload)

    def table(self, stream, names):
        """Define a field table for @stream; returns its id (reused for the same names)."""
        key = (stream, tuple(names))
        if key in self.tables:
            return self.tables[key]
        tid = self.next_id
        self.next_id = (self.next_id + 1) & 0xFFFF
        s = stream.encode("utf-8")
        parts = [struct.pack(">HH", tid, len(s)), s, struct.pack(">H", len(names))]
        for n in names:
            b = n.encode("utf-8")
            parts.append(struct.pack(">H", len(b)))
            parts.append(b)
        self._frame(b"F", b"".join(parts))
        self.tables[key] = tid
        return tid

    def record(self, table_id, values):
        """One record: values in the table's field order."""
        parts = [struct.pack(">H", table_id)]
        for v in values:
            b = _text(v)
            if b is None:
                parts.append(struct.pack(">I", NULL))
            else:
                parts.append(struct.pack(">I", len(b)))
                parts.append(b)
        self._frame(b"R", b"".join(parts))

    def state(self, value):
        """A STATE: @value is what the adapter gets back, as JSON, with --state FILE."""
        self._frame(b"S", json.dumps(value, ensure_ascii=False, separators=(",", ":"))
                    .encode("utf-8"))

    def flush(self):
        self.out.flush()
