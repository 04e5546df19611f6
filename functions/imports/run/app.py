"""The import worker: S3 notifications (uploads/, drop/) and continuations from the import queue."""

from clientele.workers.imports import handle_import_messages


def handler(event, context):
    return handle_import_messages(event, context)
