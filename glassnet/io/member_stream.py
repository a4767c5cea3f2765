"""A zip member read as a file without holding it in memory (``MemberStream``), for the
weights of a model too large to decompress whole before its headers are checked."""

from __future__ import annotations

import collections
import os
import struct
import zipfile

from glassnet.io.errors import READ_ERRORS, UnsafeFileError


class MemberStream:
    """A zip member as a seekable, read-only binary file, never held in memory whole.

    On construction the member is read through once in chunks, which checks its CRC and its
    declared size (a member that lies about either is refused) and keeps its last
    ``TAIL_BYTES`` (where an archive nested in it keeps its directory). Afterwards a stored
    member is read in place in the file; a deflated one from the cached tail or by
    decompressing again from the start up to the bytes asked for (zipfile's seek), so memory
    stays bounded by the largest read, whatever the member declares.
    """

    CHUNK = 1 << 20
    TAIL_BYTES = 4 << 20

    def __init__(self, archive, info, source, where=""):
        self.label = f"{source}: {where}member '{info.filename}'"
        self.size = info.file_size
        self._pos = 0
        self._closed = False
        self._ext = None
        self._raw = None
        try:
            self._ext = archive.open(info)
            tail, length = collections.deque(), 0
            total = 0
            while True:
                chunk = self._ext.read(self.CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                tail.append(chunk)
                length += len(chunk)
                while length - len(tail[0]) >= self.TAIL_BYTES:
                    length -= len(tail.popleft())
        except READ_ERRORS as err:
            self.close()
            raise UnsafeFileError(f"{self.label} is damaged or truncated ({err}); "
                                  f"refused") from None
        if total != self.size:
            self.close()
            raise UnsafeFileError(f"{self.label} holds {total} bytes but declares "
                                  f"{self.size}; refused")
        joined = b"".join(tail)
        self._tail_start = self.size - len(joined)
        self._tail = joined
        if info.compress_type == zipfile.ZIP_STORED:
            self._raw = (archive.fp, self._stored_data_offset(archive.fp, info))
            self._ext.close()
            self._ext = None

    def _stored_data_offset(self, fp, info):
        fp.seek(info.header_offset)
        header = fp.read(zipfile.sizeFileHeader)
        if len(header) != zipfile.sizeFileHeader or header[:4] != zipfile.stringFileHeader:
            self.close()
            raise UnsafeFileError(f"{self.label} has a damaged local header; refused")
        fields = struct.unpack(zipfile.structFileHeader, header)
        return (info.header_offset + zipfile.sizeFileHeader
                + fields[zipfile._FH_FILENAME_LENGTH] + fields[zipfile._FH_EXTRA_FIELD_LENGTH])

    # the file interface zipfile uses
    def seekable(self):
        return True

    def readable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, offset, whence=os.SEEK_SET):
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self.size}[whence]
        self._pos = max(0, min(self.size, base + offset))
        return self._pos

    def read(self, n=-1):
        if self._closed:
            raise ValueError(f"{self.label}: read from a closed stream")
        if n is None or n < 0:
            n = self.size - self._pos
        n = max(0, min(n, self.size - self._pos))
        start = self._pos
        if n == 0:
            return b""
        if start >= self._tail_start:
            data = self._tail[start - self._tail_start:start - self._tail_start + n]
        elif self._raw is not None:
            fp, offset = self._raw
            fp.seek(offset + start)
            data = fp.read(n)
        else:
            self._ext.seek(start)
            data = self._ext.read(n)
        if len(data) != n:
            raise UnsafeFileError(f"{self.label} changed while it was read; refused")
        self._pos = start + n
        return data

    def close(self):
        self._closed = True
        if self._ext is not None:
            self._ext.close()
            self._ext = None
        self._tail = b""

    @property
    def closed(self):
        return self._closed
