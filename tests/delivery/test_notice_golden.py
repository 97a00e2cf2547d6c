"""The mail the simulated 2011 year sends stays byte for byte what it was.

``golden/gd-2011-simulated-outbox.sha256`` holds the SHA-256 of every message the example
scenario writes to the outbox (MIME boundaries, which are random, blanked out). A deliberate
change to the notices or their context regenerates it::

    docflow simulate workflows/gd-2011 --outbox /tmp/out -q
    python -m tests.delivery.test_notice_golden /tmp/out \
        > tests/delivery/golden/gd-2011-simulated-outbox.sha256
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import pytest

from tests.runtime.gd2011 import PROGRAMME_DIR, run_cli

GOLDEN = Path(__file__).parent / "golden" / "gd-2011-simulated-outbox.sha256"
_BOUNDARY = re.compile(rb"={15}\d+==")


def outbox_digests(outbox: Path) -> list[str]:
    """``<sha256> <file name>`` for every message in ``outbox``, sorted by name."""
    return [
        f"{hashlib.sha256(_BOUNDARY.sub(b'=BOUNDARY=', f.read_bytes())).hexdigest()} {f.name}"
        for f in sorted(outbox.glob("*.eml"))
    ]


@pytest.mark.slow
def test_the_simulated_year_sends_the_same_mail_byte_for_byte(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"

    result = run_cli(["simulate", str(PROGRAMME_DIR), "--outbox", str(outbox), "-q"], {})

    assert result.exit_code == 0, result.stderr
    assert outbox_digests(outbox) == GOLDEN.read_text(encoding="utf-8").splitlines()


if __name__ == "__main__":
    print("\n".join(outbox_digests(Path(sys.argv[1]))))
