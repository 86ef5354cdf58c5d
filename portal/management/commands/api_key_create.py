"""Print a new API key for a customer user, for scripts and demos (the key is shown only here)."""

from django.core.management.base import BaseCommand, CommandError

from portal.apikeys import api_key_create
from portal.models import User


class Command(BaseCommand):
    help = "Create an API key for a customer user and print it (it is stored only as a digest)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--name", required=True, help="what the key is for (shown on the API keys page)")

    def handle(self, *args, username: str, name: str, **options) -> None:
        user = User.objects.filter(username=username).first()
        if user is None or not user.is_customer:
            raise CommandError(f"no customer user {username!r} (a user of an organisation)")
        _row, key = api_key_create(user=user, name=name)
        self.stdout.write(key)
