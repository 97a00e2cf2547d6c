"""The refusals of the desk's accounts: creating one, setting its password, signing in."""

from __future__ import annotations

from engine.errors import Refused

__all__ = [
    "AccountExists",
    "LinkNotUsable",
    "SignInRefused",
    "SignInThrottled",
    "UnknownAccount",
    "UnknownRole",
    "WeakPassword",
]

#: The roles an account may have, with the words the desk shows for them.
ROLE_LABELS = {
    "unit": "报送单位",
    "coordinator": "统筹办公室",
    "inspector": "检查组组长单位",
    "auditor": "审计人员",
    "administrator": "系统管理员",
}


class AccountExists(Refused):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"账户名 {name} 已被使用：请换一个账户名")


class UnknownAccount(Refused):
    """No account has this name (or number): nothing to link or disable."""

    def __init__(self, account: str | int) -> None:
        self.account = account
        what = f"编号为 {account} " if isinstance(account, int) else f"名为 {account} "
        super().__init__(f"没有{what}的账户")


class UnknownRole(Refused):
    def __init__(self, role: str) -> None:
        self.role = role
        known = "、".join(f"{k}（{v}）" for k, v in ROLE_LABELS.items())
        super().__init__(f"没有角色 {role}：应为 {known} 之一")


class LinkNotUsable(Refused):
    def __init__(self) -> None:
        super().__init__("设置密码的链接已使用、已过期或不存在：请联系管理员重新生成链接")


class WeakPassword(Refused):
    def __init__(self, minimum: int) -> None:
        self.minimum = minimum
        super().__init__(f"密码至少应有 {minimum} 个字符，且两次输入须一致")


class SignInRefused(Refused):
    def __init__(self) -> None:
        super().__init__("账户名或密码不正确")


class SignInThrottled(Refused):
    def __init__(self, minutes: int) -> None:
        self.minutes = minutes
        super().__init__(f"登录失败次数过多：请 {minutes} 分钟后再试")
