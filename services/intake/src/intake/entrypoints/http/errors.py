"""HTTP errors intake's controllers share."""

from litestar.exceptions import ClientException
from litestar.status_codes import HTTP_409_CONFLICT


class ConflictException(ClientException):
    status_code = HTTP_409_CONFLICT
