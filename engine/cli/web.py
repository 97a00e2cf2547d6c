"""The desk's commands: ``docflow web`` (the web application) and ``docflow account``."""

from __future__ import annotations

import click

from engine.cli.common import _checked_text, _db_option, _documents_option, _open
from engine.cli.reminders import _mail_options
from engine.cliui import command, group
from engine.refusals.accounts import ROLE_LABELS

__all__ = ["account", "web"]


@command()
@click.argument("programmes", nargs=-1, required=True, type=click.Path(), metavar="工作方案...")
@_db_option
@_documents_option
@click.option("--host", default="127.0.0.1", show_default=True, help="监听的地址。")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="监听的端口。"
)
@click.option(
    "--secret-file",
    type=click.Path(dir_okay=False),
    help="签名会话的密钥文件（默认：首次启动时生成并保存在存储库中）。",
)
@click.option(
    "--max-upload-mb",
    default=20.0,
    show_default=True,
    type=click.FloatRange(0.001, 1024),
    help="上传文件的大小上限（MB）。",
)
@click.option(
    "--https-only",
    is_flag=True,
    help="会话 Cookie 只经 HTTPS 发送（部署在 HTTPS 反向代理之后时使用）。",
)
@_mail_options
def web(
    programmes: tuple[str, ...],
    db: str,
    documents: str | None,
    host: str,
    port: int,
    secret_file: str | None,
    max_upload_mb: float,
    https_only: bool,
    outbox: str,
    smtp_host: str | None,
    smtp_port: int | None,
    smtp_security: str,
    smtp_user: str | None,
    desk_url: str | None,
) -> None:
    """启动工作督办平台（网页）：各单位登录报送，统筹办公室决定，审计人员查阅留痕。"""
    import shutil
    import tempfile
    from pathlib import Path

    from engine.app import MailSettings
    from engine.errors import DocflowError, os_reason
    from engine.web import Desk, create_app, run

    opened = [_open(p, db, documents) for p in programmes]
    first = opened[0]
    for other in opened[1:]:
        other.close()
    ids = [gd.id for gd in opened]
    if len(set(ids)) != len(ids):
        raise DocflowError("同一个工作方案给出了两次：" + "、".join(ids))
    work = Path(tempfile.mkdtemp(prefix="docflow-desk-"))
    try:
        desk = Desk(
            {gd.id: gd.definition for gd in opened},
            first.store,
            first.clock,
            max_upload=int(max_upload_mb * (1 << 20)),
            work_dir=work,
            mail=MailSettings(outbox, smtp_host, smtp_port, smtp_security, smtp_user, desk_url),
        )
        if secret_file is not None:
            try:
                secret = Path(secret_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise DocflowError(f"无法读取密钥文件 {secret_file}：{os_reason(exc)}") from None
            except UnicodeDecodeError:
                raise DocflowError(
                    f"密钥文件 {secret_file} 不是 UTF-8 文本：请写入一行至少 32 个字符的密钥"
                ) from None
            if len(secret) < 32:
                raise DocflowError(f"密钥文件 {secret_file} 中的密钥太短：至少应有 32 个字符")
        else:
            secret = desk.accounts.session_secret()
        app = create_app(desk, secret, https_only=https_only)
        for pid, why in desk.warm():
            words = why.worded(desk.definitions[pid].programme.programme.item).message
            click.echo(f"提示：工作方案 {pid} 暂时无法读取（{words}）；页面将显示原因", err=True)
        click.echo(f"工作督办平台已启动：http://{host}:{port}/（按 Ctrl+C 停止）", err=True)
        run(app, host, port, proxy_headers=True)
    finally:
        first.close()
        shutil.rmtree(work, ignore_errors=True)


@group()
def account() -> None:
    """管理工作督办平台的账户。"""


@account.command("add")
@click.argument("programmes", nargs=-1, type=click.Path(), metavar="[工作方案]...")
@click.option("--body", required=True, help="账户所属单位（bodies 中的 id 或名称）。")
@click.option("--name", required=True, help="账户名（登录名，也作为经办人记入留痕）。")
@click.option(
    "--role",
    required=True,
    type=click.Choice(list(ROLE_LABELS)),
    help="角色：unit 报送单位，coordinator 统筹办公室，inspector 检查组组长单位，"
    "auditor 审计人员，administrator 系统管理员。",
)
@click.option("--email", help="电子邮件地址。")
@click.option(
    "--url", default="http://127.0.0.1:8000", show_default=True, help="平台的网址，用于生成链接。"
)
@_db_option
def account_add(
    programmes: tuple[str, ...],
    body: str,
    name: str,
    role: str,
    email: str | None,
    url: str,
    db: str,
) -> None:
    """新建账户，并给出一次性的设置密码链接（72 小时内有效）。给出工作方案时核对单位。"""
    from engine.app.accounts import LINK_HOURS, open_accounts

    _checked_text(body, "--body")
    _checked_text(name, "--name")
    _checked_text(email, "--email")
    from engine.refusals import UnknownUnit

    for programme in programmes:
        with _open(programme, db, with_store=False) as gd:
            index = gd.definition.index
            found = index.resolve_body(body)
            if found is None:
                raise UnknownUnit(body, index.body_names)
            body = found
    accounts = open_accounts(db)
    try:
        created, token = accounts.add(name, body, role, email)
    finally:
        accounts.store.close()
    click.echo(f"已新建账户 {created.name}（{created.body}，{role}）。")
    click.echo(f"设置密码的一次性链接（{LINK_HOURS} 小时内有效）：")
    click.echo(f"{url.rstrip('/')}/set-password?token={token}")


@account.command("link")
@click.option("--name", required=True, help="账户名。")
@click.option(
    "--url", default="http://127.0.0.1:8000", show_default=True, help="平台的网址，用于生成链接。"
)
@_db_option
def account_link(name: str, url: str, db: str) -> None:
    """为已有账户重新生成设置密码的一次性链接（忘记密码时）。"""
    from engine.app.accounts import open_accounts

    accounts = open_accounts(db)
    try:
        token = accounts.new_link(name)
    finally:
        accounts.store.close()
    click.echo(f"{url.rstrip('/')}/set-password?token={token}")
