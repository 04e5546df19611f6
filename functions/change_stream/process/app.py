"""The table's change stream: effects that follow committed changes (a deleted customer's SKU mappings)."""

from clientele.workers.change_stream import handle_table_changes


def handler(event, context):
    return handle_table_changes(event, context)
