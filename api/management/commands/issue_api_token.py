"""``manage.py issue_api_token USERNAME``: a fresh API token, printed as the last line.

Only the SHA-256 digest is stored; the key is shown once and cannot be recovered later.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.models import ApiToken


class Command(BaseCommand):
    help = "为用户签发新的 API 令牌（最后一行输出令牌；数据库只保存其摘要）"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="令牌用途说明，如银行系统名称")

    def handle(self, *args, username: str, name: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户不存在：{username}")
        if not user.is_active:
            raise CommandError(f"用户已停用：{username}")
        token, key = ApiToken.issue(user, name=name or "issue_api_token")
        self.stderr.write(f"已为 {username} 签发令牌（前缀 {token.prefix}），请妥善保存，之后无法再次查看：")
        self.stdout.write(key)
