"""Feed frames made once for every socket: the bytes websockets itself would write."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from websockets.frames import Frame, Opcode

from api.feeds.frames import Outgoing, frame

SIZES = st.sampled_from([0, 1, 125, 126, 127, 65_535, 65_536, 70_000]) | st.integers(0, 3_000)


@given(SIZES, st.binary(max_size=64))
def test_a_frame_is_the_final_unmasked_text_frame_websockets_serialises(
    size: int, seed: bytes
) -> None:
    payload = (seed or b"x") * (size // max(1, len(seed or b"x")) + 1)
    payload = payload[:size]
    assert frame(payload) == Frame(Opcode.TEXT, payload).serialize(mask=False)


@given(st.text(max_size=300))
def test_an_outgoing_message_carries_its_text_and_that_text_framed_as_utf8(text: str) -> None:
    message = Outgoing(text)
    assert message.text == text
    assert message.frame == Frame(Opcode.TEXT, text.encode()).serialize(mask=False)
