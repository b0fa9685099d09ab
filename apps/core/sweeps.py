"""The clock's engine: rules that act on rows whose deadline has passed.

A rule names a model, a `due(now)` queryset that finds due rows through an index on the
deadline column, and `act(row, now)`, which does the work for one row. A sweep reads the due
ids, then handles them in chunks; each row (or, for a rule with `act_many`, each chunk) is one
transaction that locks the row with `select_for_update(skip_locked=True)` through the same due
filter, so a row that another worker holds is left to it and a row that has just left the due
state (the buyer confirmed receipt a moment ago) is not acted on. Beat firing twice, a task
delivered twice, two sweeps at once: each due row is acted on once. A worker killed halfway
leaves every row done or untouched, and the next sweep finds the rest, because the database,
not the queue, says what is due.

Large sweeps fan out: `sweep_run(..., fan_out=True)` (the beat task) queues one task per chunk
so that every worker shares the work.

Rules that are not about deadlines on rows (the nightly Trade Assurance recomputation, the
notification outbox) register a `run(now, dry_run)` instead, so `manage.py sweep` runs them too.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    model: type | None = None
    due: Callable | None = None  # due(now) -> QuerySet of rows due at `now`
    act: Callable | None = None  # act(row, now) -> summary line or None; row locked
    describe: Callable | None = None  # describe(row, now) -> what act would do
    deadline: str = ""  # the indexed column due() filters on: rows are taken oldest first
    act_many: Callable | None = None  # act_many(rows, now) -> summary lines; set-based
    run: Callable | None = None  # run(now, dry_run) -> SweepResult, for rules without rows
    # Rows sharing this column go to the same chunk (oldest first within it): chunks that two
    # workers run at once then touch different rows elsewhere (a supplier's payable balance)
    # instead of queueing for the same row locks.
    partition: str = ""


@dataclass
class SweepResult:
    rule: str
    at: datetime
    due: int = 0
    done: int = 0
    skipped: int = 0  # held by another worker, or no longer due under the lock
    failed: int = 0
    queued_chunks: int = 0
    lines: list = field(default_factory=list)

    def merge(self, other):
        self.done += other.done
        self.skipped += other.skipped
        self.failed += other.failed
        self.lines.extend(other.lines)


RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    RULES[rule.name] = rule
    return rule


def rule_get(name) -> Rule:
    try:
        return RULES[name]
    except KeyError:
        known = ", ".join(sorted(RULES))
        raise LookupError(f"No sweep rule named {name!r}; known: {known}") from None


def due_ids(rule: Rule, now, *, limit=None) -> list:
    queryset = rule.due(now)
    if rule.deadline:
        queryset = queryset.order_by(rule.deadline, "pk")
    if rule.partition:
        rows = queryset.values_list("pk", rule.partition)
        rows = list(rows[:limit] if limit else rows)
        rows.sort(key=lambda row: row[1])  # stable: the deadline order holds within a partition
        return [pk for pk, _partition in rows]
    ids = queryset.values_list("pk", flat=True)
    return list(ids[:limit] if limit else ids)


def _locked_due(rule: Rule, now, ids):
    # of=("self",): lock the rule's own rows only, never rows of joined tables.
    return rule.due(now).filter(pk__in=ids).select_for_update(skip_locked=True, of=("self",))


def sweep_chunk(rule: Rule, ids, now) -> SweepResult:
    """Acts on the rows `ids` that are still due, each in its own transaction (or the whole
    chunk in one, for a set-based rule). Rows held by another transaction are skipped."""
    result = SweepResult(rule=rule.name, at=now, due=len(ids))
    if rule.act_many is not None:
        try:
            with transaction.atomic():
                rows = list(_locked_due(rule, now, ids).order_by("pk"))
                lines = rule.act_many(rows, now) if rows else []
        except Exception:  # one bad row fails its chunk: redo it row by row, so only it waits
            logger.exception("sweep %s: chunk failed; retrying its rows one by one", rule.name)
        else:
            result.done = len(rows)
            result.skipped = len(ids) - len(rows)
            result.lines.extend(line for line in lines if line)
            return result
    for pk in ids:
        try:
            with transaction.atomic():
                row = _locked_due(rule, now, [pk]).first()
                if row is None:
                    result.skipped += 1
                    continue
                line = rule.act(row, now)
        except Exception:  # one bad row must not stop the others; it stays due and is retried
            logger.exception("sweep %s: row %s failed", rule.name, pk)
            result.failed += 1
            continue
        if line is None:
            result.skipped += 1
        else:
            result.done += 1
            result.lines.append(line)
    return result


def sweep_run(name, *, now=None, dry_run=False, fan_out=False, chunk_size=None) -> SweepResult:
    """Runs rule `name` as of `now`. dry_run reports what would happen and changes nothing.
    fan_out queues the chunks as tasks for the worker pool (the beat path) instead of doing
    them here; a sweep that fits in one chunk is done here either way."""
    rule = rule_get(name)
    now = now or timezone.now()
    if rule.run is not None:
        return rule.run(now, dry_run)
    chunk_size = chunk_size or settings.PACTLINE_SWEEP_CHUNK_SIZE
    ids = due_ids(rule, now, limit=settings.PACTLINE_SWEEP_MAX_PER_RUN)
    result = SweepResult(rule=name, at=now, due=len(ids))
    if dry_run:
        rows = rule.model.objects.in_bulk(ids)
        result.lines = [rule.describe(rows[pk], now) for pk in ids if pk in rows]
        return result
    chunks = [ids[i : i + chunk_size] for i in range(0, len(ids), chunk_size)]
    if fan_out and len(chunks) > 1:
        from apps.core.tasks import sweep_chunk_task

        for chunk in chunks:
            sweep_chunk_task.delay(name, chunk, now.isoformat())
        result.queued_chunks = len(chunks)
        return result
    for chunk in chunks:
        result.merge(sweep_chunk(rule, chunk, now))
    return result
