from __future__ import annotations

import random

from studio.wan.polling import poll_interval


def test_tasks_are_polled_about_every_3_seconds_for_the_first_30_seconds():
    rng = random.Random(1)
    intervals = [poll_interval(t, rng=rng) for t in range(0, 30)]
    assert all(2.4 <= i <= 3.6 for i in intervals)


def test_polling_backs_off_after_30_seconds_and_is_capped():
    rng = random.Random(2)
    assert 4.8 <= poll_interval(60, rng=rng) <= 7.2
    assert all(poll_interval(t, rng=rng) <= 18 for t in range(30, 3600, 60))


def test_jitter_spreads_tasks_submitted_together():
    rng = random.Random(3)
    assert len({round(poll_interval(5, rng=rng), 3) for _ in range(20)}) > 10
