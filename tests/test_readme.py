"""The README's Python examples run and print what their comments say.

Blocks fenced as ```python run; blocks fenced as ```py are shown only (they wait
for Ctrl-C, for instance).
"""
import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_examples_print_what_they_claim():
    text = README.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, "the README has no Python examples"
    namespace, out = {}, io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block, str(README), "exec"), namespace)
    printed = out.getvalue()
    # A claim is a comment after a print, on its line or (for long output) the next.
    claims = re.findall(r"^print\(.*?\)[ \t]*\n?[ \t]*# (.+)$", "\n".join(blocks), re.M)
    assert claims
    for claim in claims:
        expected = re.split(r"\s{2,}", claim)[0]  # drop a trailing "  (w1, w2)" note
        if "..." not in expected:
            assert expected in printed, f"README claims {expected!r}"
