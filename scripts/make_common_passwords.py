"""Generate ``domain/common_passwords.txt``, the shipped list of common passwords.

The list is the 10,000 most frequent entries of the ``passwords`` frequency
list bundled with the zxcvbn package (https://github.com/dwolfhub/zxcvbn-python),
which is MIT licensed. Run it once, by hand, from a development environment
that has zxcvbn installed; the product itself never imports zxcvbn and only
reads the generated text file.

Usage: python scripts/make_common_passwords.py [OUTPUT]
"""

import sys
from pathlib import Path

from zxcvbn.frequency_lists import FREQUENCY_LISTS

TOP_N = 10_000
DEFAULT_OUTPUT = (
    Path(__file__).resolve().parent.parent / "domain" / "common_passwords.txt"
)


def common_passwords(limit: int = TOP_N) -> list[str]:
    """Return the most frequent passwords, lower-cased, deduplicated, in rank order."""
    ranked = (entry.strip().casefold() for entry in FREQUENCY_LISTS["passwords"])
    unique = dict.fromkeys(entry for entry in ranked if entry)
    return list(unique)[:limit]


def main(argv: list[str]) -> None:
    """Write the list, one password per line, UTF-8, to the given or default path."""
    output = Path(argv[0]) if argv else DEFAULT_OUTPUT
    text = "".join(f"{entry}\n" for entry in common_passwords())
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output} ({output.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1:])
