"""File capability tokens and file-name hygiene (no database)."""

from __future__ import annotations

import uuid

from services.common.storage import FileLinks, download_headers, safe_filename


def test_file_links__token_is_not_derivable_from_the_id() -> None:
    links = FileLinks.from_secret("s" * 40)
    file_id = uuid.uuid4()
    token = links.token(file_id)
    assert links.verify(file_id, token)
    assert str(file_id) not in token and len(token.split(".", 1)[1]) >= 24
    assert not links.verify(uuid.uuid4(), token)
    tampered = token[:-1] + ("B" if token.endswith("A") else "A")  # one in 64 tokens ends in "A"
    assert not links.verify(file_id, None) and not links.verify(file_id, tampered)
    assert not links.verify(file_id, token.split(".", 1)[1]) and not links.verify(file_id, "x.y")
    assert not FileLinks.from_secret("t" * 40).verify(file_id, token)
    assert links.url("/api/v1/community/files/x", file_id).endswith(f"?t={token}")


def test_file_links__expire_between_one_and_two_ttls_and_the_expiry_is_signed() -> None:
    links = FileLinks.from_secret("s" * 40, ttl_s=600)
    file_id = uuid.uuid4()
    minted = 1_800_000_123.0
    token = links.token(file_id, now=minted)
    expires, signature = token.split(".", 1)
    assert 600 <= int(expires) - minted <= 1200
    assert links.verify(file_id, token, now=minted + 599)
    assert not links.verify(file_id, token, now=int(expires))
    # Moving the expiry forward breaks the signature.
    assert not links.verify(file_id, f"{int(expires) + 600}.{signature}", now=minted)
    # Same window, same link: a page listed twice hands out the same URL.
    assert links.token(file_id, now=minted + 1) == token


def test_safe_filename__keeps_chinese_drops_paths_and_controls() -> None:
    assert safe_filename("停水范围.pdf", extension="pdf") == "停水范围.pdf"
    assert safe_filename("C:\\Users\\x\\invoice.pdf.exe", extension="pdf") == "invoice.pdf.pdf"
    assert safe_filename("\u202egpj.exe", extension="png") == "gpj.png"
    assert safe_filename("", extension="pdf") == "file.pdf"
    assert safe_filename("...", extension="pdf") == "file.pdf"


def test_download_headers__only_images_inline() -> None:
    assert download_headers(content_type="image/png", filename="a.png")["Content-Disposition"].startswith(
        "inline"
    )
    pdf = download_headers(content_type="application/pdf", filename="停水.pdf")
    assert pdf["Content-Disposition"].startswith("attachment") and pdf["Content-Security-Policy"] == "sandbox"
