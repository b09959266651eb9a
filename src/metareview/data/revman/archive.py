"""Read the files of a RevMan Web data package — a zip, a zip inside a zip, or a folder —
into memory, within bounds.

The Cochrane Library ships a review's data as ``<id>.zip`` holding ``<id>-files/<id>-data.zip``
(or the data files themselves). Members are never extracted to disk, so a name such as
``../../etc/passwd`` cannot write anywhere; names with ``..`` or an absolute path are refused
all the same. Zip bombs are refused by the number of members, each member's and the total
uncompressed size (read in chunks, so a lying header does not help) and the compression
ratio; zips nest at most ``MAX_NESTING`` deep.

>>> import io, zipfile
>>> buffer = io.BytesIO()
>>> with zipfile.ZipFile(buffer, "w") as z:
...     z.writestr("r/analysis-data/r-data-rows.csv", "Study\\nA\\n")
>>> sorted(read_package_files(buffer.getvalue(), "r.zip"))
['r/analysis-data/r-data-rows.csv']
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath

from metareview.data.revman.files import read_bytes
from metareview.errors import DataError, Problem

MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
MAX_RATIO = 200
MAX_NESTING = 2
WANTED_SUFFIXES = (".csv", ".ris")


def read_package_path(path: str | Path) -> dict[str, bytes]:
    """The CSV and RIS files of the package at ``path`` (a zip file or a folder)."""
    path = Path(path)
    if path.is_dir():
        return _read_folder(path)
    return read_package_files(read_bytes(path, MAX_TOTAL_BYTES), path.name)


def read_package_files(data: bytes, source: str, depth: int = 0) -> dict[str, bytes]:
    """The CSV and RIS members of the zip ``data`` (and of the zips inside it)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        raise DataError(Problem.of_file(source, f"a zip file ({err})")) from None
    found: dict[str, bytes] = {}
    total = [0]
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise DataError(
                Problem(source, None, None, f"{len(members)} members", f"at most {MAX_MEMBERS}")
            )
        for member in members:
            name = member.filename
            _check_name(source, name)
            lower = name.lower()
            nested = lower.endswith(".zip")
            if member.is_dir() or not (nested or lower.endswith(WANTED_SUFFIXES)):
                continue
            content = _read_member(archive, member, source, total)
            if nested:
                if depth + 1 > MAX_NESTING:
                    raise DataError(
                        Problem.of_file(
                            f"{source}/{name}", f"zips nested at most {MAX_NESTING} deep"
                        )
                    )
                inner = read_package_files(content, f"{source}/{name}", depth + 1)
                found.update({f"{name}/{key}": value for key, value in inner.items()})
            else:
                found[name] = content
    return found


def _check_name(source: str, name: str) -> None:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        raise DataError(
            Problem(
                source,
                None,
                None,
                name,
                "member names inside the archive (no '..', no absolute path)",
            )
        )


def _read_member(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, source: str, total: list[int]
) -> bytes:
    where = f"{source}/{member.filename}"
    if member.file_size > MAX_MEMBER_BYTES:
        raise DataError(
            Problem(
                where,
                None,
                None,
                f"{member.file_size} bytes",
                f"at most {MAX_MEMBER_BYTES} per member",
            )
        )
    if member.compress_size and member.file_size / member.compress_size > MAX_RATIO:
        raise DataError(
            Problem(
                where,
                None,
                None,
                f"compression ratio {member.file_size / member.compress_size:.0f}",
                f"at most {MAX_RATIO} (a zip bomb?)",
            )
        )
    chunks, size = [], 0
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(1 << 20):
                size += len(chunk)
                total[0] += len(chunk)
                if size > MAX_MEMBER_BYTES or total[0] > MAX_TOTAL_BYTES:
                    raise DataError(
                        Problem.of_file(
                            where,
                            f"at most {MAX_MEMBER_BYTES} bytes per member and {MAX_TOTAL_BYTES} in all",
                        )
                    )
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as err:
        raise DataError(Problem.of_file(where, f"a readable zip member ({err})")) from None
    return b"".join(chunks)


def _read_folder(folder: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    total = 0
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        relative = path.relative_to(folder).as_posix()
        if path.suffix.lower() == ".zip":
            found.update({f"{relative}/{k}": v for k, v in read_package_path(path).items()})
        elif path.suffix.lower() in WANTED_SUFFIXES:
            total += path.stat().st_size
            if total > MAX_TOTAL_BYTES:
                raise DataError(
                    Problem.of_file(str(folder), f"at most {MAX_TOTAL_BYTES} bytes of CSV and RIS")
                )
            found[relative] = path.read_bytes()
    return found
