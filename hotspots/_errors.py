"""A small exception family for problems with the user's input.

Every error names what is wrong, where (file, row, column) and what to do.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from hotspots._validate import Report


class InputDataError(ValueError):
    """The user's data cannot be used as given.

    Parameters
    ----------
    message
        Plain-words summary.
    report
        Optional :class:`hotspots._validate.Report` with every problem found.
    """

    def __init__(self, message: str, report: Report | None = None) -> None:
        self.report = report
        if report is not None and len(report.errors()):
            message = f"{message}\n{report.to_text(severity='error', limit=20)}"
        super().__init__(message)


class CRSError(InputDataError):
    """A coordinate reference system is missing, ambiguous or mismatched."""


class ColumnMappingError(InputDataError):
    """Required columns are missing or the column mapping is invalid."""


class EmptyInputError(InputDataError):
    """A file or frame holds no usable rows."""


class UploadError(InputDataError):
    """An uploaded file cannot be used; the message names the file and the fix.

    Parameters
    ----------
    part
        ``"police_uk"``, ``"referrals"`` or ``"boundary"``.
    name
        The uploaded file's name.
    message
        Plain-words explanation, starting with the file name.
    """

    def __init__(self, part: str, name: str, message: str) -> None:
        self.part = part
        self.name = name
        super().__init__(message if message.startswith(name) else f"{name}: {message}")


def hide_folder(text: str, folder: str | os.PathLike[str]) -> str:
    """Return ``text`` without a server folder: files in it by name, the folder itself in words.

    For messages about an upload read from a temporary folder: the user sees
    the file's name, never the server's path.

    Examples
    --------
    >>> hide_folder("'/tmp/h-1/wards.shp' not recognised", "/tmp/h-1")
    "'wards.shp' not recognised"
    """
    out = text
    for f in {os.fspath(folder), os.path.realpath(folder)}:
        out = out.replace(f + os.sep, "").replace(f, "(a temporary folder)")
    return out
