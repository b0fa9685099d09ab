"""manage.py sweep [--rule NAME] [--at ISO-DATETIME] [--dry-run]

Runs the clock's rules now, or as of a given time, in this process, and prints what each did
(or, with --dry-run, would do). For operators catching up after downtime and for previewing a
policy change; beat runs the same rules through the `pactline.sweep` task."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.core.sweeps import RULES, sweep_run


class Command(BaseCommand):
    help = "Run the clock's rules (deadlines, auto-release, expiry, recomputations) now."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rule",
            action="append",
            dest="rules",
            metavar="NAME",
            help="Run only this rule (repeatable). Known: " + ", ".join(sorted(RULES)),
        )
        parser.add_argument(
            "--at", help="Act as of this time (ISO 8601; without an offset it is UTC)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would happen; change nothing."
        )

    def handle(self, *args, rules=None, at=None, dry_run=False, **options):
        names = rules or list(RULES)
        unknown = [name for name in names if name not in RULES]
        if unknown:
            raise CommandError(
                f"Unknown rule {', '.join(unknown)}. Known: {', '.join(sorted(RULES))}"
            )
        now = timezone.now()
        if at:
            now = parse_datetime(at)
            if now is None:
                raise CommandError(f"--at {at!r} is not an ISO 8601 date and time.")
            if timezone.is_naive(now):
                now = timezone.make_aware(now, timezone.UTC)
        mode = "dry run" if dry_run else "run"
        self.stdout.write(f"Sweep {mode} as of {now.isoformat()}")
        for name in names:
            result = sweep_run(name, now=now, dry_run=dry_run)
            if dry_run:
                summary = f"{result.due} due"
            else:
                summary = (
                    f"{result.due} due, {result.done} done, {result.skipped} skipped, "
                    f"{result.failed} failed"
                )
            self.stdout.write(f"{name}: {summary}")
            for line in result.lines:
                self.stdout.write(f"  {line}")
            if result.failed:
                self.stderr.write(f"  {result.failed} failed: see the log; they stay due")
