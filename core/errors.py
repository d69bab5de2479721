from __future__ import annotations


class ConflictError(Exception):
    """Someone else saved the record since this user loaded it (optimistic concurrency)."""

    def __init__(self, message: str = "该记录已被他人修改，请刷新页面查看最新内容后再保存。") -> None:
        super().__init__(message)
        self.message = message
