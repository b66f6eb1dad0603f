"""``/api/accounts``: the owner manages accounts from the workbench (the same operations as
``earwitness user …``, each a signed custody event naming the owner who made it)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from earwitness.web.accounts import (
    Account,
    add_account,
    check_name,
    list_accounts,
    remove_account,
    set_role,
)
from earwitness.web.auth import require, workbench
from earwitness.web.state import Workbench

router = APIRouter(prefix="/api/accounts", tags=["accounts"])

Owner = Annotated[Account, Depends(require("owner"))]
Bench = Annotated[Workbench, Depends(workbench)]
Role = Literal["viewer", "reviewer", "editor", "owner"]


class AccountOut(BaseModel):
    name: str
    role: Role


class NewAccount(BaseModel):
    name: str = Field(max_length=64, description="1–64 letters, digits, '.', '_', '-', '@'")
    role: Role
    password: str = Field(min_length=1, max_length=1024, description="At least 10 characters")


class RoleChange(BaseModel):
    role: Role


def _out(account: Account) -> AccountOut:
    return AccountOut(name=account.name, role=account.role)  # type: ignore[arg-type]


@router.get("", summary="List the accounts (owner)")
def accounts(_owner: Owner, bench: Bench) -> list[AccountOut]:
    return [_out(account) for account in list_accounts(bench.engine)]


@router.post("", status_code=201, summary="Add an account (owner)")
def add(body: NewAccount, owner: Owner, bench: Bench) -> AccountOut:
    """Adds the account and records an "account" custody event (change "added")."""
    account = add_account(
        bench.engine,
        bench.writing,
        body.name,
        body.role,
        body.password,
        by=owner.name,
        hasher=bench.settings.password_cost.hasher(),
    )
    return _out(account)


@router.patch("/{name}", summary="Change an account's role (owner)")
def change_role(name: str, body: RoleChange, owner: Owner, bench: Bench) -> AccountOut:
    account = set_role(bench.engine, bench.writing, check_name(name), body.role, by=owner.name)
    return _out(account)


@router.delete("/{name}", status_code=204, summary="Remove an account and its sessions (owner)")
def remove(name: str, owner: Owner, bench: Bench) -> None:
    remove_account(bench.engine, bench.writing, check_name(name), by=owner.name)
