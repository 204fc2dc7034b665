r"""Unpacking zips and gzip files without trusting them: bounded size, bounded ratio, streamed.

A zip of a few kilobytes can hold gigabytes of zeros (a "zip bomb"). Every zip
and ``.gz`` the dashboard opens (police.uk archives, zipped shapefiles, gzipped
CSVs) goes through this module, which

* refuses, before unpacking anything, an archive whose central directory
  declares more than :data:`MAX_UNPACKED_BYTES` in all, more than
  :data:`MAX_MEMBERS` files, or a member more than :data:`MAX_RATIO` times
  larger unpacked than packed (real CSVs and shapefiles pack 3 to 30 times);
* streams every member in chunks of :data:`CHUNK_BYTES`, counting what comes out,
  and stops as soon as a member gives more than it declared or the archive's
  budget is spent (a lying header cannot get past the count);
* says so in plain words (:class:`UnsafeArchiveError`, an
  :class:`~hotspots._errors.InputDataError`), naming the file and what to do.

Examples
--------
>>> import io, zipfile
>>> buf = io.BytesIO()
>>> with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
...     z.writestr("a/2020-01-x-street.csv", "Crime ID,Month\\n")
>>> with SafeZip(buf.getvalue(), "upload.zip") as z:
...     z.names(), z.read("a/2020-01-x-street.csv")
(['a/2020-01-x-street.csv'], b'Crime ID,Month\\n')
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

from hotspots._errors import InputDataError

__all__ = ["CHUNK_BYTES", "MAX_MEMBERS", "MAX_RATIO", "MAX_UNPACKED_BYTES", "RATIO_FROM_BYTES",
           "SafeZip", "UnsafeArchiveError", "gunzip_bounded", "is_gzip", "is_zip"]

#: Most bytes one archive (or one .gz file) may unpack to.
MAX_UNPACKED_BYTES = 2 * 1024**3
#: Most files one archive may hold.
MAX_MEMBERS = 20_000
#: Largest unpacked / packed ratio of a member (checked once a member passes
#: :data:`RATIO_FROM_BYTES` unpacked; small files such as a ``.prj`` may pack tighter).
MAX_RATIO = 100
RATIO_FROM_BYTES = 8 * 1024**2
#: Bytes read at a time.
CHUNK_BYTES = 1024**2

_WHAT_TO_DO = ("If the file is genuine, unpack it on your computer and give the files inside "
               "it instead.")


class UnsafeArchiveError(InputDataError):
    """An archive that would unpack to too much, or that lies about its size."""


def _mib(n: float) -> str:
    return f"{n / 1024**3:,.1f} GiB" if n >= 1024**3 else f"{n / 1024**2:,.1f} MiB"


def is_zip(data: bytes) -> bool:
    """Return True for bytes that start like a zip file."""
    return data[:4] == b"PK\x03\x04"


def is_gzip(data: bytes) -> bool:
    """Return True for bytes that start like a gzip file."""
    return data[:2] == b"\x1f\x8b"


class SafeZip:
    """A zip archive opened for bounded, streamed reading.

    Parameters
    ----------
    source
        The zip's bytes, or a path to it.
    label
        Name of the archive in messages.
    max_bytes, max_ratio, max_members
        Limits (default :data:`MAX_UNPACKED_BYTES`, :data:`MAX_RATIO`,
        :data:`MAX_MEMBERS`).

    Raises
    ------
    InputDataError
        Not a readable zip.
    UnsafeArchiveError
        The central directory declares too much (see the module docstring).
    """

    def __init__(self, source: bytes | str | os.PathLike[str], label: str, *,
                 max_bytes: int = MAX_UNPACKED_BYTES, max_ratio: float = MAX_RATIO,
                 max_members: int = MAX_MEMBERS) -> None:
        self.label = label
        self.max_bytes, self.max_ratio = max_bytes, max_ratio
        self._spent = 0
        try:
            handle: Any = io.BytesIO(source) if isinstance(source, bytes) else source
            self._zip = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise InputDataError(f"{label}: not a readable zip file ({exc}). Download or "
                                 "export it again.") from exc
        self._infos = {i.filename: i for i in self._zip.infolist() if not i.is_dir()}
        self._check(max_members)

    def _check(self, max_members: int) -> None:
        if len(self._infos) > max_members:
            self.close()
            raise UnsafeArchiveError(
                f"{self.label}: refused: it holds {len(self._infos):,} files (at most "
                f"{max_members:,} are read). {_WHAT_TO_DO}")
        total = sum(i.file_size for i in self._infos.values())
        if total > self.max_bytes:
            self.close()
            raise UnsafeArchiveError(
                f"{self.label}: refused: it would unpack to {_mib(total)} (at most "
                f"{_mib(self.max_bytes)} are read). {_WHAT_TO_DO}")
        for info in self._infos.values():
            self._check_ratio(info.filename, info.file_size, info.compress_size)

    def _check_ratio(self, name: str, unpacked: int, packed: int) -> None:
        if unpacked >= RATIO_FROM_BYTES and unpacked > self.max_ratio * max(packed, 1):
            self.close()
            raise UnsafeArchiveError(
                f"{self.label}: refused: '{name}' would unpack to {_mib(unpacked)} from "
                f"{_mib(packed)} ({unpacked / max(packed, 1):,.0f} times smaller packed; real "
                f"data files pack at most about {self.max_ratio:g} times). This looks like a "
                f"'zip bomb', not a data file. {_WHAT_TO_DO}")

    def names(self) -> list[str]:
        """Return the file members (no folders), in archive order."""
        return list(self._infos)

    def size(self, name: str) -> int:
        """Return the declared unpacked size of a member."""
        return self._infos[name].file_size

    def _chunks(self, name: str) -> Any:
        info = self._infos[name]
        got = 0
        try:
            with self._zip.open(info) as member:
                while chunk := member.read(CHUNK_BYTES):
                    got += len(chunk)
                    self._spent += len(chunk)
                    if got > info.file_size or self._spent > self.max_bytes:
                        raise UnsafeArchiveError(
                            f"{self.label}: refused: '{name}' unpacks to more than it declares "
                            f"({_mib(info.file_size)}), or the archive to more than "
                            f"{_mib(self.max_bytes)}. {_WHAT_TO_DO}")
                    self._check_ratio(name, got, info.compress_size)
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise InputDataError(f"{self.label}: '{name}' cannot be unpacked ({exc}). Download "
                                 "or export the zip again.") from exc

    def read(self, name: str) -> bytes:
        """Return one member's bytes, read in bounded chunks."""
        out = bytearray()
        for chunk in self._chunks(name):
            out += chunk
        return bytes(out)

    def extract(self, name: str, target: Path) -> None:
        """Write one member to ``target``, streamed in bounded chunks."""
        with target.open("wb") as fh:
            for chunk in self._chunks(name):
                fh.write(chunk)

    def close(self) -> None:
        """Close the archive."""
        self._zip.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def gunzip_bounded(data: bytes | IO[bytes], label: str, *,
                   max_bytes: int = MAX_UNPACKED_BYTES, max_ratio: float = MAX_RATIO) -> bytes:
    r"""Unpack gzip bytes in bounded chunks (several gzip members are joined).

    Raises
    ------
    UnsafeArchiveError
        The data unpacks to more than ``max_bytes``, or more than ``max_ratio``
        times its packed size once past :data:`RATIO_FROM_BYTES`.
    InputDataError
        The data is not valid gzip.

    Examples
    --------
    >>> import gzip
    >>> gunzip_bounded(gzip.compress(b"a,b\\n1,2\\n"), "x.csv.gz")
    b'a,b\\n1,2\\n'
    """
    raw = data if isinstance(data, bytes) else data.read()
    out = bytearray()
    pos = 0
    try:
        while pos < len(raw):
            d = zlib.decompressobj(wbits=31)
            buf = raw[pos:]
            while True:
                chunk = d.decompress(buf, CHUNK_BYTES)
                out += chunk
                if len(out) > max_bytes or (len(out) >= RATIO_FROM_BYTES
                                            and len(out) > max_ratio * len(raw)):
                    raise UnsafeArchiveError(
                        f"{label}: refused: it unpacks to more than {_mib(len(out))} from "
                        f"{_mib(len(raw))}; this looks like a 'zip bomb', not a data file "
                        f"(at most {_mib(max_bytes)}, and at most {max_ratio:g} times the "
                        f"packed size, are read). {_WHAT_TO_DO}")
                buf = d.unconsumed_tail
                if d.eof or (not buf and not chunk):
                    break
            if not d.eof:
                raise InputDataError(f"{label}: the gzip file is cut short. Download it again.")
            pos = len(raw) - len(d.unused_data)
            if not d.unused_data.strip(b"\0"):
                break
    except zlib.error as exc:
        raise InputDataError(f"{label}: not a readable gzip file ({exc}). Download it "
                             "again.") from exc
    return bytes(out)
