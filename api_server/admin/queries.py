"""SQL of the admin route group."""

SET_LISTING_STATUS = """
UPDATE listings SET status = %(status)s, status_reason = %(reason)s,
                    version = version + 1, updated_at = now()
WHERE id = %(id)s AND status = %(current)s
"""
