"""The child's syscall filter (grader/sandbox/seccomp.py): a well-formed program, its pid patched in."""

from __future__ import annotations

import struct

from grader.sandbox import seccomp


def test_seccomp_program_is_well_formed():
    program = seccomp.program()
    assert len(program) % 8 == 0 and len(program) // 8 < 256
    instructions = [struct.unpack("=HBBI", program[i:i + 8]) for i in range(0, len(program), 8)]
    assert instructions[0] == (seccomp.LD_ABS, 0, 0, 4)  # the architecture is checked first
    assert instructions[1][3] == seccomp.AUDIT_ARCH_X86_64
    for index, (code, jt, jf, _) in enumerate(instructions):
        if code in (seccomp.JEQ, seccomp.JGE):
            assert index + 1 + max(jt, jf) < len(instructions)
    compared = {k for code, _, _, k in instructions if code == seccomp.JEQ}
    # socket, clone, fork, execve, ptrace, bpf, io_uring, memfd_create, inotify_init1, fanotify_mark
    assert {41, 56, 57, 59, 101, 321, 425, 319, 294, 301} <= compared
    assert set(seccomp.DENIED_PRCTL.values()) <= compared
    assert sum(k == seccomp.PID_PLACEHOLDER for *_, k in instructions) == 2


def test_prepared_filter_patches_the_pid():
    built = seccomp.Filter.build()
    assert len(built.pid_offsets) == 2
    assert all(built.buffer.raw[o:o + 4] == struct.pack("=I", seccomp.PID_PLACEHOLDER) for o in built.pid_offsets)
