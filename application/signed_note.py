"""Checkpoints as C2SP signed notes (https://c2sp.org/signed-note, tlog-checkpoint).

The body is three lines: the origin (``sellerguard/<deployment id>``), the
tree size in decimal and the root in base64; then a blank line and one
signature line ``— <key name> <base64(4-byte key id || Ed25519 signature)>``.
The signature covers the body, final newline included.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

DASH = "\u2014"
KEY_ID_BYTES = 4
SIGNATURE_BYTES = 64


class MalformedNoteError(ValueError):
    """The text is not a checkpoint in signed-note form."""


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: who signed (name and key id) and the signature."""

    key_name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class SignedNote:
    """A checkpoint: origin, size, root, and the signatures over its body."""

    origin: str
    size: int
    root: bytes
    signatures: tuple[NoteSignature, ...]

    @property
    def body(self) -> bytes:
        """The signed bytes."""
        return note_body(self.origin, self.size, self.root)

    def text(self) -> str:
        """The note as served (``text/plain``)."""
        lines = [
            f"{DASH} {s.key_name} "
            + base64.b64encode(s.key_id + s.signature).decode("ascii")
            for s in self.signatures
        ]
        return self.body.decode() + "\n" + "\n".join(lines) + "\n"


def note_body(origin: str, size: int, root: bytes) -> bytes:
    """The three body lines the signature covers."""
    return f"{origin}\n{size}\n{base64.b64encode(root).decode('ascii')}\n".encode()


def parse(text: str) -> SignedNote:
    """A note from its text; MalformedNoteError when it is not one."""
    body, sep, rest = text.partition("\n\n")
    lines = body.split("\n")
    if not sep or len(lines) != 3 or not lines[1].isdigit():
        raise MalformedNoteError("not a checkpoint note")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except binascii.Error:
        raise MalformedNoteError("the root is not base64") from None
    signatures = []
    for line in rest.rstrip("\n").split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH:
            raise MalformedNoteError("not a signature line")
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except binascii.Error:
            raise MalformedNoteError("the signature is not base64") from None
        if len(blob) != KEY_ID_BYTES + SIGNATURE_BYTES:
            raise MalformedNoteError("not an Ed25519 signature")
        signatures.append(
            NoteSignature(parts[1], blob[:KEY_ID_BYTES], blob[KEY_ID_BYTES:])
        )
    return SignedNote(lines[0], int(lines[1]), root, tuple(signatures))
