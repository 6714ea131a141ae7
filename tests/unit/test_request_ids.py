"""Request ids: 32 hex digits, never repeated in a process, a fresh random prefix per process."""

from __future__ import annotations

import subprocess
import sys

from citizen_api import middleware


def test_request_ids__unique_32_hex_and_differ_across_processes() -> None:
    ids = [middleware.new_request_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    code = "from citizen_api import middleware; print(middleware.new_request_id())"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert other.strip()[:16] != ids[0][:16]


def test_request_ids__a_forked_child_draws_its_own_prefix() -> None:
    import os

    parent = middleware.new_request_id()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its first id and leave at once
        os.write(write, middleware.new_request_id().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.waitpid(pid, 0)
    os.close(read)
    assert len(child) == 32 and child[:16] != parent[:16]
