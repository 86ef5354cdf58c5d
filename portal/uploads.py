"""Uploads refused while they stream in: a file over PORTAL_UPLOAD_MAX_BYTES stops being read at the
limit (the rest of the request body is skipped in chunks, never held), and the form says why."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class SizeLimitUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: passes chunks on until a file grows past the limit, then stops
    the upload and marks the request (`upload_too_large`) for the view's message."""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > settings.PORTAL_UPLOAD_MAX_BYTES:
            self.request.upload_too_large = True
            # The rest of the body is read and dropped here, 64 KB at a time. (Django's own skipping
            # reads it line by line: a body without line breaks would come into memory whole.)
            stream = self.request._stream  # the body, limited to its Content-Length
            while stream.read(64 * 1024):
                pass
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) makes the file


def too_large(request) -> bool:
    return getattr(request, "upload_too_large", False)
