"""A login's state is the tool's own: signed, dated, for one platform, and its nonce follows from it."""

from __future__ import annotations

from grader.serve.lti.states import States


def test_a_state_reads_back_only_as_it_was_made():
    states = States(b"a secret the store keeps")
    state, nonce = states.new("https://lms.example", 1_800_000_000)
    begun = states.read(state)
    assert begun is not None and (begun.issued, begun.nonce) == (1_800_000_000, nonce)
    assert states.for_issuer(begun, "https://lms.example") and not states.for_issuer(begun, "https://other.example")
    later = states.new("https://lms.example", 1_800_000_000)
    assert later[0] != state and later[1] != nonce  # each login its own
    issued, issuer, random, signature = state.split("-")
    assert states.read(f"{int(issued, 16) + 3600:x}-{issuer}-{random}-{signature}") is None  # re-dated
    assert states.read(state[:-1] + ("0" if state[-1] != "0" else "1")) is None
    assert States(b"another server's secret").read(state) is None
    assert states.read("not a state") is None
