import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal import clock, services


class Command(BaseCommand):
    help = "Show or move the demo clock forward (runs the work that becomes due at once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=0, help="move forward by this many days")
        parser.add_argument("--hours", type=int, default=0, help="move forward by this many hours")
        parser.add_argument("--to", dest="to_date", type=dt.date.fromisoformat, help="move forward to YYYY-MM-DD")
        parser.add_argument("--reset", action="store_true", help="back to real time")

    def handle(self, *args, days: int, hours: int, to_date, reset: bool, **options) -> None:
        try:
            if reset:
                services.demo_clock_reset()
            elif to_date:
                self.stdout.write(str(services.demo_clock_set_date(day=to_date)))
            elif days or hours:
                self.stdout.write(str(services.demo_clock_advance(delta=dt.timedelta(days=days, hours=hours))))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"demo clock: {clock.now().astimezone(clock.JST):%Y-%m-%d %H:%M:%S} JST "
                          f"(+{clock.offset()})")
