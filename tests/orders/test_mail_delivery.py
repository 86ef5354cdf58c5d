"""Mail delivery as an outbox: claimed with a lease, marked delivered only after the transport took
it, swept when its task vanished, and given up after repeated refusals."""

import datetime as dt
from unittest import mock

import pytest
from django.core import mail as outbox
from django.utils import timezone

from orders.activation import mails_sweep
from orders.mail import MAX_ATTEMPTS, mail_deliver
from orders.models import SentMail
from orders.placement import draft_submit
from tests.orders.test_issuance import ready_draft


@pytest.fixture
def sent(alice, contract, settings) -> SentMail:
    from numbering.services import stock_add_range

    settings.PORTAL_LOST_TASK_SECONDS = 0
    stock_add_range(first="05012350000", last="05012350009")
    draft = ready_draft(alice, contract.voice_group, bases=["0312345678"], red=[
        {"base": "0312345678", "kind": "050", "quantity": "1"}])
    [order] = draft_submit(draft_id=draft.pk, user=alice)  # on-commit tasks do not run in this test
    return SentMail.objects.get(order=order)


def test_a_mail_whose_sender_died_is_sent_again_by_the_sweep_once_its_lease_ran_out(sent):
    SentMail.objects.filter(pk=sent.pk).update(claimed_at=timezone.now() - dt.timedelta(seconds=30), attempts=1)
    assert mails_sweep() == 0  # still leased: the first sender may yet finish
    SentMail.objects.filter(pk=sent.pk).update(claimed_at=timezone.now() - dt.timedelta(minutes=2))
    assert mails_sweep() == 1
    assert mails_sweep() == 0 and not mail_deliver(mail_id=sent.pk)  # delivered once
    assert [m.subject for m in outbox.outbox] == [sent.subject]
    assert SentMail.objects.get(pk=sent.pk).delivered_at is not None


def test_a_refused_mail_stays_undelivered_and_is_given_up_after_its_attempts(sent):
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("refused")):
        for _ in range(MAX_ATTEMPTS + 2):
            with pytest.raises(OSError):
                mail_deliver(mail_id=sent.pk)
            if SentMail.objects.get(pk=sent.pk).attempts >= MAX_ATTEMPTS:
                break
    stored = SentMail.objects.get(pk=sent.pk)
    assert stored.delivered_at is None and stored.claimed_at is None and stored.attempts == MAX_ATTEMPTS
    assert mails_sweep() == 0 and not outbox.outbox  # no longer tried; operators see it in admin
