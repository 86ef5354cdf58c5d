from django.core.management.base import BaseCommand, CommandParser

from orders import demo


class Command(BaseCommand):
    help = "Load the demo data set (idempotent). --reset starts the demo afresh."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset", action="store_true",
            help="delete all customers, contracts, numbers and codes first",
        )

    def handle(self, *args, reset: bool = False, **options) -> None:
        if reset:
            demo.demo_reset()
            self.stdout.write("Demo data removed.")
        rows = demo.demo_load()
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Accounts:"))
        headers = {"user": "user", "password": "password", "organisation": "organisation",
                   "contract": "contract", "rule": "rule shown"}
        widths = {k: max(_width(headers[k]), *(_width(r[k]) for r in rows)) for k in headers}
        line = "-+-".join("-" * widths[k] for k in headers)
        self.stdout.write(line)
        self.stdout.write(" | ".join(_pad(headers[k], widths[k]) for k in headers))
        self.stdout.write(line)
        for row in rows:
            self.stdout.write(" | ".join(_pad(row[k], widths[k]) for k in headers))
        self.stdout.write(line)


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
