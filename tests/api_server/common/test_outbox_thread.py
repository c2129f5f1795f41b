"""The outbox's delivery thread: started once, stopped and joined, and a dispatcher that was
never started stops without complaint (gunicorn stops every worker it made)."""

from contextlib import nullcontext

from api_server.common.outbox import OutboxDispatcher
from api_server.db import Database


class NoMail:
    def batch(self):
        return nullcontext()

    def send(self, to, subject, text):
        raise AssertionError("nothing is queued, nothing is sent")


def test_a_dispatcher_never_started_stops_quietly(dsn):
    OutboxDispatcher(Database(dsn), NoMail()).stop()


def test_stop_ends_and_joins_the_delivery_thread(dsn):
    db = Database(dsn)
    dispatcher = OutboxDispatcher(db, NoMail(), interval=0.05)
    dispatcher.start()
    thread = dispatcher._thread
    dispatcher.start()
    assert dispatcher._thread is thread and thread.is_alive()
    dispatcher.stop()
    assert not thread.is_alive()
    db.close()
